//! One kicked particle in the infinite well (PHYSICS.md §2, the noise
//! variant of seed 002 Fig. 3): the 1D split-operator propagation, with no
//! cost of a second dimension and a kick strength that may change from kick
//! to kick.
//!
//! ```text
//!     H = p²/(2m) + V_w(x) + K_n cos x Σ_n δ(t − n),   x ∈ [0, π],
//! ```
//!
//! `K_n = K + δK_n` given per period by the caller. State on the interior
//! grid `x_j = jπ/(n+1)`, `j = 1…n`, discrete normalisation `Σ|ψ_j|² = 1`;
//! the sine coefficients `c_k` of `φ_k = sqrt(2/π) sin(kx)` by the
//! orthonormal DST-I; `p_k = ħ k`, `E_k = ħ² k²/(2m)`. One period: the kick
//! `e^{−iK_n cos x/ħ}` in position space, then the exact free evolution
//! `e^{−iħk²/(2m)}` in sine space. The state rests in sine space between
//! periods (two DSTs per period). Serial by design: the realizations of a
//! noise ensemble are spread over the ranks, not the grid.

use crate::dst::Dst1;
use crate::error::Result;
use crate::propagator::tail_modes;
use num_complex::Complex64 as C64;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// Observables of the 1D state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observables1 {
    /// `⟨p²⟩ = Σ |c_k|² (ħk)²`.
    pub p_sq: f64,
    /// `Σ |c_k|²`.
    pub norm: f64,
    /// Population of the highest [`tail_modes`]`(n)` sine modes.
    pub tail: f64,
}

/// The 1D propagator: plan, tables and buffers built once.
#[derive(Debug)]
pub struct Propagator1 {
    n: usize,
    hbar: f64,
    mass: f64,
    dst: Dst1,
    /// `cos x_j / ħ`.
    cos_over_hbar: Vec<f64>,
    /// `e^{−iħk²/(2m)}`.
    free: Vec<C64>,
    /// Sine coefficients (orthonormal).
    c: Vec<C64>,
    work: Vec<C64>,
    scratch: Vec<C64>,
    /// `2/(n+1)`: the square of the orthonormal DST factor.
    norm2: f64,
    kicks: u64,
}

impl Propagator1 {
    /// Plan an `n`-point grid (`n ≥ 1`) for `hbar > 0`, `mass > 0`; the state
    /// is the ground state `φ_1`.
    pub fn new(n: usize, hbar: f64, mass: f64) -> Result<Self> {
        let bad = |name, value: f64, reason| crate::error::PropagatorError::InvalidInput {
            name,
            value: value.to_string(),
            reason,
        };
        if n < 1 {
            return Err(bad("n", n as f64, "need at least 1 grid point"));
        }
        if !(hbar.is_finite() && hbar > 0.0) {
            return Err(bad("hbar", hbar, "must be finite and > 0"));
        }
        if !(mass.is_finite() && mass > 0.0) {
            return Err(bad("mass", mass, "must be finite and > 0"));
        }
        let mut planner = FftPlanner::new();
        let dst = Dst1::new(n, &mut planner);
        let cos_over_hbar = (1..=n)
            .map(|j| (j as f64 * PI / (n + 1) as f64).cos() / hbar)
            .collect();
        let free = (1..=n)
            .map(|k| {
                let phi = -hbar * (k * k) as f64 / (2.0 * mass);
                C64::new(phi.cos(), phi.sin())
            })
            .collect();
        let mut p = Propagator1 {
            n,
            hbar,
            mass,
            work: vec![C64::default(); dst.work_len()],
            scratch: vec![C64::default(); dst.scratch_len()],
            dst,
            cos_over_hbar,
            free,
            c: vec![C64::default(); n],
            norm2: 2.0 / (n + 1) as f64,
            kicks: 0,
        };
        p.reset();
        Ok(p)
    }

    /// Back to the ground state `φ_1` (coefficient 1 on k = 1) at kick 0.
    pub fn reset(&mut self) {
        self.c.iter_mut().for_each(|v| *v = C64::default());
        self.c[0] = C64::new(1.0, 0.0);
        self.kicks = 0;
    }

    /// Grid points, ħ, mass.
    pub fn grid(&self) -> (usize, f64, f64) {
        (self.n, self.hbar, self.mass)
    }

    /// Periods applied since the last reset.
    pub fn kicks(&self) -> u64 {
        self.kicks
    }

    /// One period with kick strength `k`: kick, then free evolution.
    /// Allocates nothing.
    pub fn period(&mut self, k: f64) {
        // sine → position (unnormalised; the factor 2/(n+1) of the pair is
        // folded into the free phase below)
        self.dst
            .process(&mut self.c, &mut self.work, &mut self.scratch);
        for (v, &ch) in self.c.iter_mut().zip(&self.cos_over_hbar) {
            let phi = -k * ch;
            *v *= C64::new(phi.cos(), phi.sin());
        }
        self.dst
            .process(&mut self.c, &mut self.work, &mut self.scratch);
        let s = self.norm2;
        for (v, f) in self.c.iter_mut().zip(&self.free) {
            *v *= f * s;
        }
        self.kicks += 1;
    }

