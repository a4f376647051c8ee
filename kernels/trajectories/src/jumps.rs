//! Quantum-jump (Monte Carlo wave-function) ensembles of any Lindblad system
//! (`qk jumps`; PHYSICS.md §1 for the LMG model).
//!
//! # Method
//!
//! For `dρ/dt = −i[H, ρ] + Σ_k (C_k ρ C_k† − ½{C_k†C_k, ρ})` ([`LindbladSystem`],
//! QuTiP's convention) a trajectory evolves the unnormalised `ψ` under
//! `H_eff = H − (i/2) Σ_k C_k†C_k` until its squared norm falls to a threshold
//! `r` uniform in `(0, 1]`; then it jumps, `ψ → C_k ψ/‖C_k ψ‖` with channel
//! `k` chosen with probability `‖C_k ψ‖²/Σ_l ‖C_l ψ‖²`, and draws a new `r`.
//! Averages of `⟨ψ|O|ψ⟩/⟨ψ|ψ⟩` over trajectories converge to `Tr ρ(t) O`.
//!
//! **No-jump evolution.** `H_eff` is time independent, so the evolution is the
//! exact exponential `exp(−i H_eff s)`, planned once per point
//! ([`crate::nojump`]: the eigendecomposition of `H_eff` when it is well
//! conditioned, one dense mat-vec per evaluation at any time; dyadic
//! propagators otherwise).
//!
//! **Jump times.** `‖ψ(t)‖²` is non-increasing, `d‖ψ‖²/dt = −Σ_k‖C_kψ‖²`.
//! At each output time the norm is compared with `r`; when it fell below in
//! the step, the crossing is bracketed by the step and located by safeguarded
//! Newton on `f(s) = ‖ψ(s)‖² − r` (`f′` from the identity above, from the
//! bracket end of smaller `|f|`, bisection when the Newton point leaves the
//! bracket) to `|f| ≤ JUMP_NORM_TOL · r` (`10⁻¹³`) or a bracket narrower than
//! `JUMP_TIME_TOL · dt` (`10⁻¹²`).
//!
//! **Random draws** (stream of the trajectory, [`crate::rng`]): draw 0 the first
//! threshold; per jump, one draw for the channel, one for the next threshold.
//!
//! **Observables**: per output time, the expectation of each given Hermitian
//! operator, and the cumulative number of jumps; ensemble means and standard
//! errors in the fixed reduction order of [`crate::ensemble`].

use crate::ensemble::{self, Layout, Stats};
use crate::nojump::{norm_sq, sparse_apply, Cursor, Method, NoJump};
use crate::rng::Stream;
use crate::TrajectoryError;
use mpi::traits::Communicator;
use num_complex::Complex64;
use qk_model::{LindbladSystem, Operator};

/// Width of the final bracket of a jump time, relative to the output spacing.
pub const JUMP_TIME_TOL: f64 = 1e-12;

/// Relative accuracy `|‖ψ‖² − r| / r` of the norm at a jump.
pub const JUMP_NORM_TOL: f64 = 1e-13;

type C = Complex64;

/// The no-jump propagator and jump operators of one system and output spacing.
pub struct JumpPlan {
    nojump: NoJump,
    c_ops: Vec<Operator>,
}

impl JumpPlan {
    /// Plans the evolution of `system` with output spacing `dt > 0`.
    ///
    /// # Errors
    /// [`TrajectoryError::InvalidInput`] for `dt ≤ 0`.
    pub fn new(system: &LindbladSystem, dt: f64) -> Result<Self, TrajectoryError> {
        Self::with_method(system, dt, None)
    }

