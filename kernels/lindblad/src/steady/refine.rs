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
//! continues from the current `x` ([`crate::krylov`]). Finally, with an
//! exact (unperturbed) factor, refinement with the residual accumulated in
//! double-double ([`super::extra_precise`]) takes the forward error from
//! `cond(A)·ε` to `ε`, so that every ordering and method gives the same
//! correctly rounded steady state. The report says what was done.

use super::engine::Engine;
use super::extra_precise::ExtraPreciseResidual;
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

/// At most this many refinement steps with the extra-precise residual: each
/// contracts the forward error by about `cond(A)·ε` (the nd factor of the LMG
/// systems up to N = 1000 needs one, COLAMD's sometimes two).
const EXTRA_PRECISE_STEPS: usize = 3;

/// What the solve of one point did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SolveReport {
    /// Refinement steps, working-precision and extra-precise together.
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
    extra: ExtraPreciseResidual,
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
            extra: ExtraPreciseResidual::new(n),
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

/// Refinement with the residual in double-double until the error left is
/// below one unit round-off of `x` (or the correction stops contracting, or
/// after [`EXTRA_PRECISE_STEPS`]); the number of steps taken. A correction of
/// relative size δ leaves an error of about δ² (the contraction factor of a
/// step is about the forward error it removes, both ≈ cond(A)·ε), so one step
/// suffices where the working-precision solution had δ ≤ 1e-8.
fn extra_precise_refinement<T: SystemScalar>(
    factor: &mut Engine<T>,
    a: SparseColMatRef<'_, usize, T>,
    b: &[T],
    x: &mut [T],
    dx: &mut [T],
    r: &mut [T],
    extra: &mut ExtraPreciseResidual,
) -> Result<usize, LindbladError> {
    let norm = |v: &[T]| v.iter().map(|z| z.magnitude()).fold(0.0, f64::max);
    let mut previous = f64::INFINITY;
    for step in 1..=EXTRA_PRECISE_STEPS {
        extra.compute(a, b, x, r);
        dx.copy_from_slice(r);
        factor.solve(a, dx)?;
        let d = norm(dx);
        if !d.is_finite() || d > 0.5 * previous {
            // not contracting: the previous iterate stands
            return Ok(step - 1);
        }
        for (xi, di) in x.iter_mut().zip(dx.iter()) {
            *xi += *di;
        }
        // the step's contraction factor is about the relative forward error
        // it corrected (both ≈ cond(A)·ε), so the error left is about
        // (d/‖x‖)·d: below a unit round-off of x, x is converged
        let x_norm = norm(x);
        if d * (d / x_norm) <= f64::EPSILON * x_norm {
            return Ok(step);
        }
        previous = d;
    }
    Ok(EXTRA_PRECISE_STEPS)
}

/// Numeric factorization of `A`, solve of `A x = w e_trace_row`, then:
///
/// - without perturbed pivots, iterative refinement while the normwise
///   backward error `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` exceeds
///   [`REFINE_TARGET`] and keeps halving (at most `max_steps` steps; a step
///   that does not lower it is undone);
/// - with perturbed pivots (the factor is that of a nearby matrix), or when
///   refinement stagnates above [`GMRES_TRIGGER`], GMRES preconditioned by
///   the factor from the current `x` ([`crate::krylov`]);
/// - with an exact factor, extra-precise refinement to a forward error of ε.
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
        extra,
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
    if direct && pivots.perturbed == 0 && be <= GMRES_TRIGGER {
        steps += extra_precise_refinement(factor, a, b, x, dx, r, extra)?;
        be = backward_error(a, a_norm, b, x, r);
    }
    Ok(SolveReport {
        refinement_steps: steps,
        krylov_iterations,
        pivots,
        backward_error: be,
    })
}
