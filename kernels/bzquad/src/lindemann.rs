//! Mean-square atomic deviation and the Lindemann stability criterion of a lattice
//! crystal (seed 003, Yukalov, eqs. 42–55).
//!
//! # Equations and conventions
//!
//! Nearest-neighbour hypercubic lattice, spacing a, d = 1, 2, 3, dimensionless wave
//! vector q = k a ∈ [−π, π]^d, ħ = k_B = 1. The phonon spectrum (eq. 43) is
//! ω_q = Ω s(q) with s(q)² = Σ_α sin²(q_α/2) and Ω² = 4νD/m. With ρ = ν/a^d and
//! dk/(2π)^d = d^dq/(2π a)^d, eq. 42 becomes
//!
//! ```text
//!     r0² = d/(2mΩ) · I_d(τ),        I_d(τ) = ⟨ coth(s/(2τ)) / s ⟩_BZ,    τ = T/Ω,
//!     (r0/a)² = d · (E_K/Ω) · I_d(τ),  E_K = 1/(2ma²)   (eq. 50),
//! ```
//!
//! where ⟨·⟩_BZ = (2π)^(−d) ∫ d^dq. Lindemann (eq. 47): the crystal is stable while
//! r0/a < 1/2.
//!
//! Near Γ, s ≈ |q|/2, so the integrand is 2/|q| at τ = 0 and 8τ/|q|² at τ > 0:
//! I_1 diverges at every τ, I_2 diverges for τ > 0, I_2(0) and I_3(τ) are finite.
//! A divergent case is returned as a result (`diverges = true`, value NaN).
//!
//! # Debye approximation (eqs. 45–55)
//!
//! Long waves: ω ≈ c₀k with c₀ = √(νD/m)·a = Ωa/2 (eq. 46). The Debye sphere
//! |k| < k_D has the zone's volume, k_D = (√(4π)/a)·[(d/2)Γ(d/2)]^(1/d), and
//! T_D = c₀k_D = κ_d Ω with κ_d = √π·Γ(d/2 + 1)^(1/d) (κ_1 = π/2, κ_2 = √π,
//! κ_3 = √π(3√π/4)^(1/3) ≈ 1.9490). Replacing the zone by the sphere in eq. 42:
//!
//! ```text
//!     (r0/a)²_D = d² (E_K/T_D) ∫_0^1 x^(d−2) coth(T_D x/(2T)) dx.
//! ```
//!
//! (The seed prints the prefactor of eq. 48 as 12; the thresholds it derives,
//! eqs. 51–55, follow from d², i.e. 4d²(E_K/T_D)∫… < 1, which is what is used here.)
//! At T = 0 the integral is 1/(d − 1): stable iff T_D/E_K > 4d²/(d − 1) (16 in 2D, 18 in
//! 3D). At T ≫ T_D, coth y ≈ 1/y and the integral is (2T/T_D)/(d − 2): stable iff
//! (T_D/E_K)(T_D/T) > 8d²/(d − 2) = 72 in 3D (the seed's eq. 54 quotes the
//! coefficient, i.e. the condition at T ≈ T_D).
//!
//! # Exact lattice thresholds
//!
//! With Ω = T_D/κ_d: (r0/a)² = d κ_d (E_K/T_D) I_d(κ_d T/T_D). At T = 0 the crystal is
//! stable iff T_D/E_K > 4 d κ_d I_d(0). At T ≫ T_D, I_3(τ) → 4Wτ (W = Watson's integral
//! ⟨1/(3 − Σ cos q_α)⟩, since ⟨1/s²⟩ = 2W), so stable iff
//! (T_D/E_K)(T_D/T) > 48 W κ_3².
//!
//! # Numerics
//!
//! * d = 3, τ > 0 (default for τ ≥ 0.05): singularity subtraction. By the
//!   partial-fraction expansion of coth, coth(s/2τ)/s = 2τ/s² + λ(s²/4τ²)/(2τ) with
//!   λ(y) = (√y coth √y − 1)/y analytic for y > −π². The singular part has the lattice
//!   sum ⟨2τ/s²⟩ = 4Wτ; the remainder is an analytic periodic function of q, and the
//!   periodic trapezoidal rule on the irreducible wedge converges exponentially
//!   (poles of λ at s² = −4π²n²τ², i.e. an analyticity strip of half-width
//!   2 asinh(2πτ) in each q_α).
//! * Otherwise (τ = 0, or small τ): the Duffy/sub-cube scheme of
//!   [`crate::cubature::duffy_octant`], whose radial variable is cut into panels graded
//!   geometrically down to ~5τ (the distance of the nearest coth pole).

