//! A frequency sweep by shift-invert Arnoldi ([`super::arnoldi`]): a few
//! factorizations of `L_b − σ` for a whole grid instead of one per
//! frequency.
//!
//! # Method
//!
//! With `K = (L_b − σ)⁻¹`, `K V_m = V_{m+1} H̄_m` from `v_0 = y/β` (`y = Q X`,
//! [`super`]) and `c = σ − z`, the resolvent is `(L_b − z)⁻¹ = K (I + cK)⁻¹`;
//! its Krylov approximation `x_m(z) = V_{m+1} H̄_m u`, `(I + c H_m) u = β e_0`,
//! has the residual
//!
//! ```text
//! y − (L_b − z) x_m = −c h_{m,m−1} u_{m−1} v_m,   ‖·‖₂ = |c| h_{m,m−1} |u_{m−1}|,
//! ```
//!
//! known without touching `L` (a posteriori, every frequency, `O(m²)` each).
//! `F(z) = (wᵀ V_{m+1})(H̄_m u) − ⟨A⟩ (tᵀ V_{m+1})(H̄_m u)`: `O(m²)` per
//! frequency once the two projections are formed.
//!
//! Shifts: `σ = z_c + δ` with `z_c` the centre of the longest run of
//! frequencies not yet converged and `δ > 0` real (`Re λ ≤ 0` for every
//! eigenvalue, so `|λ − σ| ≥ δ`: never a pole). The basis grows until the
//! estimated relative residual `|c| h |u_{m−1}| / β` of every frequency in
//! the run is below [`KrylovOptions::tol`] or `max_steps`; the converged
//! frequencies are then checked with their true backward error
//! ([`super::shifted`], one product with `L_b` each) and accepted below
//! [`super::shifted::BACKWARD_TOL`]; the others wait for the next shift.
//! An amplification above [`super::shifted::AMPLIFICATION_MAX`] (a pole)
//! fails the sweep naming the frequency, as in the direct solve.
//! After `max_shifts` the rest are solved directly (counted). Every
//! frequency's backward error is returned, whichever way it was computed.

use super::arnoldi::{hessenberg_shifted_solve, Arnoldi};
use super::correlation::{dot, with_context, CorrelationPlan, SpectrumValues};
use super::shifted::{AMPLIFICATION_MAX, BACKWARD_TOL};
use super::SpectrumKind;
use crate::LindbladError;
use num_complex::Complex64;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// Limits of the Krylov sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KrylovOptions {
    /// Accepted estimated relative residual `‖y − (L−z)x‖₂/‖y‖₂`.
    pub tol: f64,
    /// Largest basis per shift.
    pub max_steps: usize,
    /// Shifts before the remaining frequencies are solved directly.
    pub max_shifts: usize,
}

impl Default for KrylovOptions {
    fn default() -> Self {
        Self {
            tol: 1e-12,
            max_steps: 120,
            max_shifts: 12,
        }
    }
}

/// What the sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KrylovReport {
    /// Factorizations of `L_b − σ` (shifts).
    pub shifts: usize,
    /// Arnoldi steps over all shifts.
    pub steps: usize,
    /// Frequencies solved directly after the last shift.
    pub direct: usize,
}

