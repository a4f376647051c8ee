//! Quality figures of a steady state, and the checks that turn a bad
//! solution into an error instead of a number.
//!
//! From the block solution `x` of the trace-constrained system, the dense ρ
//! is formed, Hermitized, `ρ ← (ρ + ρ†)/2`, and normalized to `Tr ρ = 1`;
//! then ([`Quality`]):
//!
//! - `residual`: `‖L_e x‖_∞ / (‖L_e‖_∞ ‖x‖_∞)` for the final ρ restricted
//!   to the block, `‖·‖_∞` the max-modulus vector norm and the induced (max
//!   absolute row sum) matrix norm: the normwise backward error of `x` as a
//!   null vector of `L_e` (Rigal–Gaches). Outside the block ρ is zero and `L`
//!   does not couple the blocks, so this is also the residual of the full
//!   `L`;
//! - `trace`: real part of `Tr ρ` of the raw solution, before
//!   normalization (1 up to solver error);
//! - `hermiticity_error`: `‖ρ − ρ†‖_F / ‖ρ‖_F` of the raw solution;
//! - `min_eigenvalue`: smallest eigenvalue of the final ρ (dense Hermitian
//!   eigenvalues of each parity sector, ρ being block diagonal in the
//!   parity);
//! - `purity`: `Tr ρ² = Σ_ij |ρ_ij|²` of the final ρ;
//! - what the solver did: refinement steps, Krylov iterations, delayed and
//!   perturbed pivots, the backward error of the trace-constrained system.
//!
//! A non-finite solution or residual, a vanishing trace, a residual above
//! `residual_tol`, or a smallest eigenvalue below `−positivity_tol` (the
//! hallmark of a non-unique steady state, where a factorization returns an
//! arbitrary large null-space component) are errors, never numbers.

use super::refine::SolveReport;
use super::{SteadyState, SteadyStateOptions};
use crate::liouvillian::BlockLiouvillian;
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, MatRef, Par};
use num_complex::Complex64;

/// Quality figures of a steady state (see the module docs for definitions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quality {
    /// `‖L_e x‖_∞ / (‖L_e‖_∞ ‖x‖_∞)` of the final ρ.
    pub residual: f64,
    /// `Re Tr ρ` of the raw solution (before normalization).
    pub trace: f64,
    /// `‖ρ − ρ†‖_F / ‖ρ‖_F` of the raw solution.
    pub hermiticity_error: f64,
    /// Smallest eigenvalue of the final ρ.
    pub min_eigenvalue: f64,
    /// `Tr ρ²` of the final ρ.
    pub purity: f64,
    /// Iterative-refinement steps taken.
    pub refinement_steps: usize,
    /// GMRES iterations over all solves of the point: the Krylov method of
    /// [`super::SolveMethod::Gmres`], or GMRES on the direct factor after
    /// perturbed pivots or stagnating refinement (0 otherwise).
    pub krylov_iterations: usize,
    /// Pivots of the multifrontal LU eliminated at an ancestor of their
    /// node (threshold pivoting, [`crate::multifrontal::front`]; 0 for the other
    /// factorizations).
    pub delayed_pivots: usize,
    /// Pivots replaced by a small perturbation (static pivoting); the
    /// Krylov iterations then correct the perturbed factor.
    pub perturbed_pivots: usize,
    /// Final normwise backward error of the trace-constrained system.
    pub backward_error: f64,
}

/// Work vectors of [`assess`] (the block's order each).
pub(crate) struct QualityWork {
    pub x: Vec<Complex64>,
    dx: Vec<Complex64>,
    rowsum: Vec<f64>,
}

impl QualityWork {
    pub fn new(n: usize) -> Self {
        Self {
            x: vec![Complex64::new(0.0, 0.0); n],
            dx: vec![Complex64::new(0.0, 0.0); n],
            rowsum: vec![0.0; n],
        }
    }
}

