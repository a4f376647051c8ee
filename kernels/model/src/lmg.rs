//! Dissipative Lipkin–Meshkov–Glick model (seed 001, Morrison & Parkins):
//! operators, parameters, observables and the semiclassical limit.
//!
//! # Model (seed 001 eq. 1 with γ = 0, eq. 5; PHYSICS.md §1)
//!
//! Collective spin `j = N/2` in the Dicke basis `|j, m⟩`, basis index
//! `k = 0..=N` with `m_k = j − k` (so index 0 is `m = +j`), dimension
//! `D = N + 1`:
//!
//! ```text
//! dρ/dt = −i[H, ρ] + (Γa/N) D[2Jx]ρ + (Γb/N) D[J+]ρ,
//! D[A]ρ = 2AρA† − A†Aρ − ρA†A,
//! H = −2h Jz − (2λ/N) Jx².
//! ```
//!
//! In QuTiP's Lindblad form ([`crate::system`]) the collapse operators are
//! `C_a = √(2Γa/N)·2Jx` and `C_b = √(2Γb/N)·J+` (the seed's factor-2
//! dissipator). Parameters are in units of an arbitrary rate (the seed uses
//! λ = 1); ħ = 1. As a [`ParametricModel`] ([`parametric_model`]): terms
//! `h·(−2Jz)`, `λ·(−(2/N)Jx²)`, channels `2Jx` with rate `(2/N)Γa` and `J+`
//! with rate `(2/N)Γb`.
//!
//! Every term changes `m` by 0, ±1 (in pairs `C ρ C†`) or ±2, so `(m − m')
//! mod 2` is conserved: with parity `p_k = k mod 2` ([`lmg_parity`]) the
//! Liouvillian is block diagonal and the steady state lies in the even block.
//!
//! # Observables
//!
//! `⟨Jz⟩/j`, `⟨Jx²⟩/j²`, `⟨Jy²⟩/j²`, `⟨Jz²⟩/j²` ([`spin_moments`]) and the
//! rescaled concurrence (seed eq. 9, [`concurrence_from_moments`])
//!
//! ```text
//! C_R = max(0, max_φ C_φ),  C_φ = 1 − (4/N)(⟨J_φ²⟩ − ⟨J_φ⟩²) − (4/N²)⟨J_φ⟩²,
//! J_φ = sin φ Jx + cos φ Jy.
//! ```
//!
//! With `u = (sin φ, cos φ)`, `⟨J_φ²⟩ = uᵀ S u` where `S` holds the
//! symmetrized second moments (`S_xx = ⟨Jx²⟩`, `S_yy = ⟨Jy²⟩`,
//! `S_xy = ⟨JxJy + JyJx⟩/2`) and `⟨J_φ⟩² = uᵀ m mᵀ u`, `m = (⟨Jx⟩, ⟨Jy⟩)`.
//! Since `|u| = 1`, `C_φ = 1 − uᵀ M u` with
//! `M = (4/N) S − (4/N − 4/N²) m mᵀ`, and `max_φ C_φ = 1 − λ_min(M)`,
//! `λ_min = (M_xx + M_yy)/2 − √(((M_xx − M_yy)/2)² + M_xy²)`.
//! (In the Z2-symmetric steady state `m = 0` and `S_xy = 0`; the general
//! formula is kept.)
//!
//! # Semiclassical limit (seed eqs. 6–7)
//!
//! [`critical_fields`] gives `h±ᶜ = [λ ± √(λ² − Γb²)]/2` and
//! [`semiclassical_fixed_point`] the stable fixed point `(X, Y, Z)` of
//! `Ẋ = 2hY − Γb Z X`, `Ẏ = −2hX + 2λ Z X − Γb Z Y`,
//! `Ż = −2λ X Y + Γb (X² + Y²)`: for `h₋ᶜ < h < h₊ᶜ`, with
//! `Λ = λ + √(λ² − Γb²)`, `X = +√((Λ² − 4h²)/(2λΛ))`, `Y = (Γb/Λ) X`,
//! `Z = 2h/Λ`; otherwise `(0, 0, 1)`. Finite-N moments approach
//! `⟨Jz⟩/j → Z`, `⟨Jx²⟩/j² → X²`, `⟨Jy²⟩/j² → Y²`, `⟨Jz²⟩/j² → Z²`.

use crate::operator::scaled;
use crate::parametric::{NamedOperator, Parameter, ParametricModel, Term};
use crate::system::LindbladSystem;
use crate::ModelError;
use faer::MatRef;
use num_complex::Complex64;
use sprs::{CsMat, TriMat};