use crate::cubature::{duffy_octant, graded_edges, trapezoid_adaptive, Estimate, NotConverged};
use crate::{validate_dim, validate_tol, BzError, Quadrature};

/// Watson's simple-cubic lattice integral W = ⟨1/(3 − Σ_α cos q_α)⟩_BZ.
///
/// Value from the closed form 3W = (√6/(32π³)) Γ(1/24)Γ(5/24)Γ(7/24)Γ(11/24)
/// (Watson 1939; the right-hand side is Watson's W_S = ⟨1/(1 − γ)⟩ = 1.516386…),
/// evaluated at 32 digits with mpmath by `scripts/bz_reference.py`, which also checks it
/// against the independent Bessel-integral representation W = ½∫_0^∞ (e^(−t/2) I_0(t/2))³ dt.
pub const WATSON: f64 = 0.505_462_019_717_326; // 0.50546201971732600605200…

/// Which cubature a computation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Singularity subtraction + periodic trapezoid where it converges fast (d = 3,
    /// τ ≥ 0.05), the Duffy scheme otherwise.
    #[default]
    Auto,
    /// Singularity subtraction + periodic trapezoid on the wedge (d = 3, τ > 0 only).
    Trapezoid,
    /// Duffy/sub-cube tensor Gauss–Legendre (any finite case).
    Duffy,
}

/// Accuracy and method options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Relative tolerance, in [1e-14, 1).
    pub rel_tol: f64,
    /// Absolute tolerance (≥ 0); the target is max(rel_tol·|value|, abs_tol).
    pub abs_tol: f64,
    /// Cubature method.
    pub method: Method,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rel_tol: 1e-10,
            abs_tol: 0.0,
            method: Method::Auto,
        }
    }
}

/// τ at and above which [`Method::Auto`] picks the trapezoid for d = 3.
pub const TRAPEZOID_MIN_TAU: f64 = 0.05;

/// Coefficients of λ(y) = (√y coth √y − 1)/y = Σ_{n≥1} 2^(2n) B_(2n) y^(n−1)/(2n)!.
const LAMBDA: [f64; 12] = [
    1.0 / 3.0,
    -1.0 / 45.0,
    2.0 / 945.0,
    -1.0 / 4725.0,
    2.137_779_915_557_693_5e-5,
    -2.164_404_280_806_397_2e-6,
    2.192_594_785_187_377_8e-7,
    -2.221_460_878_997_967_8e-8,
    2.250_784_651_680_899_4e-9,
    -2.280_515_120_459_218_3e-10,
    2.310_643_259_900_262_4e-11,
    -2.341_170_681_982_488_2e-12,
];

/// λ(y) = (x coth x − 1)/x² with y = x², for 0 ≤ y (series below y = 1/4).
#[inline]
fn lambda(y: f64) -> f64 {
    if y < 0.25 {
        LAMBDA.iter().rev().fold(0.0, |acc, c| acc * y + c)
    } else {
        let x = y.sqrt();
        (x * coth(x) - 1.0) / y
    }
}

/// coth x for x > 0, accurate for all x (1 + 2/(e^{2x} − 1)).
#[inline]
fn coth(x: f64) -> f64 {
    1.0 + 2.0 / (2.0 * x).exp_m1()
}

