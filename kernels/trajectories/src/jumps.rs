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
//! exact exponential `exp(−i H_eff τ)`: with `dt` the output spacing the dyadic
//! propagators `U_k = exp(−i H_eff dt/2ᵏ)`, `k = 0…K`, are formed once per point
//! ([`crate::expm`]: Taylor for the smallest, `‖H_eff‖₁ dt/2ᴷ ≤ ½`, squared
//! up), and `exp(−i H_eff τ)ψ` for any `0 ≤ τ ≤ dt` is the product of the
//! `U_k` of the binary digits of `⌊τ 2ᴷ/dt⌋` after a Taylor series for the
//! remainder (dense mat-vecs, `O(K D²)`).
//!
//! **Jump times.** `‖ψ(t)‖²` is non-increasing (`d‖ψ‖²/dt = −Σ‖C_kψ‖²`).
//! After each output step the norm is compared with `r`; when it fell below,
//! the crossing is located by a binary descent over the dyadic propagators
//! (one mat-vec per level) to a bracket of width `dt/2ᴷ`, then by Newton's
//! method on `‖ψ(s)‖² − r` safeguarded by bisection, to `|‖ψ‖² − r| ≤ 10⁻¹⁴ r`
//! or a bracket narrower than `JUMP_TIME_TOL · dt` (`10⁻¹²`).
//!
//! **Random draws** (stream of the trajectory, [`crate::rng`]): draw 0 the first
//! threshold; per jump, one draw for the channel, one for the next threshold.
//!
//! **Observables**: per output time, the expectation of each given Hermitian
//! operator, and the cumulative number of jumps; ensemble means and standard
//! errors in the fixed reduction order of [`crate::ensemble`].

use crate::ensemble::{self, Layout, Stats};
use crate::expm::{norm1, scaled, taylor_exp};
use crate::rng::Stream;
use crate::TrajectoryError;
use faer::Mat;
use mpi::traits::Communicator;
use num_complex::Complex64;
use qk_model::{LindbladSystem, Operator};

/// Width of the final bracket of a jump time, relative to the output spacing.
pub const JUMP_TIME_TOL: f64 = 1e-12;

type C = Complex64;

/// `y = A x` for a sparse `A` (any storage).
fn sparse_apply(a: &Operator, x: &[C], y: &mut [C]) {
    y.fill(C::new(0.0, 0.0));
    for (v, (i, j)) in a.iter() {
        y[i] += *v * x[j];
    }
}

fn dense_apply(a: &Mat<C>, x: &[C], y: &mut [C]) {
    y.fill(C::new(0.0, 0.0));
    for (j, &xj) in x.iter().enumerate() {
        if xj == C::new(0.0, 0.0) {
            continue;
        }
        let col = a.col(j);
        for (i, yi) in y.iter_mut().enumerate() {
            *yi += col[i] * xj;
        }
    }
}

fn norm_sq(x: &[C]) -> f64 {
    x.iter().map(|z| z.norm_sqr()).sum()
}

/// The no-jump propagators of one system and output spacing.
pub struct JumpPlan {
    dim: usize,
    /// `A = −i H_eff`.
    a: Mat<C>,
    /// `U_k = exp(A dt/2ᵏ)`, `k = 0…K`.
    u: Vec<Mat<C>>,
    c_ops: Vec<Operator>,
    dt: f64,
}