/// Parameters of one LMG steady state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LmgParams {
    /// Number of spins `N ≥ 1` (`j = N/2`, dimension `N + 1`).
    pub n: usize,
    /// Effective field `h` (any real).
    pub h: f64,
    /// Interaction strength `λ` (any real; the seed has λ > 0).
    pub lambda: f64,
    /// Rate `Γa ≥ 0` of the `D[2Jx]` channel.
    pub gamma_a: f64,
    /// Rate `Γb ≥ 0` of the collective decay `D[J+]`.
    pub gamma_b: f64,
}

/// Raw (un-normalized) first and second spin moments of a state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpinMoments {
    /// `⟨Jx⟩`.
    pub jx: f64,
    /// `⟨Jy⟩`.
    pub jy: f64,
    /// `⟨Jz⟩`.
    pub jz: f64,
    /// `⟨Jx²⟩`.
    pub jx2: f64,
    /// `⟨Jy²⟩`.
    pub jy2: f64,
    /// `⟨Jz²⟩`.
    pub jz2: f64,
    /// `⟨JxJy + JyJx⟩/2`.
    pub jxy: f64,
}

/// Collective spin operators in the Dicke basis (`m = j..−j`).
#[derive(Clone, Debug)]
pub struct SpinOperators {
    /// `Jz`.
    pub jz: CsMat<Complex64>,
    /// `J+`.
    pub jp: CsMat<Complex64>,
    /// `J−`.
    pub jm: CsMat<Complex64>,
    /// `Jx = (J+ + J−)/2`.
    pub jx: CsMat<Complex64>,
    /// `Jy = (J+ − J−)/(2i)`.
    pub jy: CsMat<Complex64>,
    /// `Jx²`.
    pub jx2: CsMat<Complex64>,
}

fn c(re: f64) -> Complex64 {
    Complex64::new(re, 0.0)
}

/// `m_k = j − k`, `k = 0..=N`.
pub fn m_values(n: usize) -> Vec<f64> {
    let j = n as f64 / 2.0;
    (0..=n).map(|k| j - k as f64).collect()
}

/// `a_k = ⟨k−1|J+|k⟩ = √(j(j+1) − m_k(m_k+1))` for `k ≥ 1` (`a_0 = 0`).
pub fn raising(n: usize) -> Vec<f64> {
    let j = n as f64 / 2.0;
    let m = m_values(n);
    (0..=n)
        .map(|k| {
            if k == 0 {
                0.0
            } else {
                (j * (j + 1.0) - m[k] * (m[k] + 1.0)).max(0.0).sqrt()
            }
        })
        .collect()
}

/// `N` is a usable number of spins (`1 ≤ N ≤ 10⁶`).
///
/// # Errors
/// [`ModelError::InvalidInput`] otherwise.
pub fn check_n(n: usize) -> Result<(), ModelError> {
    if n == 0 {
        return Err(ModelError::InvalidInput("N must be at least 1".into()));
    }
    // D² must fit comfortably; the solver is far beyond memory long before.
    if n > 1_000_000 {
        return Err(ModelError::InvalidInput(format!("N = {n} is too large")));
    }
    Ok(())
}

/// Collective spin operators for `N` spins.
///
/// # Errors
/// [`ModelError::InvalidInput`] for `N = 0`.
pub fn spin_operators(n: usize) -> Result<SpinOperators, ModelError> {
    check_n(n)?;
    let d = n + 1;
    let j = n as f64 / 2.0;
    let m = m_values(n);
    let a = raising(n);
    let mut jz = TriMat::new((d, d));
    let mut jp = TriMat::new((d, d));
    let mut jm = TriMat::new((d, d));
    let mut jx = TriMat::new((d, d));
    let mut jy = TriMat::new((d, d));
    let mut jx2 = TriMat::new((d, d));
    for k in 0..d {
        jz.add_triplet(k, k, c(m[k]));
        jx2.add_triplet(k, k, c(0.5 * (j * (j + 1.0) - m[k] * m[k])));
        if k >= 1 {
            jp.add_triplet(k - 1, k, c(a[k]));
            jm.add_triplet(k, k - 1, c(a[k]));
            jx.add_triplet(k - 1, k, c(0.5 * a[k]));
            jx.add_triplet(k, k - 1, c(0.5 * a[k]));
            jy.add_triplet(k - 1, k, Complex64::new(0.0, -0.5 * a[k]));
            jy.add_triplet(k, k - 1, Complex64::new(0.0, 0.5 * a[k]));
        }
        if k >= 2 {
            let v = 0.25 * a[k] * a[k - 1];
            jx2.add_triplet(k - 2, k, c(v));
            jx2.add_triplet(k, k - 2, c(v));
        }
    }
    Ok(SpinOperators {
        jz: jz.to_csc(),
        jp: jp.to_csc(),
        jm: jm.to_csc(),
        jx: jx.to_csc(),
        jy: jy.to_csc(),
        jx2: jx2.to_csc(),
    })
}