/// `kind` at `omegas` by the Krylov sweep (module docs).
///
/// # Errors
/// A direct solve of a left-over frequency failing (named), solve
/// failures inside the Arnoldi process.
pub fn sweep(
    plan: &mut CorrelationPlan,
    kind: SpectrumKind,
    omegas: &[f64],
    options: KrylovOptions,
) -> Result<(SpectrumValues, KrylovReport), LindbladError> {
    let k = omegas.len();
    let mut report = KrylovReport::default();
    if !plan.coupled() {
        return Ok((plan.direct(kind, omegas)?, report));
    }
    let y = plan.rhs(kind);
    let mut out = SpectrumValues {
        re: vec![0.0; k],
        im: vec![0.0; k],
        backward_error: vec![0.0; k],
        amplification: vec![0.0; k],
    };
    if y.iter().all(|&v| v == ZERO) {
        return Ok((out, report));
    }
    let zs: Vec<Complex64> = omegas
        .iter()
        .map(|&o| CorrelationPlan::shift(kind, o))
        .collect();
    // frequencies in increasing order of Im z
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| zs[a].im.total_cmp(&zs[b].im));
    let mut done = vec![false; k];
    let span = {
        let lo = zs.iter().map(|z| z.im).fold(f64::INFINITY, f64::min);
        let hi = zs.iter().map(|z| z.im).fold(f64::NEG_INFINITY, f64::max);
        hi - lo
    };
    let norm_l = plan.block_ref().norm();
    while report.shifts < options.max_shifts {
        // longest run of pending frequencies (in sorted order)
        let (mut best, mut cur) = ((0usize, 0usize), None::<usize>);
        for (pos, &i) in order.iter().enumerate() {
            if !done[i] {
                let s = *cur.get_or_insert(pos);
                if pos + 1 - s > best.1 - best.0 {
                    best = (s, pos + 1);
                }
            } else {
                cur = None;
            }
        }
        if best.1 == best.0 {
            break;
        }
        let run: Vec<usize> = order[best.0..best.1].to_vec();
        let lo = zs[run[0]].im;
        let hi = zs[run[run.len() - 1]].im;
        let centre = 0.5 * (lo + hi);
        let width = (hi - lo).max(1e-3 * span).max(1e-12 * norm_l);
        let delta = (0.25 * width).max(1e-8 * norm_l.max(1.0));
        let sigma = Complex64::new(delta, centre) + Complex64::new(zs[run[0]].re, 0.0);
        report.shifts += 1;
        plan.block().factorize(sigma)?;
        let mut arn = Arnoldi::new(&y)?;
        let noop = |_: &mut [Complex64]| {};
        let mut est = vec![f64::INFINITY; run.len()];
        let mut us: Vec<Vec<Complex64>> = vec![Vec::new(); run.len()];
        loop {
            arn.step(plan.block(), &noop)?;
            report.steps += 1;
            let m = arn.steps();
            if !(m % 5 == 0 || arn.breakdown || m >= options.max_steps) {
                continue;
            }
            let hm = arn.square();
            let hsub = arn.last_subdiagonal();
            let mut all = true;
            for (r, &i) in run.iter().enumerate() {
                let c = sigma - zs[i];
                let mut u = vec![ZERO; m];
                u[0] = Complex64::new(arn.beta, 0.0);
                if !hessenberg_shifted_solve(&hm, m, c, &mut u) {
                    est[r] = f64::INFINITY;
                    all = false;
                    continue;
                }
                est[r] = c.norm() * hsub * u[m - 1].norm() / arn.beta;
                if est[r] > options.tol {
                    all = false;
                }
                us[r] = u;
            }
            if all || arn.breakdown || m >= options.max_steps {
                break;
            }
        }
        // H̄_m u, the approximations and their true residuals
        let m = arn.steps();
        let (w, t, a_mean) = plan.functional_parts();
        let nb = arn.v.len();
        let gw: Vec<Complex64> = arn.v.iter().map(|v| dot(w, v)).collect();
        let gt: Vec<Complex64> = arn.v.iter().map(|v| dot(t, v)).collect();
        let mut accepted = Vec::new();
        for (r, &i) in run.iter().enumerate() {
            if est[r] > options.tol {
                continue;
            }
            let u = &us[r];
            let mut hu = vec![ZERO; nb];
            for (j, col) in arn.h.iter().enumerate().take(m) {
                for (row, &hv) in col.iter().enumerate() {
                    if row < nb {
                        hu[row] += hv * u[j];
                    }
                }
            }
            let f = gw.iter().zip(&hu).map(|(&a, &b)| a * b).sum::<Complex64>()
                - a_mean * gt.iter().zip(&hu).map(|(&a, &b)| a * b).sum::<Complex64>();
            let x = arn.combine(&hu);
            accepted.push((i, f, x));
        }
        for (i, f, x) in accepted {
            let q = plan.block().quality(zs[i], &x, &y);
            if q.amplification > AMPLIFICATION_MAX {
                return Err(LindbladError::Singular(format!(
                    "shift {} is near-singular: ‖L−z‖‖x‖/‖b‖ = {:.1e} (a pole of the resolvent) at omega = {}",
                    zs[i], q.amplification, omegas[i]
                )));
            }
            if q.backward_error <= BACKWARD_TOL {
                let v = CorrelationPlan::value(kind, f);
                out.re[i] = v.re;
                out.im[i] = v.im;
                out.backward_error[i] = q.backward_error;
                out.amplification[i] = q.amplification;
                done[i] = true;
            }
        }
    }
    let rest: Vec<usize> = (0..k).filter(|&i| !done[i]).collect();
    report.direct = rest.len();
    if !rest.is_empty() {
        let om: Vec<f64> = rest.iter().map(|&i| omegas[i]).collect();
        let v = plan
            .direct(kind, &om)
            .map_err(|e| with_context(e, "(direct solve after the Krylov shifts)"))?;
        for (j, &i) in rest.iter().enumerate() {
            out.re[i] = v.re[j];
            out.im[i] = v.im[j];
            out.backward_error[i] = v.backward_error[j];
            out.amplification[i] = v.amplification[j];
        }
    }
    Ok((out, report))
}