impl JumpPlan {
    /// Plans the evolution of `system` with output spacing `dt > 0`.
    ///
    /// # Errors
    /// [`TrajectoryError::InvalidInput`] for `dt ≤ 0`.
    pub fn new(system: &LindbladSystem, dt: f64) -> Result<Self, TrajectoryError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(TrajectoryError::InvalidInput(format!(
                "output spacing {dt} must be positive"
            )));
        }
        let d = system.dim();
        let mut a = Mat::<C>::zeros(d, d);
        for (v, (i, j)) in system.hamiltonian().iter() {
            a[(i, j)] += C::new(0.0, -1.0) * *v;
        }
        for c in system.collapse_ops() {
            // −½ C†C: (C†C)_ij = Σ_l conj(C_li) C_lj
            let dense = {
                let mut m = Mat::<C>::zeros(d, d);
                for (v, (i, j)) in c.iter() {
                    m[(i, j)] += *v;
                }
                m
            };
            let ctc = dense.adjoint() * &dense;
            a -= scaled(&ctc, 0.5);
        }
        let norm = norm1(&a) * dt;
        // ‖A‖₁ dt/2ᴷ ≤ 1/16: short Taylor series for the remainders
        let k = if norm > 1.0 / 16.0 {
            (norm * 16.0).log2().ceil() as usize
        } else {
            0
        };
        let smallest = taylor_exp(&scaled(&a, dt / 2f64.powi(k as i32)));
        let mut u = vec![smallest];
        for _ in 0..k {
            let last = u.last().expect("non-empty");
            u.push(last * last);
        }
        u.reverse(); // u[0] = exp(A dt)
        Ok(JumpPlan {
            dim: d,
            a,
            u,
            c_ops: system.collapse_ops().to_vec(),
            dt,
        })
    }

    /// Hilbert-space dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// `out = exp(A s) ψ` by its Taylor series (`‖A‖ s ≤ 1/16`).
    fn taylor_apply(&self, psi: &[C], s: f64, out: &mut Vec<C>, tmp: &mut Vec<C>) {
        out.clear();
        out.extend_from_slice(psi);
        if s == 0.0 {
            return;
        }
        let mut term = psi.to_vec();
        tmp.resize(self.dim, C::new(0.0, 0.0));
        for n in 1..60 {
            dense_apply(&self.a, &term, tmp);
            let f = s / n as f64;
            for (t, &x) in term.iter_mut().zip(tmp.iter()) {
                *t = x * f;
            }
            for (o, &t) in out.iter_mut().zip(term.iter()) {
                *o += t;
            }
            if norm_sq(&term) <= 1e-36 * norm_sq(out) {
                break;
            }
        }
    }

    fn finest(&self) -> f64 {
        self.dt / 2f64.powi((self.u.len() - 1) as i32)
    }

    /// `ψ ← exp(A τ) ψ` for `0 ≤ τ ≤ dt` (module docs); `tmp`, `tmp2` scratch.
    fn advance(&self, psi: &mut Vec<C>, tau: f64, tmp: &mut Vec<C>, tmp2: &mut Vec<C>) {
        let k = self.u.len() - 1;
        let finest = self.finest();
        let steps = ((tau / finest).floor().max(0.0) as u64).min(1u64 << k);
        let rest = tau - steps as f64 * finest;
        tmp.resize(self.dim, C::new(0.0, 0.0));
        if rest > 0.0 {
            self.taylor_apply(psi, rest, tmp2, tmp);
            std::mem::swap(psi, tmp2);
        }
        for bit in 0..=k {
            if steps >> bit & 1 == 1 {
                dense_apply(&self.u[k - bit], psi, tmp);
                psi.copy_from_slice(tmp);
            }
        }
    }

    /// The first time `s ∈ (0, tau]` with `‖exp(A s)ψ‖² = r`, given that it
    /// lies there, and the state then. Binary descent over the dyadic
    /// propagators (one mat-vec per level) to a bracket of width
    /// `dt/2ᴷ`, then safeguarded Newton on `f(s) = ‖ψ(s)‖² − r`
    /// (`f′ = 2 Re⟨ψ|Aψ⟩`) until `|f| ≤ 10⁻¹⁴ r` or the bracket is below
    /// [`JUMP_TIME_TOL`]` · dt`.
    fn find_jump(&self, psi: &[C], tau: f64, r: f64, ws: &mut [Vec<C>; 4]) -> (f64, Vec<C>) {
        let [cur, trial, tmp, phi] = ws;
        cur.clear();
        cur.extend_from_slice(psi);
        trial.resize(self.dim, C::new(0.0, 0.0));
        let mut lo = 0.0;
        for (l, u) in self.u.iter().enumerate() {
            let step = self.dt / 2f64.powi(l as i32);
            if lo + step > tau {
                continue;
            }
            dense_apply(u, cur, trial);
            if norm_sq(trial) > r {
                std::mem::swap(cur, trial);
                lo += step;
            }
        }
        let (mut a, mut b) = (0.0, self.finest().min(tau - lo));
        let mut s = 0.5 * b;
        for _ in 0..100 {
            self.taylor_apply(cur, s, phi, tmp);
            let f = norm_sq(phi) - r;
            if f.abs() <= 1e-14 * r || b - a <= JUMP_TIME_TOL * self.dt {
                break;
            }
            if f > 0.0 {
                a = s;
            } else {
                b = s;
            }
            dense_apply(&self.a, phi, tmp);
            let fp: f64 = 2.0
                * phi
                    .iter()
                    .zip(tmp.iter())
                    .map(|(x, y)| (x.conj() * y).re)
                    .sum::<f64>();
            let newton = s - f / fp;
            s = if fp < 0.0 && newton > a && newton < b {
                newton
            } else {
                0.5 * (a + b)
            };
        }
        (lo + s, phi.clone())
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
        let d = plan.dim;
        let mut stream = Stream::new(self.seed, self.point, index);
        let mut psi = self.initial.to_vec();
        let n0 = norm_sq(&psi).sqrt();
        psi.iter_mut().for_each(|z| *z /= n0);
        let (mut tmp, mut trial, mut scratch, mut scratch2) = (
            vec![C::new(0.0, 0.0); d],
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let mut ws: [Vec<C>; 4] = Default::default();
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
        record(0, &psi, &mut tmp, 0, &mut rec);
        let mut r = stream.uniform_open();
        let mut t = 0.0f64;
        for k in 1..self.times {
            let t_k = k as f64 * plan.dt;
            loop {
                let tau = (t_k - t).max(0.0);
                trial.clear();
                trial.extend_from_slice(&psi);
                plan.advance(&mut trial, tau, &mut scratch, &mut scratch2);
                if norm_sq(&trial) > r {
                    psi.copy_from_slice(&trial);
                    t = t_k;
                    break;
                }
                let (s, phi) = plan.find_jump(&psi, tau, r, &mut ws);
                psi = phi;
                t += s;
                // channel by ‖C_k ψ‖²
                let weights: Vec<f64> = plan
                    .c_ops
                    .iter()
                    .map(|c| {
                        sparse_apply(c, &psi, &mut tmp);
                        norm_sq(&tmp)
                    })
                    .collect();
                let total: f64 = weights.iter().sum();
                if !(total > 0.0 && total.is_finite()) {
                    return Err(TrajectoryError::Failed(format!(
                        "trajectory {index}: no channel can jump at t = {t} (total rate {total})"
                    )));
                }
                let u = stream.uniform() * total;
                let mut acc = 0.0;
                let mut channel = weights.len() - 1;
                for (c, w) in weights.iter().enumerate() {
                    acc += w;
                    if u < acc {
                        channel = c;
                        break;
                    }
                }
                sparse_apply(&plan.c_ops[channel], &psi, &mut tmp);
                let n = norm_sq(&tmp).sqrt();
                for (p, &x) in psi.iter_mut().zip(tmp.iter()) {
                    *p = x / n;
                }
                rec.jump_times.push(t);
                rec.channels.push(channel);
                r = stream.uniform_open();
            }
            record(k, &psi, &mut tmp, rec.jump_times.len(), &mut rec);
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
        if self.initial.len() != self.plan.dim || self.times < 1 || trajectories == 0 {
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
    use sprs::TriMat;

    fn op(d: usize, entries: &[(usize, usize, C)]) -> Operator {
        let mut t = TriMat::new((d, d));
        for &(i, j, v) in entries {
            t.add_triplet(i, j, v);
        }
        t.to_csc()
    }

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
}