impl LmgParams {
    /// Checks the parameters: `N` ([`check_n`]), finite values, rates `≥ 0`,
    /// not both rates zero (pure Hamiltonian dynamics has no unique steady
    /// state).
    ///
    /// # Errors
    /// [`ModelError::InvalidInput`] naming the parameter.
    pub fn validate(&self) -> Result<(), ModelError> {
        validate_params(self)
    }

    /// `H` and `[C_a, C_b]` at this point, with the parity of [`lmg_parity`].
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn system(&self) -> Result<LindbladSystem, ModelError> {
        self.validate()?;
        LindbladSystem::new(
            lmg_hamiltonian(self)?,
            lmg_collapse_ops(self)?,
            Some(lmg_parity(self.n)),
        )
    }
}

fn validate_params(p: &LmgParams) -> Result<(), ModelError> {
    check_n(p.n)?;
    for (name, v) in [
        ("h", p.h),
        ("lambda", p.lambda),
        ("gamma_a", p.gamma_a),
        ("gamma_b", p.gamma_b),
    ] {
        if !v.is_finite() {
            return Err(ModelError::InvalidInput(format!(
                "{name} = {v} is not finite"
            )));
        }
    }
    if p.gamma_a < 0.0 || p.gamma_b < 0.0 {
        return Err(ModelError::InvalidInput(format!(
            "rates must be non-negative (gamma_a = {}, gamma_b = {})",
            p.gamma_a, p.gamma_b
        )));
    }
    if p.gamma_a == 0.0 && p.gamma_b == 0.0 {
        return Err(ModelError::InvalidInput(
            "gamma_a = gamma_b = 0: Hamiltonian dynamics has no unique steady state".into(),
        ));
    }
    Ok(())
}

/// `H = −2h Jz − (2λ/N) Jx²`.
///
/// # Errors
/// [`ModelError::InvalidInput`] for invalid parameters.
pub fn lmg_hamiltonian(p: &LmgParams) -> Result<CsMat<Complex64>, ModelError> {
    check_n(p.n)?;
    let ops = spin_operators(p.n)?;
    let a = scaled(&ops.jz, -2.0 * p.h);
    let b = scaled(&ops.jx2, -2.0 * p.lambda / p.n as f64);
    Ok(&a + &b)
}

/// `[C_a, C_b] = [√(2Γa/N)·2Jx, √(2Γb/N)·J+]`.
///
/// # Errors
/// [`ModelError::InvalidInput`] for `N = 0` or negative rates.
pub fn lmg_collapse_ops(p: &LmgParams) -> Result<Vec<CsMat<Complex64>>, ModelError> {
    check_n(p.n)?;
    if !(p.gamma_a >= 0.0 && p.gamma_b >= 0.0) {
        return Err(ModelError::InvalidInput(
            "rates must be non-negative".into(),
        ));
    }
    let ops = spin_operators(p.n)?;
    let nf = p.n as f64;
    Ok(vec![
        scaled(&ops.jx, 2.0 * (2.0 * p.gamma_a / nf).sqrt()),
        scaled(&ops.jp, (2.0 * p.gamma_b / nf).sqrt()),
    ])
}

/// Parity `p_k = k mod 2` of the Dicke states (`true` = odd), the weak Z2
/// symmetry of the model.
pub fn lmg_parity(n: usize) -> Vec<bool> {
    (0..=n).map(|k| k % 2 == 1).collect()
}

/// Spin moments `Tr(ρ A)` of a `(N+1) × (N+1)` Hermitian `rho`.
///
/// # Errors
/// [`ModelError::InvalidInput`] if `rho` is not `(N+1) × (N+1)`.
pub fn spin_moments(n: usize, rho: MatRef<'_, Complex64>) -> Result<SpinMoments, ModelError> {
    check_n(n)?;
    let d = n + 1;
    if rho.nrows() != d || rho.ncols() != d {
        return Err(ModelError::InvalidInput(format!(
            "rho is {}x{}, expected {d}x{d}",
            rho.nrows(),
            rho.ncols()
        )));
    }
    Ok(spin_moments_with(n, rho, &m_values(n), &raising(n)))
}

