//! Initial positions of the classical kicked particles in the well `[0, π]`
//! (PHYSICS.md §2), each drawn from one uniform number `u ∈ [0, 1)` of the
//! trajectory's stream, so the draw layout of [`crate::classical`] is the
//! same for every choice.
//!
//! - [`Start::Uniform`] (PHYSICS.md's convention, the default): `x = π u`,
//!   density `1/π`.
//! - [`Start::Ground`]: the position marginal of the quantum initial state
//!   `φ1(x1) φ1(x2)`, `|φ1(x)|² = (2/π) sin² x`, by inverting its
//!   cumulative distribution
//!
//!   ```text
//!   F(x) = (x − sin x cos x)/π = u
//!   ```
//!
//!   (monotone on `[0, π]`; bisection to the last bit, about 54 halvings).
//!   The momentum stays `p = 0`: the quantum state's spread `⟨p²⟩ = ħ_eff²`
//!   (`p_k = ħ_eff k` on `L = π`) is below `3·10⁻³` at every seed ħ_eff and
//!   would tie the classical ensemble to ħ_eff. What this start changes is
//!   the first kicks: `⟨sin² x⟩` is `3/4` under `|φ1|²` against `1/2`
//!   uniformly, so the first kick gives `⟨p1²⟩ = (3/4) K1²` instead of
//!   `K1²/2`, as in the quantum run.

use std::f64::consts::PI;

/// Where the classical trajectories start (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Start {
    /// `x` uniform in `[0, π]`, `p = 0`.
    #[default]
    Uniform,
    /// `x` distributed as `(2/π) sin² x`, `p = 0`.
    Ground,
}

impl Start {
    /// The position in `[0, π]` of the uniform draw `u ∈ [0, 1)`.
    pub fn position(self, u: f64) -> f64 {
        match self {
            Start::Uniform => PI * u,
            Start::Ground => ground_quantile(u),
        }
    }
}

/// `x` with `(x − sin x cos x)/π = u` (the quantile of `(2/π) sin² x`).
fn ground_quantile(u: f64) -> f64 {
    let target = PI * u.clamp(0.0, 1.0);
    let (mut lo, mut hi) = (0.0f64, PI);
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            return mid;
        }
        if mid - mid.sin() * mid.cos() < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ground_quantile_inverts_the_distribution() {
        for i in 0..=1000 {
            let u = i as f64 / 1000.0;
            let x = Start::Ground.position(u);
            assert!((0.0..=PI).contains(&x));
            let f = (x - x.sin() * x.cos()) / PI;
            assert!((f - u).abs() < 1e-13, "u = {u}: F(x) = {f}");
        }
        // symmetric about π/2, and concentrated there against the uniform start
        assert!((Start::Ground.position(0.5) - PI / 2.0).abs() < 1e-14);
        assert!((Start::Ground.position(0.25) + Start::Ground.position(0.75) - PI).abs() < 1e-13);
        assert!(Start::Ground.position(0.25) > Start::Uniform.position(0.25));
    }

    #[test]
    fn ground_moments_are_those_of_sin_squared() {
        // midpoint rule over u: ⟨sin² x⟩ = 3/4, ⟨x⟩ = π/2 under (2/π) sin² x
        let n = 200_000;
        let (mut s2, mut mean) = (0.0, 0.0);
        for i in 0..n {
            let x = Start::Ground.position((i as f64 + 0.5) / n as f64);
            s2 += x.sin().powi(2);
            mean += x;
        }
        let (s2, mean) = (s2 / n as f64, mean / n as f64);
        assert!((s2 - 0.75).abs() < 1e-6, "⟨sin² x⟩ = {s2}");
        assert!((mean - PI / 2.0).abs() < 1e-9, "⟨x⟩ = {mean}");
    }
}
