//! Grid sizes a propagation can trust: fast DST sizes, the grid chosen from
//! the classical momentum reach, and the resolution figures watched during a
//! run.
//!
//! # Fast sizes
//!
//! The DST-I of `n` points runs through a complex FFT of length `n + 1`
//! ([`crate::dst`]), so the fast sizes are `n = 2^a 3^b − 1` ([`fast_size`]).
//!
//! # Grid from the classical reach ([`auto_sizes`])
//!
//! Particle `i` gains per period the kick `K_i sin x_i` and the interaction
//! impulse `∓εU'(x1 − x2)`. With positions decorrelated from kick to kick
//! (the quasi-linear estimate of chaotic diffusion) its classical momentum
//! spreads as `⟨p_i²⟩(t) ≈ D_i t` with
//!
//! ```text
//!     D_i = K_i²/2 + ε² sqrt(λ/(2π)),
//! ```
//!
//! the second term the mean square of `εU'(r) = −2ελ r e^{−λr²}` for `x1`, `x2`
//! uniform in the well (the impulse of the `kicked` interaction; for the
//! continuous one it bounds the impulse of a period when the particles move
//! slowly and overestimates it when they move fast). It is capped by the hard
//! bound `t (|K_i| + |ε| sqrt(2λ/e))`. For the continuous interaction
//! particle 2's reach is also bounded by energy: its energy changes only
//! through particle 1's motion, so `p_2 ≤ 5 sqrt(2m|ε|) + 2m p_1 + ` (the
//! reach of its own kicks), whichever is smaller. The reach is `p_i = MARGIN · sqrt(D_i t)`
//! with [`MARGIN`] = 5 standard deviations of a Gaussian distribution, the
//! largest sine mode needed is `p_i/ħ + QUANTUM_MODES` (the ground state and
//! one kick's Bessel spread), and the grid holds it below its watched tail:
//! `n_i ≥ (p_i/ħ + QUANTUM_MODES) · 16/15`, rounded up to a fast size. The
//! quantum distribution is never wider than the classical one (dynamical
//! localisation only narrows it), so the estimate errs on the large side; the
//! tail check during the run ([`crate::Observables::tail1`]) grows it when it does not.
//!
//! # Growth during the run ([`start_sizes`], [`GROW_FRACTION`])
//!
//! Growing an axis is exact (the sine coefficients are zero-padded,
//! [`crate::Propagator::grow`], [`crate::single::Propagator1::grow`]), so an
//! `auto` axis starts small, from the reach after the first
//! [`START_KICKS`] kicks ([`start_sizes`]), and grows to the next fast size
//! at least twice as large ([`grown_size`]) as soon as its tail population
//! exceeds `GROW_FRACTION · tail_tol` (watched every kick,
//! [`crate::Propagator::period_watched`]). The sizes an axis can take are the
//! chain `start, grown_size(start), …` up to `max_n` ([`growth_cap`]); the
//! conservative [`auto_sizes`] of the whole run, rounded up in that chain
//! ([`growth_bound`]), is the upper estimate used for memory and the
//! momentum record. Why `GROW_FRACTION = 1/100`: growth happens while the
//! tail is still two decades below the tolerance the run must hold, so the
//! growth itself never needs the fallback (a restart on the grown grid) unless
//! the tail rises a hundredfold within one kick; on the new grid the watched
//! modes lie above `15n/8` of the old one, far beyond the populated range.
//!
//! # Strang step ([`strang_phase_error`])
//!
//! For the continuous interaction the splitting error of one Strang step of
//! length `dt` is `dt³ (‖[B,[B,A]]‖/12 + ‖[A,[A,B]]‖/24)` with `A = −iV/ħ`,
//! `B = −iT/ħ`; semiclassically `[T,[T,V]] → ħ² v² V''` and `[V,[V,T]] → ħ²
//! V'²(1 + 1/m)`, with `|U''| ≤ 2λ`, `U'² ≤ 2λ/e`. Over a period (`1/dt`
//! steps) the phase error is bounded by
//!
//! ```text
//!     δ = dt² [ |ε| λ v²/(6ħ) + ε² λ (1 + 1/m)/(12 e ħ) ],   v² = ⟨p1²⟩ + ⟨p2²⟩/m²,
//! ```
//!
//! `v` the rms relative velocity; `δ` is recorded per observation and the
//! substeps needed for `δ ≤ tol` scale as `S sqrt(δ/tol)`.

use crate::propagator::{Interaction, KickedParams};