/// The phonon integrand coth(s/2τ)/s (τ > 0) as a function of s² — stable for all s.
#[inline]
pub fn coth_over_s(s2: f64, tau: f64) -> f64 {
    let y = s2 / (4.0 * tau * tau);
    if y < 0.25 {
        2.0 * tau / s2 + lambda(y) / (2.0 * tau)
    } else {
        coth(y.sqrt()) / s2.sqrt()
    }
}

/// The analytic remainder coth(s/2τ)/s − 2τ/s² = λ(s²/4τ²)/(2τ).
#[inline]
pub fn coth_remainder(s2: f64, tau: f64) -> f64 {
    lambda(s2 / (4.0 * tau * tau)) / (2.0 * tau)
}

fn diverging() -> Quadrature {
    Quadrature {
        value: f64::NAN,
        error: f64::NAN,
        evaluations: 0,
        diverges: true,
    }
}

fn from_estimate(e: Result<Estimate, NotConverged>, shift: f64) -> Result<Quadrature, BzError> {
    match e {
        Ok(e) => Ok(Quadrature {
            value: e.value + shift,
            // Floor at a few ulp: two levels can agree exactly.
            error: e.error.max(4.0 * f64::EPSILON * (e.value + shift).abs()),
            evaluations: e.evaluations,
            diverges: false,
        }),
        Err(NotConverged(e)) => Err(BzError::NotConverged {
            value: e.value + shift,
            error: e.error,
            evaluations: e.evaluations,
        }),
    }
}

/// Whether I_d(τ) diverges: d = 1 at every τ, d = 2 for τ > 0.
pub fn lindemann_diverges(dim: u32, tau: f64) -> bool {
    dim == 1 || (dim == 2 && tau > 0.0)
}

fn validate_tau(tau: f64) -> Result<(), BzError> {
    if !(tau.is_finite() && tau >= 0.0) {
        return Err(BzError::InvalidInput {
            name: "tau",
            value: tau.to_string(),
            reason: "tau = T/Omega must be finite and >= 0",
        });
    }
    Ok(())
}

/// I_d(τ) = ⟨coth(s/(2τ))/s⟩_BZ (⟨1/s⟩ at τ = 0) to relative accuracy `rel_tol`, with the
/// default method. Divergent cases (d = 1; d = 2 with τ > 0) return `Ok` with
/// `diverges = true` and value NaN.
///
/// Errors: [`BzError::InvalidInput`] for d ∉ 1..=3, τ < 0 or not finite, `rel_tol`
/// outside [1e-14, 1); [`BzError::NotConverged`] if the finest level is not enough.
pub fn lindemann_mean(dim: u32, tau: f64, rel_tol: f64) -> Result<Quadrature, BzError> {
    lindemann_mean_with(
        dim,
        tau,
        &Options {
            rel_tol,
            ..Options::default()
        },
    )
}

/// [`lindemann_mean`] with explicit [`Options`] (method, absolute tolerance).
pub fn lindemann_mean_with(dim: u32, tau: f64, opts: &Options) -> Result<Quadrature, BzError> {
    validate_dim(dim)?;
    validate_tau(tau)?;
    validate_tol(opts.rel_tol, opts.abs_tol)?;
    if lindemann_diverges(dim, tau) {
        return Ok(diverging());
    }
    let (rel, abs) = (opts.rel_tol, opts.abs_tol);
    if tau == 0.0 {
        if opts.method == Method::Trapezoid {
            return Err(method_mismatch());
        }
        let f = |s2: f64, _c2: f64| 1.0 / s2.sqrt();
        return from_estimate(duffy_octant(dim, &f, &[0.0, 1.0], rel, abs), 0.0);
    }
    // dim == 3, tau > 0.
    let trapezoid = match opts.method {
        Method::Auto => tau >= TRAPEZOID_MIN_TAU,
        Method::Trapezoid => true,
        Method::Duffy => false,
    };
    if trapezoid {
        let shift = 4.0 * WATSON * tau;
        let f = |s2: f64, _c2: f64| coth_remainder(s2, tau);
        // The tolerance refers to the total, of which the remainder is a part.
        let abs_r = abs.max(rel * shift);
        from_estimate(trapezoid_adaptive(3, &f, rel, abs_r), shift)
    } else {
        let f = |s2: f64, _c2: f64| coth_over_s(s2, tau);
        let edges = graded_edges(5.0 * tau, 0.2);
        from_estimate(duffy_octant(3, &f, &edges, rel, abs), 0.0)
    }
}