    /// As [`Self::new`], with the exponential's method forced (tests, benches).
    ///
    /// # Errors
    /// [`TrajectoryError::InvalidInput`] for `dt ≤ 0`.
    pub fn with_method(
        system: &LindbladSystem,
        dt: f64,
        method: Option<Method>,
    ) -> Result<Self, TrajectoryError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(TrajectoryError::InvalidInput(format!(
                "output spacing {dt} must be positive"
            )));
        }
        Ok(JumpPlan {
            nojump: NoJump::new(system, dt, method),
            c_ops: system.collapse_ops().to_vec(),
        })
    }

    /// Hilbert-space dimension.
    pub fn dim(&self) -> usize {
        self.nojump.dim()
    }

    /// The method of the no-jump exponential.
    pub fn method(&self) -> Method {
        self.nojump.method()
    }

    /// `Σ_k ‖C_k x‖²` with the terms in `weights`; `tmp` scratch.
    fn rates(&self, x: &[C], weights: &mut [f64], tmp: &mut [C]) -> f64 {
        for (w, c) in weights.iter_mut().zip(&self.c_ops) {
            sparse_apply(c, x, tmp);
            *w = norm_sq(tmp);
        }
        weights.iter().sum()
    }
}

/// Scratch of one trajectory (allocated once).
struct Work {
    base: Vec<C>,
    trial: Vec<C>,
    tmp: Vec<C>,
    weights: Vec<f64>,
}

impl JumpPlan {
    /// The first `s ∈ (0, tau]` with `‖ψ(base + s)‖² = r`, given
    /// `‖ψ(base)‖² > r ≥ ‖ψ(base + tau)‖²` (`w.base`, `w.trial`), by
    /// safeguarded Newton (module docs); leaves `ψ(base + s)` in `w.trial`.
    fn find_jump(&self, cur: &mut Cursor<'_>, tau: f64, r: f64, w: &mut Work) -> f64 {
        let dt = self.nojump.dt();
        let (mut a, mut fa) = (0.0, norm_sq(&w.base) - r);
        let mut ga = -self.rates(&w.base, &mut w.weights, &mut w.tmp);
        let (mut b, mut fb) = (tau, norm_sq(&w.trial) - r);
        let mut gb = -self.rates(&w.trial, &mut w.weights, &mut w.tmp);
        let mut s = b;
        for _ in 0..200 {
            let newton = |x: f64, f: f64, g: f64| {
                let n = x - f / g;
                (g < 0.0 && n > a && n < b).then_some(n)
            };
            let (first, second) = if fa.abs() <= fb.abs() {
                (newton(a, fa, ga), newton(b, fb, gb))
            } else {
                (newton(b, fb, gb), newton(a, fa, ga))
            };
            s = first.or(second).unwrap_or(0.5 * (a + b));
            cur.eval(s, &mut w.trial);
            let f = norm_sq(&w.trial) - r;
            if f.abs() <= JUMP_NORM_TOL * r {
                break;
            }
            let g = -self.rates(&w.trial, &mut w.weights, &mut w.tmp);
            if f > 0.0 {
                (a, fa, ga) = (s, f, g);
            } else {
                (b, fb, gb) = (s, f, g);
            }
            if b - a <= JUMP_TIME_TOL * dt {
                break;
            }
        }
        s
    }
}

/// One trajectory's outcome: expectation values per output time and jumps.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectoryRecord {
    /// `[observable][time]`, row-major.
    pub expectations: Vec<f64>,
    /// Cumulative number of jumps at each output time.
    pub jumps: Vec<f64>,
    /// Times of the jumps.
    pub jump_times: Vec<f64>,
    /// Channels of the jumps.
    pub channels: Vec<usize>,
}

/// What a jump ensemble computes at one point.
pub struct JumpRun<'a> {
    /// Propagators of the point's system.
    pub plan: &'a JumpPlan,
    /// Initial state (normalised inside).
    pub initial: &'a [C],
    /// Hermitian observables.
    pub observables: &'a [Operator],
    /// Number of output times `0, dt, …, (times−1) dt`.
    pub times: usize,
    /// Run seed.
    pub seed: u64,
    /// The point's stable index in the full grid.
    pub point: u64,
}