/// [`spin_moments`] with the tables [`m_values`] and [`raising`] given (no
/// allocation; `rho` must be `(N+1) × (N+1)`).
pub fn spin_moments_with(
    n: usize,
    rho: MatRef<'_, Complex64>,
    m: &[f64],
    a: &[f64],
) -> SpinMoments {
    let d = n + 1;
    let j = n as f64 / 2.0;
    let (mut jz, mut jz2) = (0.0, 0.0);
    let mut jp = Complex64::new(0.0, 0.0);
    let mut jp2 = Complex64::new(0.0, 0.0);
    for k in 0..d {
        let p = rho[(k, k)].re;
        jz += m[k] * p;
        jz2 += m[k] * m[k] * p;
        if k >= 1 {
            jp += a[k] * rho[(k, k - 1)];
        }
        if k >= 2 {
            jp2 += (a[k] * a[k - 1]) * rho[(k, k - 2)];
        }
    }
    // Jx² + Jy² = j(j+1) − Jz²,  J+² = Jx² − Jy² + i{Jx, Jy}
    let perp = 0.5 * (j * (j + 1.0) - jz2);
    SpinMoments {
        jx: jp.re,
        jy: jp.im,
        jz,
        jx2: perp + 0.5 * jp2.re,
        jy2: perp - 0.5 * jp2.re,
        jz2,
        jxy: 0.5 * jp2.im,
    }
}

/// Rescaled concurrence `C_R = max(0, max_φ C_φ)` (seed eq. 9) from the spin
/// moments, in closed form (module docs).
pub fn concurrence_from_moments(n: usize, mo: &SpinMoments) -> f64 {
    let nf = n as f64;
    let f = 4.0 / nf;
    let g = 4.0 / nf - 4.0 / (nf * nf);
    let mxx = f * mo.jx2 - g * mo.jx * mo.jx;
    let myy = f * mo.jy2 - g * mo.jy * mo.jy;
    let mxy = f * mo.jxy - g * mo.jx * mo.jy;
    let lam_min = 0.5 * (mxx + myy) - (0.5 * (mxx - myy)).hypot(mxy);
    (1.0 - lam_min).max(0.0)
}

/// `C_φ` for one angle (for tests of the closed form).
pub fn concurrence_phi(n: usize, mo: &SpinMoments, phi: f64) -> f64 {
    let nf = n as f64;
    let (s, c) = phi.sin_cos();
    let jphi = s * mo.jx + c * mo.jy;
    let jphi2 = s * s * mo.jx2 + c * c * mo.jy2 + 2.0 * s * c * mo.jxy;
    1.0 - (4.0 / nf) * (jphi2 - jphi * jphi) - (4.0 / (nf * nf)) * jphi * jphi
}

/// Critical fields `(h₋ᶜ, h₊ᶜ) = ([λ − √(λ² − Γb²)]/2, [λ + √(λ² − Γb²)]/2)`
/// (seed, after eq. 6); `None` unless `λ > 0`, `0 ≤ Γb ≤ λ` (no ordered
/// phase otherwise).
pub fn critical_fields(lambda: f64, gamma_b: f64) -> Option<(f64, f64)> {
    if !(lambda > 0.0 && gamma_b >= 0.0 && gamma_b <= lambda && lambda.is_finite()) {
        return None;
    }
    let r = (lambda * lambda - gamma_b * gamma_b).sqrt();
    Some((0.5 * (lambda - r), 0.5 * (lambda + r)))
}

/// Stable semiclassical fixed point `[X, Y, Z]` (seed eq. 7, branch `X ≥ 0`);
/// `[0, 0, 1]` outside `(h₋ᶜ, h₊ᶜ)` or when [`critical_fields`] is `None`.
pub fn semiclassical_fixed_point(h: f64, lambda: f64, gamma_b: f64) -> [f64; 3] {
    match critical_fields(lambda, gamma_b) {
        Some((hm, hp)) if h > hm && h < hp => {
            let big = lambda + (lambda * lambda - gamma_b * gamma_b).sqrt();
            let x = ((big * big - 4.0 * h * h) / (2.0 * lambda * big))
                .max(0.0)
                .sqrt();
            [x, gamma_b / big * x, 2.0 * h / big]
        }
        _ => [0.0, 0.0, 1.0],
    }
}

