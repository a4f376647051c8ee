//! Slow modes and the Liouvillian gap: the `k` eigenvalues of a block
//! `L_b` nearest a shift `σ` by shift-invert Arnoldi ([`super::arnoldi`])
//! on `K = (L_b − σ)⁻¹`, reusing the complex factorization of
//! [`super::ShiftedBlock`].
//!
//! Ritz pairs `(θ, s)` of `H_m` give `λ = σ + 1/θ` with Ritz vector
//! `x = V_m s`; the `k` of largest `|θ|` (nearest `σ`) are accepted when the
//! true relative residual `‖L_b x − λx‖∞ / (‖L_b‖∞ ‖x‖∞)` is below the
//! tolerance, checked every 10 steps; the basis grows until then (at most
//! `max_steps`, else a [`LindbladError::Numerical`] failure naming the
//! worst residual).
//!
//! The default shift `σ = δ > 0` is real and to the right of the spectrum
//! (`Re λ ≤ 0` for a Lindblad generator), so `L_b − σ` is never singular and
//! the eigenvalues nearest `σ` are those nearest 0. In the even block the
//! steady state (`λ = 0`) is deflated: `K` keeps the trace-zero subspace
//! (`tᵀ K = −tᵀ/σ`), so the basis starts in it and is projected back each
//! step; the eigenvalues returned are then the non-stationary ones. The gap
//! is the smallest `|Re λ|` among the returned eigenvalues of both blocks.

use super::arnoldi::Arnoldi;
use super::shifted::{inf_norm, ShiftedBlock};
use crate::LindbladError;
use faer::Mat;
use num_complex::Complex64;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// Options of [`slow_modes`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlowOptions {
    /// Eigenvalues wanted (≥ 1).
    pub k: usize,
    /// The shift `σ`.
    pub shift: Complex64,
    /// Accepted relative eigen-residual.
    pub tol: f64,
    /// Largest basis.
    pub max_steps: usize,
}

impl Default for SlowOptions {
    fn default() -> Self {
        Self {
            k: 4,
            shift: Complex64::new(1e-3, 0.0),
            tol: 1e-12,
            max_steps: 300,
        }
    }
}

/// Eigenvalues nearest the shift, nearest first, with their relative
/// residuals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlowModes {
    /// Eigenvalues `λ`.
    pub eigenvalues: Vec<Complex64>,
    /// `‖L_b x − λx‖∞ / (‖L_b‖∞ ‖x‖∞)` of each.
    pub residuals: Vec<f64>,
    /// Arnoldi steps taken.
    pub steps: usize,
}

/// The `k` eigenvalues of `block` nearest `options.shift` (module docs);
/// `deflate`: the trace functional of an even block (steady state
/// deflated), `None` for an odd block.
///
/// # Errors
/// `k = 0`; the shift on an eigenvalue; no convergence within `max_steps`.
pub fn slow_modes(
    block: &mut ShiftedBlock,
    deflate: Option<&[Complex64]>,
    options: SlowOptions,
) -> Result<SlowModes, LindbladError> {
    let n = block.len();
    if options.k == 0 {
        return Err(LindbladError::InvalidInput("k must be at least 1".into()));
    }
    let sigma = options.shift;
    block.factorize(sigma).map_err(|e| match e {
        LindbladError::Singular(m) => {
            LindbladError::Singular(format!("shift {sigma} is an eigenvalue of L ({m})"))
        }
        e => e,
    })?;
    let tt: f64 = deflate.map_or(0.0, |t| t.iter().map(|v| v.norm_sqr()).sum());
    let project = |x: &mut [Complex64]| {
        if let Some(t) = deflate {
            if tt > 0.0 {
                let c: Complex64 = t.iter().zip(x.iter()).map(|(a, b)| a.conj() * b).sum();
                let c = c / tt;
                for (xi, &ti) in x.iter_mut().zip(t) {
                    *xi -= c * ti;
                }
            }
        }
    };
    // deterministic start vector with every component present
    let mut start: Vec<Complex64> = (0..n)
        .map(|i| {
            let x = i as f64;
            Complex64::new(1.0 + 0.5 * (0.7 * x).sin(), 0.3 * (1.3 * x).cos())
        })
        .collect();
    project(&mut start);
    let max_steps = options
        .max_steps
        .min(n.saturating_sub(deflate.is_some() as usize))
        .max(1);
    let want = options.k.min(max_steps);
    let mut arn = Arnoldi::new(&start)?;
    let norm_l = block.norm();
    let mut ax = vec![ZERO; n];
    loop {
        arn.step(block, &project)?;
        let m = arn.steps();
        let last = arn.breakdown || m >= max_steps;
        if !(last || (m >= want + 10 && m % 10 == 0)) {
            continue;
        }
        let hm = arn.square();
        let hmat = Mat::<Complex64>::from_fn(m, m, |i, j| hm[i + m * j]);
        let eig = hmat
            .eigen()
            .map_err(|e| LindbladError::Numerical(format!("Ritz values: {e:?}")))?;
        let mut idx: Vec<usize> = (0..m).collect();
        idx.sort_by(|&a, &b| eig.S()[b].norm().total_cmp(&eig.S()[a].norm()));
        let mut result = SlowModes {
            steps: m,
            ..Default::default()
        };
        let mut worst = 0.0f64;
        for &i in idx.iter().take(want) {
            let theta = eig.S()[i];
            if theta.norm() == 0.0 {
                worst = f64::INFINITY;
                continue;
            }
            let lambda = sigma + Complex64::new(1.0, 0.0) / theta;
            let s: Vec<Complex64> = (0..m).map(|r| eig.U()[(r, i)]).collect();
            let x = arn.combine(&s);
            block.apply(lambda, &x, &mut ax);
            let res = inf_norm(&ax) / (norm_l.max(f64::MIN_POSITIVE) * inf_norm(&x));
            worst = worst.max(res);
            result.eigenvalues.push(lambda);
            result.residuals.push(res);
        }
        if worst <= options.tol {
            // nearest the shift first
            let mut pairs: Vec<(Complex64, f64)> = result
                .eigenvalues
                .iter()
                .copied()
                .zip(result.residuals.iter().copied())
                .collect();
            pairs.sort_by(|a, b| (a.0 - sigma).norm().total_cmp(&(b.0 - sigma).norm()));
            result.eigenvalues = pairs.iter().map(|p| p.0).collect();
            result.residuals = pairs.iter().map(|p| p.1).collect();
            return Ok(result);
        }
        if last {
            return Err(LindbladError::Numerical(format!(
                "slow modes: residual {worst:.1e} above {:.0e} after {m} Arnoldi steps",
                options.tol
            )));
        }
    }
}

/// The gap: the smallest `|Re λ|` over `eigenvalues` (`None` if empty).
pub fn gap(eigenvalues: &[Complex64]) -> Option<f64> {
    eigenvalues
        .iter()
        .map(|l| l.re.abs())
        .min_by(|a, b| a.total_cmp(b))
}