/// Ensemble means and standard errors.
#[derive(Clone, Debug, PartialEq)]
pub struct JumpResult {
    /// `[observable][time]` means.
    pub mean: Vec<f64>,
    /// Their standard errors.
    pub err: Vec<f64>,
    /// Mean cumulative jumps per time.
    pub jumps: Vec<f64>,
    /// Its standard error.
    pub jumps_err: Vec<f64>,
}

fn expectation(op: &Operator, psi: &[C], tmp: &mut [C]) -> f64 {
    sparse_apply(op, psi, tmp);
    let num: C = psi.iter().zip(tmp.iter()).map(|(a, b)| a.conj() * b).sum();
    num.re / norm_sq(psi)
}

impl JumpRun<'_> {
    /// Trajectory `index` (module docs).
    ///
    /// # Errors
    /// [`TrajectoryError::Failed`] if the state vanishes (a jump of zero rate).
    pub fn trajectory(&self, index: u64) -> Result<TrajectoryRecord, TrajectoryError> {
        let plan = self.plan;
        let (d, dt) = (plan.dim(), plan.nojump.dt());
        let mut stream = Stream::new(self.seed, self.point, index);
        let zero = || vec![C::new(0.0, 0.0); d];
        let mut w = Work {
            base: self.initial.to_vec(),
            trial: zero(),
            tmp: zero(),
            weights: vec![0.0; plan.c_ops.len()],
        };
        let n0 = norm_sq(&w.base).sqrt();
        w.base.iter_mut().for_each(|z| *z /= n0);
        let mut cur = plan.nojump.cursor();
        cur.set(&w.base);
        let nobs = self.observables.len();
        let mut rec = TrajectoryRecord {
            expectations: vec![0.0; nobs * self.times],
            jumps: vec![0.0; self.times],
            jump_times: Vec::new(),
            channels: Vec::new(),
        };
        let record =
            |k: usize, psi: &[C], tmp: &mut [C], jumps: usize, rec: &mut TrajectoryRecord| {
                for (o, op) in self.observables.iter().enumerate() {
                    rec.expectations[o * self.times + k] = expectation(op, psi, tmp);
                }
                rec.jumps[k] = jumps as f64;
            };
        record(0, &w.base, &mut w.tmp, 0, &mut rec);
        let mut r = stream.uniform_open();
        let mut t = 0.0f64;
        for k in 1..self.times {
            let t_k = k as f64 * dt;
            loop {
                let tau = (t_k - t).max(0.0);
                cur.eval(tau, &mut w.trial);
                if norm_sq(&w.trial) > r {
                    cur.shift(tau, &w.trial);
                    std::mem::swap(&mut w.base, &mut w.trial);
                    t = t_k;
                    break;
                }
                let s = plan.find_jump(&mut cur, tau, r, &mut w);
                t += s;
                // channel by ‖C_k ψ‖²
                let total = plan.rates(&w.trial, &mut w.weights, &mut w.tmp);
                if !(total > 0.0 && total.is_finite()) {
                    return Err(TrajectoryError::Failed(format!(
                        "trajectory {index}: no channel can jump at t = {t} (total rate {total})"
                    )));
                }
                let u = stream.uniform() * total;
                let mut acc = 0.0;
                let mut channel = w.weights.len() - 1;
                for (c, x) in w.weights.iter().enumerate() {
                    acc += x;
                    if u < acc {
                        channel = c;
                        break;
                    }
                }
                sparse_apply(&plan.c_ops[channel], &w.trial, &mut w.base);
                let n = norm_sq(&w.base).sqrt();
                w.base.iter_mut().for_each(|z| *z /= n);
                cur.set(&w.base);
                rec.jump_times.push(t);
                rec.channels.push(channel);
                r = stream.uniform_open();
            }
            record(k, &w.base, &mut w.tmp, rec.jump_times.len(), &mut rec);
        }
        Ok(rec)
    }

    /// Runs `trajectories` trajectories over the ranks of `comm`; the same
    /// (bit-identical for any rank count) result on every rank.
    ///
    /// # Errors
    /// Bad sizes, or a failed trajectory.
    pub fn run<Cm: Communicator>(
        &self,
        trajectories: u64,
        comm: &Cm,
    ) -> Result<JumpResult, TrajectoryError> {
        if self.initial.len() != self.plan.dim() || self.times < 1 || trajectories == 0 {
            return Err(TrajectoryError::InvalidInput(
                "initial state of the wrong dimension, no times or no trajectories".into(),
            ));
        }
        if norm_sq(self.initial) == 0.0 {
            return Err(TrajectoryError::InvalidInput(
                "initial state is zero".into(),
            ));
        }
        let t = self.times;
        let nobs = self.observables.len();
        let layout = Layout {
            values: (nobs + 1) * t,
            maxima: 0,
        };
        let s: Stats = ensemble::run(comm, trajectories, layout, |i, v, _| {
            let rec = self.trajectory(i)?;
            v[..nobs * t].copy_from_slice(&rec.expectations);
            v[nobs * t..].copy_from_slice(&rec.jumps);
            Ok(())
        })?;
        let err = s.stderrs();
        Ok(JumpResult {
            mean: s.mean[..nobs * t].to_vec(),
            err: err[..nobs * t].to_vec(),
            jumps: s.mean[nobs * t..].to_vec(),
            jumps_err: err[nobs * t..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::operator as op;

    /// A decaying qubit: the first jump happens exactly when e^{−γt} = r,
    /// i.e. at t = −ln(r)/γ with r the trajectory's draw 0.
    #[test]
    fn qubit_decay_is_exact_in_distribution() {
        let (gamma, w) = (0.7f64, 3.0f64);
        let re = |x: f64| C::new(x, 0.0);
        let h = op(2, &[(0, 0, re(0.5 * w)), (1, 1, re(-0.5 * w))]);
        let c = op(2, &[(1, 0, re(gamma.sqrt()))]);
        let sys = LindbladSystem::new(h, vec![c], None).unwrap();
        let plan = JumpPlan::new(&sys, 0.25).unwrap();
        let pe = op(2, &[(0, 0, re(1.0))]);
        let obs = [pe];
        let init = [re(1.0), re(0.0)];
        let run = JumpRun {
            plan: &plan,
            initial: &init,
            observables: &obs,
            times: 41,
            seed: 3,
            point: 9,
        };
        for i in 0..200 {
            let rec = run.trajectory(i).unwrap();
            let r = Stream::new(3, 9, i).uniform_open();
            let want = -r.ln() / gamma;
            if want < 10.0 {
                assert_eq!(rec.jump_times.len(), 1);
                assert!(
                    (rec.jump_times[0] - want).abs() < 1e-10,
                    "{} vs {want}",
                    rec.jump_times[0]
                );
            } else {
                assert!(rec.jump_times.is_empty());
            }
        }
        let (_g, comm) = crate::testing::mpi_self();
        let res = run.run(4000, &comm).unwrap();
        for k in 0..41 {
            let want = (-gamma * 0.25 * k as f64).exp();
            let e = res.err[k].max(1e-3);
            assert!(
                (res.mean[k] - want).abs() < 4.5 * e,
                "t={} {} vs {want}",
                k as f64 * 0.25,
                res.mean[k]
            );
        }
    }

    /// Kolmogorov–Smirnov: the first-jump times of a decaying qubit are
    /// distributed as `1 − e^{−γt}` (censored at `t_end`), for the streams of
    /// the ensemble (not only per draw as above): `√n D_n` below 1.95
    /// (significance 0.1 %).
    #[test]
    fn qubit_first_jump_times_pass_kolmogorov_smirnov() {
        let (gamma, w) = (1.3f64, 2.0f64);
        let re = |x: f64| C::new(x, 0.0);
        let h = op(2, &[(0, 0, re(0.5 * w)), (1, 1, re(-0.5 * w))]);
        let c = op(2, &[(1, 0, re(gamma.sqrt()))]);
        let sys = LindbladSystem::new(h, vec![c], None).unwrap();
        let (times, dt) = (21, 0.25);
        let t_end = dt * (times - 1) as f64;
        let plan = JumpPlan::new(&sys, dt).unwrap();
        assert_eq!(plan.method(), Method::Spectral);
        let init = [re(1.0), re(0.0)];
        let run = JumpRun {
            plan: &plan,
            initial: &init,
            observables: &[],
            times,
            seed: 11,
            point: 2,
        };
        let n = 3000u64;
        let mut first: Vec<f64> = (0..n)
            .map(|i| {
                let rec = run.trajectory(i).unwrap();
                assert!(
                    rec.jump_times.len() <= 1,
                    "a decayed qubit cannot jump again"
                );
                rec.jump_times.first().copied().unwrap_or(f64::INFINITY)
            })
            .collect();
        first.sort_by(f64::total_cmp);
        let cdf = |t: f64| 1.0 - (-gamma * t.min(t_end)).exp();
        let mut d: f64 = 0.0;
        for (k, &t) in first.iter().enumerate() {
            let f = cdf(t);
            let (lo, hi) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
            if t.is_finite() {
                d = d.max((f - lo).abs()).max((hi - f).abs());
            }
        }
        let never = first.iter().filter(|t| t.is_infinite()).count() as f64 / n as f64;
        let survive = (-gamma * t_end).exp();
        println!(
            "√n D_n = {:.3}, no jump: {never} vs {survive}",
            (n as f64).sqrt() * d
        );
        assert!((n as f64).sqrt() * d < 1.95, "D_n = {d}");
        assert!(
            (never - survive).abs() < 4.0 * (survive * (1.0 - survive) / n as f64).sqrt() + 1e-3
        );
    }

    /// The spectral and the dyadic exponentials give the same trajectories
    /// (jump times and channels) for the LMG model.
    #[test]
    fn spectral_and_dyadic_trajectories_agree() {
        use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
        let p = LmgParams {
            n: 6,
            h: 0.8,
            lambda: 1.0,
            gamma_a: 0.1,
            gamma_b: 0.4,
        };
        let sys = LindbladSystem::new(
            lmg_hamiltonian(&p).unwrap(),
            lmg_collapse_ops(&p).unwrap(),
            None,
        )
        .unwrap();
        let obs = crate::lmg::observables(p.n).unwrap();
        let mut init = vec![C::new(0.0, 0.0); p.n + 1];
        init[p.n] = C::new(1.0, 0.0);
        let plans = [Method::Spectral, Method::Dyadic]
            .map(|m| JumpPlan::with_method(&sys, 0.7, Some(m)).unwrap());
        assert_eq!(plans[0].method(), Method::Spectral);
        let runs = plans.each_ref().map(|plan| JumpRun {
            plan,
            initial: &init,
            observables: &obs,
            times: 30,
            seed: 5,
            point: 1,
        });
        let mut jumps = 0;
        for i in 0..40 {
            let [a, b] = runs.each_ref().map(|r| r.trajectory(i).unwrap());
            assert_eq!(a.channels, b.channels, "trajectory {i}");
            jumps += a.jump_times.len();
            for (x, y) in a.jump_times.iter().zip(&b.jump_times) {
                assert!((x - y).abs() < 1e-9, "trajectory {i}: {x} vs {y}");
            }
            for (x, y) in a.expectations.iter().zip(&b.expectations) {
                assert!((x - y).abs() < 1e-9, "trajectory {i}: {x} vs {y}");
            }
        }
        assert!(jumps > 100, "{jumps}");
    }
}