/// The steady state and its quality figures from the block solution in
/// `work.x` (module docs); `values` are the block Liouvillian's.
///
/// # Errors
/// The checks of the module docs.
pub(crate) fn assess(
    pattern: &BlockLiouvillian,
    values: &[Complex64],
    diag_block: &[usize],
    sectors: &[Vec<usize>],
    options: &SteadyStateOptions,
    report: SolveReport,
    work: &mut QualityWork,
) -> Result<SteadyState, LindbladError> {
    let QualityWork { x, dx, rowsum } = work;
    let n = pattern.len();
    let d = pattern.dim();
    let steps = report.refinement_steps;
    let zero = Complex64::new(0.0, 0.0);

    // Dense ρ from the block solution.
    let vec_idx = pattern.vec_indices();
    let mut rho = Mat::<Complex64>::zeros(d, d);
    for (k, &v) in vec_idx.iter().enumerate() {
        rho[(v % d, v / d)] = x[k];
    }
    let mut tr = zero;
    for &k in diag_block {
        tr += x[k];
    }
    let (mut herm2, mut norm2) = (0.0f64, 0.0f64);
    for j in 0..d {
        for i in 0..d {
            herm2 += (rho[(i, j)] - rho[(j, i)].conj()).norm_sqr();
            norm2 += rho[(i, j)].norm_sqr();
        }
    }
    let hermiticity_error = if norm2 > 0.0 {
        (herm2 / norm2).sqrt()
    } else {
        0.0
    };
    if !tr.re.is_finite() || tr.re.abs() <= 1e-300 {
        return Err(LindbladError::Singular(format!(
            "solution has vanishing trace {tr}"
        )));
    }
    let inv_tr = 1.0 / tr.re;
    for j in 0..d {
        for i in 0..=j {
            let hij = (rho[(i, j)] + rho[(j, i)].conj()) * (0.5 * inv_tr);
            rho[(i, j)] = hij;
            rho[(j, i)] = hij.conj();
        }
    }
    for (k, &v) in vec_idx.iter().enumerate() {
        x[k] = rho[(v % d, v / d)];
    }

    // Residual of the block Liouvillian (values as given).
    rowsum.fill(0.0);
    dx.fill(zero);
    let (cp, ri) = (pattern.col_ptr(), pattern.row_idx());
    for c in 0..n {
        let xc = x[c];
        for idx in cp[c]..cp[c + 1] {
            let r = ri[idx];
            dx[r] += values[idx] * xc;
            rowsum[r] += modulus(values[idx]);
        }
    }
    let l_norm = rowsum.iter().copied().fold(0.0, f64::max);
    let r_norm = dx.iter().map(|&z| modulus(z)).fold(0.0, f64::max);
    let x_norm = x.iter().map(|&z| modulus(z)).fold(0.0, f64::max);
    let residual = r_norm / (l_norm * x_norm);
    if !residual.is_finite() || !rho.col_iter().all(|c| c.iter().all(|&z| is_finite(z))) {
        return Err(LindbladError::Numerical(
            "non-finite steady state or residual".into(),
        ));
    }
    if residual > options.residual_tol {
        return Err(LindbladError::Numerical(format!(
            "relative residual {residual:.2e} above tolerance {:.0e} after {steps} \
             refinement steps, {} Krylov iterations ({} delayed, {} perturbed pivots)",
            options.residual_tol,
            report.krylov_iterations,
            report.pivots.delayed,
            report.pivots.perturbed,
        )));
    }
    let purity = x.iter().map(|z| z.norm_sqr()).sum::<f64>();
    let min_eig = min_eigenvalue(rho.as_ref(), sectors)?;
    if min_eig < -options.positivity_tol {
        return Err(LindbladError::Singular(format!(
            "steady state not positive (smallest eigenvalue {min_eig:e}): \
             the steady state is probably not unique"
        )));
    }
    Ok(SteadyState {
        rho,
        quality: Quality {
            residual,
            trace: tr.re,
            hermiticity_error,
            min_eigenvalue: min_eig,
            purity,
            refinement_steps: steps,
            krylov_iterations: report.krylov_iterations,
            delayed_pivots: report.pivots.delayed,
            perturbed_pivots: report.pivots.perturbed,
            backward_error: report.backward_error,
        },
    })
}

/// Weight of the trace row (module docs): `min_i max_{r ≠ row of ρ_00}
/// |L_{r, ρ_ii}|` over the diagonal unknowns (block indices `diag_block`,
/// the first being the replaced row); 0 if some diagonal column is empty.
pub(crate) fn trace_weight(
    pattern: &BlockLiouvillian,
    values: &[Complex64],
    diag_block: &[usize],
) -> f64 {
    let (cp, ri) = (pattern.col_ptr(), pattern.row_idx());
    let replaced = diag_block[0];
    diag_block
        .iter()
        .map(|&c| {
            (cp[c]..cp[c + 1])
                .filter(|&idx| ri[idx] != replaced)
                .map(|idx| modulus(values[idx]))
                .fold(0.0, f64::max)
        })
        .fold(f64::INFINITY, f64::min)
}

/// `|z|` as `√(re² + im²)`: several times faster than `hypot` (`norm()`),
/// exact to an ulp or two, and safe for the finite, far-from-overflow
/// entries of a Liouvillian and its solution (checked finite before use).
pub(crate) fn modulus(z: Complex64) -> f64 {
    z.norm_sqr().sqrt()
}

pub(crate) fn is_finite(z: Complex64) -> bool {
    z.re.is_finite() && z.im.is_finite()
}

/// Smallest eigenvalue of the Hermitian matrix `rho` restricted to each index
/// set in `sectors` (sequential).
pub(crate) fn min_eigenvalue(
    rho: MatRef<'_, Complex64>,
    sectors: &[Vec<usize>],
) -> Result<f64, LindbladError> {
    let mut min = f64::INFINITY;
    for idx in sectors {
        let n = idx.len();
        if n == 0 {
            continue;
        }
        let sub = Mat::<Complex64>::from_fn(n, n, |a, b| rho[(idx[a], idx[b])]);
        let par = Par::Seq;
        let req = faer::linalg::evd::self_adjoint_evd_scratch::<Complex64>(
            n,
            faer::linalg::evd::ComputeEigenvectors::No,
            par,
            Default::default(),
        );
        let mut buf = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        let mut s = faer::diag::Diag::<Complex64>::zeros(n);
        faer::linalg::evd::self_adjoint_evd(
            sub.as_ref(),
            s.as_mut(),
            None,
            par,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .map_err(|e| LindbladError::Numerical(format!("eigenvalues of rho: {e:?}")))?;
        for k in 0..n {
            min = min.min(s.column_vector()[k].re);
        }
    }
    Ok(min)
}