/// The model at `N` spins as a [`ParametricModel`] with parameters `h`,
/// `lambda`, `gamma_a`, `gamma_b` (defaults: the seed's λ = 1, Γa = 0.01,
/// Γb = 0.2; `h` has none), the parity [`lmg_parity`] and the observables
/// `jz` (`Jz/j`), `jx2`, `jy2`, `jz2` (`Jα²/j²`).
///
/// # Errors
/// [`ModelError::InvalidInput`] for an invalid `N` ([`check_n`]).
pub fn parametric_model(n: usize) -> Result<ParametricModel, ModelError> {
    let ops = spin_operators(n)?;
    let nf = n as f64;
    let j = nf / 2.0;
    let parameter = |name: &str, default: Option<f64>, description: &str| Parameter {
        name: name.into(),
        default,
        description: description.into(),
    };
    let term = |name: &str, parameter: usize, factor: f64, operator: &CsMat<Complex64>| Term {
        name: name.into(),
        parameter: Some(parameter),
        factor,
        operator: operator.clone(),
    };
    let observable = |name: &str, description: &str, operator: CsMat<Complex64>| NamedOperator {
        name: name.into(),
        description: description.into(),
        operator,
    };
    let jy2 = &ops.jy * &ops.jy;
    let jz2 = &ops.jz * &ops.jz;
    ParametricModel::new(
        format!("dissipative Lipkin-Meshkov-Glick model, N = {n} (seed 001 eq. 5)"),
        vec![
            parameter("h", None, "field h in H = -2h Jz - (2λ/N) Jx²"),
            parameter("lambda", Some(1.0), "coupling λ in H = -2h Jz - (2λ/N) Jx²"),
            parameter("gamma_a", Some(0.01), "rate Γa of (Γa/N) D[2Jx]"),
            parameter("gamma_b", Some(0.2), "rate Γb of (Γb/N) D[J+]"),
        ],
        vec![
            term("-2 Jz", 0, -2.0, &ops.jz),
            term("-(2/N) Jx^2", 1, -2.0 / nf, &ops.jx2),
        ],
        vec![
            term("2 Jx", 2, 2.0 / nf, &scaled(&ops.jx, 2.0)),
            term("J+", 3, 2.0 / nf, &ops.jp),
        ],
        vec![
            observable("jz", "<Jz>/j", scaled(&ops.jz, 1.0 / j)),
            observable("jx2", "<Jx^2>/j^2", scaled(&ops.jx2, 1.0 / (j * j))),
            observable("jy2", "<Jy^2>/j^2", scaled(&jy2, 1.0 / (j * j))),
            observable("jz2", "<Jz^2>/j^2", scaled(&jz2, 1.0 / (j * j))),
        ],
        Some(lmg_parity(n)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_diff(a: &CsMat<Complex64>, b: &CsMat<Complex64>) -> f64 {
        let d = &a.to_csc() - &b.to_csc();
        d.data().iter().map(|z| z.norm()).fold(0.0, f64::max)
    }

    /// The parametric form gives the same operators as the direct builders.
    #[test]
    fn parametric_model_matches_direct_operators() {
        for n in [1usize, 2, 5, 8] {
            let p = LmgParams {
                n,
                h: 0.7,
                lambda: 1.3,
                gamma_a: 0.05,
                gamma_b: 0.4,
            };
            let direct = p.system().unwrap();
            let m = parametric_model(n).unwrap();
            let s = m.system(&[p.h, p.lambda, p.gamma_a, p.gamma_b]).unwrap();
            assert!(max_diff(s.hamiltonian(), direct.hamiltonian()) < 1e-14);
            for (a, b) in s.collapse_ops().iter().zip(direct.collapse_ops()) {
                assert!(max_diff(a, b) < 1e-14, "N = {n}");
            }
            assert_eq!(s.parity(), direct.parity());
            assert!(m.observables().iter().all(|o| o.is_hermitian()));
        }
    }

    /// `Jx² + Jy² + Jz² = j(j+1)` and `[Jx, Jy] = i Jz`.
    #[test]
    fn spin_algebra() {
        for n in [1usize, 4, 7] {
            let o = spin_operators(n).unwrap();
            let j = n as f64 / 2.0;
            let casimir = &(&o.jx2 + &(&o.jy * &o.jy)) + &(&o.jz * &o.jz);
            let d = casimir.to_dense();
            for k in 0..=n {
                assert!((d[[k, k]].re - j * (j + 1.0)).abs() < 1e-12);
            }
            let comm = &(&o.jx * &o.jy) - &(&o.jy * &o.jx);
            let target = scaled(&o.jz, 1.0).map(|z| z * Complex64::new(0.0, 1.0));
            assert!(max_diff(&comm, &target) < 1e-12, "N = {n}");
            assert!(max_diff(&(&o.jx * &o.jx), &o.jx2) < 1e-12);
        }
    }
}
