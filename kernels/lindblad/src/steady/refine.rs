//! Solve stage of the steady state: iterative refinement on the
//! trace-constrained system, and GMRES on the factor where refinement
//! cannot help (perturbed pivots) or stagnates.
//!
//! With `x₀ = M⁻¹ b` from the factorization `M` of `A`, each refinement
//! step solves `M d = b − A x` and adds `d`, while the normwise backward
//! error `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` exceeds four unit round-offs
//! and at least halves (a step that does not lower it is undone). When the
//! factor is that of a perturbed matrix (static pivoting), or refinement
//! stops above `GMRES_TRIGGER`, restarted GMRES preconditioned by `M`
//! continues from the current `x` ([`crate::krylov`]). The report says what
//! was done.

use super::engine::Engine;
use crate::krylov::Gmres;
use crate::multifrontal::PivotReport;
use crate::scalar::SystemScalar;
use crate::LindbladError;
use faer::sparse::SparseColMatRef;

/// Backward error at which iterative refinement stops: four unit
/// round-offs. (A looser `1e-15` left 7e-11 in ⟨Jz⟩/j at N = 600, h = 0
/// with COLAMD, where the steady state is sensitive: one more step brings
/// it to the other orderings' value; the unit round-off itself made most
/// broken-phase points of the default solver, at 1e-16 – 4e-16, pay a step
/// for nothing measurable.)
const REFINE_TARGET: f64 = 2.0 * f64::EPSILON;

/// Backward error at which iterative refinement counts as stagnated and
/// GMRES on the factor takes over.
const GMRES_TRIGGER: f64 = 1e-14;

/// What the solve of one point did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SolveReport {
    pub refinement_steps: usize,
    pub krylov_iterations: usize,
    pub pivots: PivotReport,
    /// Final `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` of the trace-constrained system.
    pub backward_error: f64,
}

/// Vectors of the solve of a trace-constrained system of order `n`.
pub(crate) struct Work<T> {
    pub x: Vec<T>,
    dx: Vec<T>,
    r: Vec<T>,
    b: Vec<T>,
    rowsum: Vec<f64>,
    gmres: Gmres<T>,
}

impl<T: SystemScalar> Work<T> {
    pub fn new(n: usize) -> Self {
        let zero = T::from_f64(0.0);
        Self {
            x: vec![zero; n],
            dx: vec![zero; n],
            r: vec![zero; n],
            b: vec![zero; n],
            rowsum: vec![0.0; n],
            gmres: Gmres::new(20, 200, 1e-14),
        }
    }
}

/// `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)`, the residual left in `r`.
fn backward_error<T: SystemScalar>(
    a: SparseColMatRef<'_, usize, T>,
    a_norm: f64,
    b: &[T],
    x: &[T],
    r: &mut [T],
) -> f64 {
    let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
    r.copy_from_slice(b);
    for (c, &xc) in x.iter().enumerate() {
        for idx in cp[c]..cp[c + 1] {
            r[ri[idx]] -= v[idx] * xc;
        }
    }
    let r_norm = r.iter().map(|z| z.magnitude()).fold(0.0, f64::max);
    let x_norm = x.iter().map(|z| z.magnitude()).fold(0.0, f64::max);
    let b_norm = b.iter().map(|z| z.magnitude()).fold(0.0, f64::max);
    r_norm / (a_norm * x_norm + b_norm)
}

/// Numeric factorization of `A`, solve of `A x = w e_trace_row`, then:
///
/// - without perturbed pivots, iterative refinement while the normwise
///   backward error `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` exceeds
///   [`REFINE_TARGET`] and keeps halving (at most `max_steps` steps; a step
///   that does not lower it is undone);
/// - with perturbed pivots (the factor is that of a nearby matrix), or when
///   refinement stagnates above [`GMRES_TRIGGER`], GMRES preconditioned by
///   the factor from the current `x` ([`crate::krylov`]).
pub(crate) fn refine_solve<T: SystemScalar>(
    factor: &mut Engine<T>,
    a: SparseColMatRef<'_, usize, T>,
    trace_row: usize,
    w: f64,
    max_steps: usize,
    work: &mut Work<T>,
) -> Result<SolveReport, LindbladError> {
    let pivots = factor.factorize(a)?;
    let Work {
        x,
        dx,
        r,
        b,
        rowsum,
        gmres,
    } = work;
    let n = x.len();
    let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
    rowsum.fill(0.0);
    for c in 0..n {
        for idx in cp[c]..cp[c + 1] {
            rowsum[ri[idx]] += v[idx].magnitude();
        }
    }
    let a_norm = rowsum.iter().copied().fold(0.0, f64::max);
    let zero = T::from_f64(0.0);
    b.fill(zero);
    b[trace_row] = T::from_f64(w);
    x.copy_from_slice(b);
    factor.solve(a, x)?;
    let direct = factor.is_direct();
    if !x.iter().all(|&z| z.finite()) {
        if !(direct && pivots.perturbed > 0) {
            return Err(LindbladError::Singular(
                "factorization produced a non-finite solution (singular system)".into(),
            ));
        }
        x.fill(zero);
    }
    let mut steps = 0;
    let mut be = backward_error(a, a_norm, b, x, r);
    if pivots.perturbed == 0 {
        while be > REFINE_TARGET && steps < max_steps {
            dx.copy_from_slice(r);
            factor.solve(a, dx)?;
            for (xi, di) in x.iter_mut().zip(dx.iter()) {
                *xi += *di;
            }
            steps += 1;
            let be_new = backward_error(a, a_norm, b, x, r);
            if be_new.is_nan() || be_new >= be {
                // no gain: keep the previous iterate
                for (xi, di) in x.iter_mut().zip(dx.iter()) {
                    *xi -= *di;
                }
                break;
            }
            let halved = be_new < 0.5 * be;
            be = be_new;
            if !halved {
                break;
            }
        }
    }
    let mut krylov_iterations = factor.iterations();
    if direct && (pivots.perturbed > 0 || be > GMRES_TRIGGER) {
        let rep = gmres.solve(super::engine::csc(a), b, x, &mut |v| factor.solve(a, v))?;
        krylov_iterations += rep.iterations;
        be = backward_error(a, a_norm, b, x, r);
    }
    Ok(SolveReport {
        refinement_steps: steps,
        krylov_iterations,
        pivots,
        backward_error: be,
    })
}