fn method_mismatch() -> BzError {
    BzError::InvalidInput {
        name: "method",
        value: "Trapezoid".into(),
        reason: "the subtraction/trapezoid method applies to d = 3 with tau > 0 only",
    }
}

/// κ_d = T_D/Ω = √π·Γ(d/2 + 1)^(1/d) (Debye temperature in units of Ω; module docs).
pub fn debye_temperature_over_omega(dim: u32) -> Result<f64, BzError> {
    validate_dim(dim)?;
    let sqrt_pi = std::f64::consts::PI.sqrt();
    let gamma = match dim {
        1 => 0.5 * sqrt_pi,
        2 => 1.0,
        _ => 0.75 * sqrt_pi,
    };
    Ok(sqrt_pi * gamma.powf(1.0 / f64::from(dim)))
}

/// D₁(Y) = ∫_0^Y y/(e^y − 1) dy (Debye-type integral), by 16-point Gauss–Legendre on
/// panels of width ≤ 2 (the integrand's poles are at ±2πi); D₁(Y ≥ 60) = π²/6 to 1e-24.
fn debye_d1(y_max: f64) -> f64 {
    let top = y_max.min(60.0);
    if top <= 0.0 {
        return 0.0;
    }
    let panels = (top / 2.0).ceil().max(1.0) as usize;
    let edges: Vec<f64> = (0..=panels)
        .map(|k| top * k as f64 / panels as f64)
        .collect();
    let r = crate::gauss::composite(&edges, 16);
    r.x.iter()
        .zip(&r.w)
        .map(|(y, w)| if *y > 0.0 { w * y / y.exp_m1() } else { *w })
        .sum()
}

/// J_d(b) = ∫_0^1 x^(d−2) coth(b x) dx with b = T_D/(2T) (b = ∞ at T = 0); +∞ where it
/// diverges (d = 1; d = 2 at T > 0).
pub fn debye_integral(dim: u32, b: f64) -> f64 {
    match dim {
        1 => f64::INFINITY,
        2 => {
            if b.is_infinite() {
                1.0
            } else {
                f64::INFINITY
            }
        }
        _ => {
            if b.is_infinite() {
                0.5
            } else {
                // x coth(bx) = x + 2x/(e^{2bx} − 1);  ∫_0^1 2x/(e^{2bx}−1) dx = D₁(2b)/(2b²).
                0.5 + debye_d1(2.0 * b) / (2.0 * b * b)
            }
        }
    }
}

/// One point of the Lindemann sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LindemannPoint {
    /// I_d(τ) with its error estimate and evaluation count.
    pub mean: Quadrature,
    /// r0/a = √(d (E_K/Ω) I_d(τ)); NaN where I_d diverges.
    pub ratio: f64,
    /// The Debye-approximation r0/a for the same (d, τ, E_K/Ω); NaN where it diverges.
    pub debye_ratio: f64,
    /// r0/a < 1/2 (false where divergent).
    pub stable: bool,
    /// Debye r0/a < 1/2 (false where divergent).
    pub debye_stable: bool,
}