    /// Population of the highest [`tail_modes`]`(n)` sine modes (as
    /// [`Observables1::tail`]; `n/16` terms, cheap enough for every kick).
    pub fn tail(&self) -> f64 {
        self.c[self.n - tail_modes(self.n)..]
            .iter()
            .map(|v| v.norm_sqr())
            .sum()
    }

    /// Grow the grid to `n ≥` the current size, keeping the state: the sine
    /// coefficients `c_k` of `φ_k(x) = sqrt(2/π) sin(kx)` do not depend on the
    /// grid (the state is the same continuous function on any finer grid), so
    /// they are zero-padded to `k ≤ n` and the plan and tables are rebuilt for
    /// `n` (the kick counter carries over). Exact.
    pub fn grow(&mut self, n: usize) -> Result<()> {
        if n < self.n {
            return Err(crate::error::PropagatorError::InvalidInput {
                name: "n",
                value: n.to_string(),
                reason: "growing cannot shrink the grid",
            });
        }
        let mut grown = Propagator1::new(n, self.hbar, self.mass)?;
        grown.c[..self.n].copy_from_slice(&self.c);
        grown.kicks = self.kicks;
        *self = grown;
        Ok(())
    }

    /// The sine coefficients `c_k`, `k = 1…n`.
    pub fn coefficients(&self) -> &[C64] {
        &self.c
    }

    /// `P(k) = |c_k|²`, `k = 1…n` (momentum `p = ħk`).
    pub fn momentum(&self) -> impl Iterator<Item = f64> + '_ {
        self.c.iter().map(|v| v.norm_sqr())
    }

    /// `⟨p²⟩`, norm and tail population.
    pub fn observables(&self) -> Observables1 {
        let from = self.n - tail_modes(self.n);
        let (mut norm, mut m, mut tail) = (0.0, 0.0, 0.0);
        for (i, v) in self.c.iter().enumerate() {
            let w = v.norm_sqr();
            let k = (i + 1) as f64;
            norm += w;
            m += w * k * k;
            if i >= from {
                tail += w;
            }
        }
        Observables1 {
            p_sq: self.hbar * self.hbar * m,
            norm,
            tail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Serial1D;

    #[test]
    fn matches_the_naive_reference_and_conserves_the_norm() {
        for n in [1, 2, 7, 31, 40] {
            let (hbar, mass, k) = (0.3, 0.7, 1.8);
            let mut fast = Propagator1::new(n, hbar, mass).unwrap();
            let mut slow = Serial1D::new(n, hbar, mass, k);
            for _ in 0..6 {
                fast.period(k);
                slow.period();
                let o = fast.observables();
                assert!((o.norm - 1.0).abs() < 1e-13, "n {n}: norm {}", o.norm);
                let r = slow.p_sq();
                assert!(
                    (o.p_sq - r).abs() <= 1e-11 * (1.0 + r),
                    "n {n}: {} vs {r}",
                    o.p_sq
                );
            }
        }
    }

    #[test]
    fn growing_is_exact_while_the_tail_is_negligible() {
        // ħ = 0.3, K = 1.8: 6 kicks reach ~40 modes; 127 modes hold them
        // with a negligible tail, 255 from the start is the reference
        let (hbar, mass, k) = (0.3, 0.7, 1.8);
        let mut grown = Propagator1::new(127, hbar, mass).unwrap();
        let mut big = Propagator1::new(255, hbar, mass).unwrap();
        for kick in 0..12 {
            if kick == 6 {
                assert!(grown.tail() < 1e-30, "tail {}", grown.tail());
                let before = grown.observables();
                grown.grow(255).unwrap();
                assert_eq!(grown.grid().0, 255);
                assert_eq!(grown.kicks(), 6);
                let after = grown.observables();
                assert_eq!(after.norm, before.norm);
                assert_eq!(after.p_sq, before.p_sq);
            }
            grown.period(k);
            big.period(k);
        }
        let d = grown
            .coefficients()
            .iter()
            .zip(big.coefficients())
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max);
        assert!(d < 1e-12, "grown and big-from-the-start differ by {d:e}");
        assert!((grown.observables().norm - 1.0).abs() < 1e-13);
        assert!(grown.grow(100).is_err());
    }

    #[test]
    fn changing_kicks_are_applied() {
        let mut a = Propagator1::new(63, 0.2, 1.0).unwrap();
        let mut b = Propagator1::new(63, 0.2, 1.0).unwrap();
        a.period(1.8);
        b.period(1.9);
        assert!(a.observables().p_sq < b.observables().p_sq);
        a.reset();
        a.period(1.9);
        assert_eq!(a.observables(), b.observables());
    }
}