/// Safety margin of the grid from the classical reach, in standard deviations.
pub const MARGIN: f64 = 5.0;

/// Sine modes added to the classical reach for the quantum widths.
pub const QUANTUM_MODES: f64 = 32.0;

/// Whether `n + 1` has no prime factor other than 2 and 3.
pub fn is_fast(n: usize) -> bool {
    let mut m = n + 1;
    for p in [2, 3] {
        while m % p == 0 {
            m /= p;
        }
    }
    m == 1
}

/// The smallest fast size `n ≥ min` (`n + 1 = 2^a 3^b`).
pub fn fast_size(min: usize) -> usize {
    let mut n = min.max(1);
    while !is_fast(n) {
        n += 1;
    }
    n
}

/// The next fast size at least twice as large (`n + 1` at least doubled).
pub fn grown_size(n: usize) -> usize {
    fast_size(2 * n + 1)
}

/// Kicks whose classical reach sizes the starting grid of an `auto` axis
/// ([`start_sizes`]); the grid grows from there during the run.
pub const START_KICKS: usize = 4;

/// Tail population, as a fraction of the run's tail tolerance, at which an
/// `auto` axis grows (module docs).
pub const GROW_FRACTION: f64 = 0.01;

/// The largest size of the growth chain `n, grown_size(n), …` that is
/// `≤ max_n` (`n` itself when even `n` exceeds it).
pub fn growth_cap(n: usize, max_n: usize) -> usize {
    let mut n = n;
    loop {
        let g = grown_size(n);
        if g > max_n || g <= n {
            return n;
        }
        n = g;
    }
}

/// The smallest size of the growth chain from `n` that is `≥ want`, capped
/// at [`growth_cap`]`(n, max_n)`.
pub fn growth_bound(n: usize, want: usize, max_n: usize) -> usize {
    let cap = growth_cap(n, max_n);
    let mut n = n;
    while n < want && n < cap {
        n = grown_size(n);
    }
    n.min(cap)
}

/// The grid an `auto` run starts on: the classical reach after
/// `min(kicks, START_KICKS)` kicks ([`auto_sizes`]).
pub fn start_sizes(p: &KickedParams, kicks: usize) -> (usize, usize) {
    auto_sizes(p, kicks.min(START_KICKS))
}

/// Quasi-linear classical diffusion estimates `(D_1, D_2)` (`⟨p_i²⟩ ≈ D_i t`)
/// and hard per-period bounds of the momentum gain (see the module docs).
pub fn classical_diffusion(p: &KickedParams) -> ([f64; 2], [f64; 2]) {
    let interaction_sq = p.eps * p.eps * (p.lambda / (2.0 * std::f64::consts::PI)).sqrt();
    let interaction_max = p.eps.abs() * (2.0 * p.lambda / std::f64::consts::E).sqrt();
    let d = [
        p.k1 * p.k1 / 2.0 + interaction_sq,
        p.k2 * p.k2 / 2.0 + interaction_sq,
    ];
    let hard = [p.k1.abs() + interaction_max, p.k2.abs() + interaction_max];
    (d, hard)
}

/// Classical momentum reach `(p_1, p_2)` after `kicks` periods.
pub fn momentum_reach(p: &KickedParams, kicks: usize) -> [f64; 2] {
    let (d, hard) = classical_diffusion(p);
    let t = kicks as f64;
    let mut r = [0, 1].map(|i| (MARGIN * (d[i] * t).sqrt()).min(hard[i] * t));
    if p.interaction == Interaction::Continuous {
        // particle 2 in the continuous interaction: its energy changes only
        // through the motion of particle 1 (a moving barrier of height ε):
        // p2²/2m ≲ |ε| plus the speed 2 v1 of a reflection off a barrier
        // moving at v1 ≤ p1 reach, on top of its own kicks.
        let own = (MARGIN * (p.k2 * p.k2 / 2.0 * t).sqrt()).min(p.k2.abs() * t);
        let energy = MARGIN * (2.0 * p.mass * p.eps.abs()).sqrt() + 2.0 * p.mass * r[0];
        r[1] = r[1].min(own + energy);
    }
    r
}

/// The fast grid size that holds momentum `reach` at `hbar` below the watched
/// tail (see the module docs).
pub fn size_for_reach(reach: f64, hbar: f64) -> usize {
    let modes = reach / hbar + QUANTUM_MODES;
    let n = (modes * 16.0 / 15.0).ceil();
    fast_size(if n.is_finite() && n < 1e12 {
        n as usize
    } else {
        usize::MAX / 4
    })
}