/// r0/a and its Debye counterpart at d, τ = T/Ω, E_K/Ω (module docs for conventions).
pub fn lindemann_ratio(
    dim: u32,
    tau: f64,
    ek_over_omega: f64,
    rel_tol: f64,
) -> Result<LindemannPoint, BzError> {
    if !(ek_over_omega.is_finite() && ek_over_omega > 0.0) {
        return Err(BzError::InvalidInput {
            name: "ek_over_omega",
            value: ek_over_omega.to_string(),
            reason: "E_K/Omega must be finite and > 0",
        });
    }
    let mean = lindemann_mean(dim, tau, rel_tol)?;
    let d = f64::from(dim);
    let ratio = if mean.diverges {
        f64::NAN
    } else {
        (d * ek_over_omega * mean.value).sqrt()
    };
    let kappa = debye_temperature_over_omega(dim)?;
    let b = if tau == 0.0 {
        f64::INFINITY
    } else {
        kappa / (2.0 * tau)
    };
    let j = debye_integral(dim, b);
    let debye_ratio = if j.is_finite() {
        (d * d * ek_over_omega / kappa * j).sqrt()
    } else {
        f64::NAN
    };
    Ok(LindemannPoint {
        mean,
        ratio,
        debye_ratio,
        stable: ratio < 0.5,
        debye_stable: debye_ratio < 0.5,
    })
}

/// Temperature regime of a stability threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// T = 0: the threshold is on T_D/E_K.
    ZeroTemperature,
    /// T ≫ T_D: the threshold is on (T_D/E_K)·(T_D/T).
    HighTemperature,
}

/// A stability threshold: the crystal is stable iff the regime's quantity exceeds it
/// (+∞: never stable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// Dimension.
    pub dim: u32,
    /// Regime.
    pub regime: Regime,
    /// Exact nearest-neighbour lattice value.
    pub exact: f64,
    /// Debye approximation (seed eqs. 51–55: 16, 18, 72).
    pub debye: f64,
}

/// Exact-lattice vs Debye thresholds for d = 1, 2, 3 at T = 0 and T ≫ T_D (six rows,
/// d-major), the exact ones to relative accuracy ~`rel_tol`.
pub fn thresholds(rel_tol: f64) -> Result<Vec<Threshold>, BzError> {
    let mut out = Vec::with_capacity(6);
    for dim in 1..=3u32 {
        let d = f64::from(dim);
        let kappa = debye_temperature_over_omega(dim)?;
        let i0 = lindemann_mean(dim, 0.0, rel_tol)?;
        let exact0 = if i0.diverges {
            f64::INFINITY
        } else {
            4.0 * d * kappa * i0.value
        };
        let debye0 = if dim == 1 {
            f64::INFINITY
        } else {
            4.0 * d * d / (d - 1.0)
        };
        out.push(Threshold {
            dim,
            regime: Regime::ZeroTemperature,
            exact: exact0,
            debye: debye0,
        });
        let (exact_hi, debye_hi) = if dim == 3 {
            (48.0 * WATSON * kappa * kappa, 8.0 * d * d / (d - 2.0))
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        out.push(Threshold {
            dim,
            regime: Regime::HighTemperature,
            exact: exact_hi,
            debye: debye_hi,
        });
    }
    Ok(out)
}

/// The stability boundary at a given T/T_D: the critical T_D/E_K (stable above it),
/// exact lattice and Debye, as `(exact, debye)`; +∞ where no crystal is stable.
pub fn stability_boundary(dim: u32, t_over_td: f64, rel_tol: f64) -> Result<(f64, f64), BzError> {
    validate_tau(t_over_td)?;
    let d = f64::from(dim);
    let kappa = debye_temperature_over_omega(dim)?;
    let mean = lindemann_mean(dim, kappa * t_over_td, rel_tol)?;
    let exact = if mean.diverges {
        f64::INFINITY
    } else {
        4.0 * d * kappa * mean.value
    };
    let b = if t_over_td == 0.0 {
        f64::INFINITY
    } else {
        0.5 / t_over_td
    };
    Ok((exact, 4.0 * d * d * debye_integral(dim, b)))
}
