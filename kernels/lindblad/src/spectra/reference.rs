//! Dense references for tests at small `D`: the spectra from the
//! eigendecomposition of the whole Liouvillian (no blocks, no sparse
//! factorization), and its eigenvalues.
//!
//! With `L = R Λ R⁻¹` (dense, `D² × D²`, [`crate::dense::liouvillian_dense`])
//! the resolvent functional of [`super`] is the sum over modes
//!
//! ```text
//! F(z) = Σ_k (wᵀ Q r_k)(l_kᵀ Q y) / (λ_k − z),   l_kᵀ the rows of R⁻¹,
//! ```
//!
//! a Lorentzian per mode; the steady-state mode (`λ = 0`) drops out
//! (`l_0ᵀ Q = 0`) and is skipped. Cost `O(D⁶)`: `D ≲ 15`.

use super::SpectrumKind;
use crate::dense::liouvillian_dense;
use crate::LindbladError;
use faer::linalg::solvers::{FullPivLu, SolveCore};
use faer::{Conj, Mat, MatMut, MatRef};
use num_complex::Complex64;
use sprs::CsMat;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// One mode of the dense decomposition: eigenvalue and residue
/// `(wᵀ Q r_k)(l_kᵀ Q y)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mode {
    /// Eigenvalue `λ_k` of `L`.
    pub lambda: Complex64,
    /// Residue of `F` at `λ_k`.
    pub residue: Complex64,
}

/// All eigenvalues of the dense `L` (`D²` of them).
///
/// # Errors
/// Invalid operators; the eigendecomposition failing.
pub fn dense_eigenvalues(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
) -> Result<Vec<Complex64>, LindbladError> {
    let l = liouvillian_dense(h, c_ops)?;
    l.eigenvalues()
        .map_err(|e| LindbladError::Numerical(format!("dense eigenvalues: {e:?}")))
}

fn vec_of(m: &Mat<Complex64>) -> Vec<Complex64> {
    let d = m.nrows();
    (0..d * d).map(|v| m[(v % d, v / d)]).collect()
}

fn to_dense(a: &CsMat<Complex64>, d: usize) -> Mat<Complex64> {
    let mut m = Mat::<Complex64>::zeros(d, d);
    for (v, (r, c)) in a.iter() {
        m[(r, c)] += *v;
    }
    m
}

/// The modes of `kind` for `⟨A(τ)B(0)⟩` with steady state `rho`: the
/// residues of `F` (module docs), steady-state mode excluded.
///
/// # Errors
/// Invalid operators; the eigendecomposition failing.
pub fn dense_modes(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
    rho: MatRef<'_, Complex64>,
    a: &CsMat<Complex64>,
    b: &CsMat<Complex64>,
    kind: SpectrumKind,
) -> Result<Vec<Mode>, LindbladError> {
    let d = h.rows();
    let l = liouvillian_dense(h, c_ops)?;
    let n = d * d;
    let eig = l
        .eigen()
        .map_err(|e| LindbladError::Numerical(format!("dense eigendecomposition: {e:?}")))?;
    let r = eig.U().to_owned();
    let lam: Vec<Complex64> = (0..n).map(|k| eig.S()[k]).collect();
    let rho_m = rho.to_owned();
    let bm = to_dense(b, d);
    let am = to_dense(a, d);
    let b_rho = vec_of(&(&bm * &rho_m));
    let rho_b = vec_of(&(&rho_m * &bm));
    let mut y: Vec<Complex64> = match kind {
        SpectrumKind::Spectrum => b_rho,
        SpectrumKind::Symmetrized => b_rho
            .iter()
            .zip(&rho_b)
            .map(|(&p, &q)| 0.5 * (p + q))
            .collect(),
        SpectrumKind::Commutator => b_rho.iter().zip(&rho_b).map(|(&p, &q)| q - p).collect(),
        SpectrumKind::Response => b_rho.iter().zip(&rho_b).map(|(&p, &q)| p - q).collect(),
    };
    let rho_v = vec_of(&rho_m);
    let trace = |x: &[Complex64]| (0..d).map(|i| x[i + d * i]).sum::<Complex64>();
    let ty = trace(&y);
    for (yi, &rv) in y.iter_mut().zip(&rho_v) {
        *yi -= rv * ty;
    }
    // w: Tr[A X] = Σ_v w_v X_v with X_cr at c + D r  ⇒  w_{c + D r} = A_rc
    let w: Vec<Complex64> = (0..n).map(|v| am[(v / d, v % d)]).collect();
    let a_mean: Complex64 = (0..n).map(|v| w[v] * rho_v[v]).sum();
    // coefficients c = R⁻¹ y
    let lu = FullPivLu::new(r.as_ref());
    let mut c = y.clone();
    lu.solve_in_place_with_conj(Conj::No, MatMut::from_column_major_slice_mut(&mut c, n, 1));
    let k0 = (0..n)
        .min_by(|&p, &q| lam[p].norm().total_cmp(&lam[q].norm()))
        .unwrap_or(0);
    let mut modes = Vec::with_capacity(n);
    for k in 0..n {
        if k == k0 && lam[k].norm() < 1e-9 {
            continue;
        }
        let rk = r.col(k);
        let mut wr = ZERO;
        let mut tr = ZERO;
        for v in 0..n {
            wr += w[v] * rk[v];
            if v % d == v / d {
                tr += rk[v];
            }
        }
        modes.push(Mode {
            lambda: lam[k],
            residue: (wr - a_mean * tr) * c[k],
        });
    }
    Ok(modes)
}

/// `kind` at `omegas` from [`dense_modes`]: `(re, im)` per frequency as in
/// [`super::CorrelationPlan::direct`].
///
/// # Errors
/// As [`dense_modes`].
#[allow(clippy::too_many_arguments)]
pub fn dense_spectrum(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
    rho: MatRef<'_, Complex64>,
    a: &CsMat<Complex64>,
    b: &CsMat<Complex64>,
    kind: SpectrumKind,
    omegas: &[f64],
) -> Result<Vec<Complex64>, LindbladError> {
    let modes = dense_modes(h, c_ops, rho, a, b, kind)?;
    Ok(omegas
        .iter()
        .map(|&om| {
            let z = super::CorrelationPlan::shift(kind, om);
            let f: Complex64 = modes.iter().map(|m| m.residue / (m.lambda - z)).sum();
            super::CorrelationPlan::value(kind, f)
        })
        .collect())
}