/// Grid sizes `(n1, n2)` from the classical reach after `kicks` periods.
pub fn auto_sizes(p: &KickedParams, kicks: usize) -> (usize, usize) {
    let r = momentum_reach(p, kicks);
    (size_for_reach(r[0], p.hbar), size_for_reach(r[1], p.hbar))
}

/// Bound of the Strang splitting phase error per period (module docs) for
/// the measured `⟨p1²⟩`, `⟨p2²⟩`; 0 for the kicked interaction (exact by
/// construction) or ε = 0.
pub fn strang_phase_error(p: &KickedParams, p1_sq: f64, p2_sq: f64) -> f64 {
    if p.interaction == Interaction::Kicked || p.eps == 0.0 {
        return 0.0;
    }
    let dt = p.dt();
    let v2 = p1_sq + p2_sq / (p.mass * p.mass);
    dt * dt
        * (p.eps.abs() * p.lambda * v2 / (6.0 * p.hbar)
            + p.eps * p.eps * p.lambda * (1.0 + 1.0 / p.mass)
                / (12.0 * std::f64::consts::E * p.hbar))
}

/// Substeps needed to bring a Strang error `err` measured with `substeps`
/// down to `tol` (error ∝ substeps⁻²).
pub fn substeps_for(err: f64, substeps: usize, tol: f64) -> usize {
    let f = (err / tol).sqrt() * substeps as f64;
    if f.is_finite() {
        f.ceil().max(substeps as f64 + 1.0) as usize
    } else {
        usize::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_sizes() {
        assert_eq!(fast_size(1), 1);
        assert_eq!(fast_size(60), 63);
        assert_eq!(fast_size(64), 71);
        assert_eq!(fast_size(500), 511);
        assert_eq!(grown_size(63), 127);
        assert_eq!(grown_size(71), 143);
        for n in [1, 2, 3, 5, 7, 8, 11, 15, 17, 23, 26, 31, 35, 47] {
            assert!(is_fast(n), "{n}");
        }
        for n in [4, 6, 9, 10, 12, 13, 14, 16] {
            assert!(!is_fast(n), "{n}");
        }
    }

    #[test]
    fn growth_chain_caps_and_bounds() {
        assert_eq!(growth_cap(63, 511), 511);
        assert_eq!(growth_cap(63, 500), 255);
        assert_eq!(growth_cap(600, 500), 600);
        assert_eq!(growth_bound(63, 200, 4095), 255);
        assert_eq!(growth_bound(63, 63, 4095), 63);
        assert_eq!(growth_bound(63, 100_000, 4095), 4095);
        let p = KickedParams::default();
        let (s1, _) = start_sizes(&p, 500);
        assert_eq!(start_sizes(&p, 500), auto_sizes(&p, START_KICKS));
        assert!(s1 < auto_sizes(&p, 500).0);
    }

    #[test]
    fn reach_grows_as_sqrt_time_and_sizes_as_one_over_hbar() {
        let p = KickedParams {
            eps: 0.0,
            ..KickedParams::default()
        };
        let a = momentum_reach(&p, 100)[0];
        let b = momentum_reach(&p, 400)[0];
        assert!((b / a - 2.0).abs() < 1e-12);
        // K = 1.8: D = 1.62, reach 5·sqrt(162) ≈ 63.6 at 100 kicks
        assert!((a - 5.0 * (1.62f64 * 100.0).sqrt()).abs() < 1e-9);
        let n1 = size_for_reach(a, 0.05);
        assert!(is_fast(n1) && n1 as f64 >= (a / 0.05 + 32.0) * 16.0 / 15.0);
        // one kick: the hard bound K·t wins
        assert!((momentum_reach(&p, 1)[0] - 1.8).abs() < 1e-12);
    }

    #[test]
    fn strang_error_falls_as_substeps_squared() {
        let mut p = KickedParams {
            substeps: 100,
            ..KickedParams::default()
        };
        let a = strang_phase_error(&p, 1.0, 1e-4);
        p.substeps = 200;
        let b = strang_phase_error(&p, 1.0, 1e-4);
        assert!((a / b - 4.0).abs() < 1e-12);
        let s = substeps_for(a, 100, a / 4.0);
        assert_eq!(s, 200);
        p.interaction = Interaction::Kicked;
        assert_eq!(strang_phase_error(&p, 1.0, 1.0), 0.0);
    }
}
