//! Symplectic, time-reversible integration of two particles in the well
//! between kicks (PHYSICS.md §2, classical part).
//!
//! Between kicks the flow is that of
//!
//! ```text
//! H = p1²/2 + p2²/(2m) + V_w(x1) + V_w(x2) + ε U(x1 − x2),   U(r) = exp(−λ r²),
//! ```
//!
//! `V_w` the infinite well on `[0, π]`. It is split into `A = T + V_w`, whose
//! flow is solved exactly (free flight with specular reflections: unfold
//! `y = x + v t` onto the circle of length `2π`, `x = y` on `[0, π]`, else
//! `x = 2π − y` with `p → −p`), and `B = εU`, whose flow is a momentum kick
//! `Δp1 = −εU′(r) τ = 2ελ r e^{−λr²} τ`, `Δp2 = −Δp1` (`r = x1 − x2`).
//!
//! - [`Order::Verlet`]: Strang/velocity Verlet `B(h/2) A(h) B(h/2)`, second
//!   order;
//! - [`Order::Yoshida4`]: the triple jump `S(w1 h) S(w0 h) S(w1 h)`,
//!   `w1 = 1/(2 − 2^{1/3})`, `w0 = 1 − 2w1` (negative: the exact free flight
//!   runs backwards without harm), fourth order, three force evaluations per
//!   step.
//!
//! **Walls.** A kick applied across a reflection acts with the wrong sign on
//! the part of the step after it (`p` flips), a local error `O(h ε U′ p)`:
//! first order. Each Strang step is therefore cut at the wall collisions of
//! its free flight (collision times from the velocities at the start of the
//! piece), and every piece is a Strang step of its own; the local error per
//! collision is then `O(h²)` and the number of collisions per period does not
//! grow with the substeps, so both schemes stay convergent (Verlet second
//! order; the triple jump fourth order between collisions, second order at
//! them). The pieces are symplectic maps; the cut points depend on the state,
//! so time reversal (running a period with `p → −p`) returns the initial state
//! to the integration error rather than to round-off (tested).
//!
//! **Step control.** A period is integrated with `n` equal substeps; the
//! quality figure is the largest relative drift of `H` over the substeps,
//! `δ = max_s |H_s − H_0| / (p1²/2 + p2²/2m + |ε|)` (the denominator is the
//! period's kinetic energy plus the interaction scale, so that `δ` is relative
//! even when `H_0 ≈ 0`). If `δ` exceeds the tolerance the period is redone
//! from its initial state with `2n` substeps (up to `max_substeps`, beyond
//! which the trajectory fails); if `δ` is below `tolerance / 2^(order+1)` the
//! next period starts from `n/2` (down to `min_substeps`). A uniform step
//! within a period keeps each period's map symplectic and reversible; the
//! step adapts between periods to the light particle's speed.
//!
//! With `ε = 0` the period is one exact free flight (`δ = 0`).

use std::f64::consts::PI;

/// Order of the splitting scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Second-order Strang (velocity Verlet).
    Verlet,
    /// Fourth-order Yoshida triple jump.
    Yoshida4,
}

impl Order {
    /// Order of accuracy.
    pub fn order(self) -> u32 {
        match self {
            Order::Verlet => 2,
            Order::Yoshida4 => 4,
        }
    }

    /// Force evaluations per substep (the first half kick reuses the last).
    pub fn forces_per_step(self) -> u64 {
        match self {
            Order::Verlet => 1,
            Order::Yoshida4 => 3,
        }
    }
}

/// Step control between kicks (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntegratorOptions {
    /// Splitting scheme.
    pub order: Order,
    /// Largest relative energy drift accepted in a period.
    pub tolerance: f64,
    /// Substeps of the first period and lower bound.
    pub min_substeps: u64,
    /// Upper bound on the substeps per period; a period that needs more fails.
    pub max_substeps: u64,
    /// Adapt the substeps (otherwise always `min_substeps`, never redone).
    pub adaptive: bool,
}

impl Default for IntegratorOptions {
    fn default() -> Self {
        IntegratorOptions {
            order: Order::Yoshida4,
            tolerance: 1e-8,
            min_substeps: 8,
            max_substeps: 1 << 22,
            adaptive: true,
        }
    }
}

/// The interaction: `ε U(r)`, `U = exp(−λ r²)`, mass `m` of particle 2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// Mass of particle 2 (particle 1 has mass 1).
    pub mass: f64,
    /// Interaction strength ε.
    pub eps: f64,
    /// Range parameter λ.
    pub lambda: f64,
}

/// Positions and momenta of the two particles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    /// Positions in `[0, π]`.
    pub x: [f64; 2],
    /// Momenta.
    pub p: [f64; 2],
}

/// Exact free flight of one particle with speed `v = p/mass` for time `t`
/// (possibly negative) in the well `[0, π]` with specular walls.
pub fn free_flight(x: &mut f64, p: &mut f64, mass: f64, t: f64) {
    let y = (*x + (*p / mass) * t).rem_euclid(2.0 * PI);
    if y > PI {
        *x = 2.0 * PI - y;
        *p = -*p;
    } else {
        *x = y;
    }
}

impl Pair {
    /// `H` between kicks.
    pub fn energy(&self, s: &State) -> f64 {
        let r = s.x[0] - s.x[1];
        0.5 * s.p[0] * s.p[0]
            + 0.5 * s.p[1] * s.p[1] / self.mass
            + self.eps * (-self.lambda * r * r).exp()
    }

    /// Force on particle 1, `−εU′(x1 − x2)` (particle 2 feels the opposite).
    #[inline]
    pub fn force(&self, s: &State) -> f64 {
        let r = s.x[0] - s.x[1];
        2.0 * self.eps * self.lambda * r * (-self.lambda * r * r).exp()
    }

    fn drift(&self, s: &mut State, t: f64) {
        free_flight(&mut s.x[0], &mut s.p[0], 1.0, t);
        free_flight(&mut s.x[1], &mut s.p[1], self.mass, t);
    }

    fn kick(s: &mut State, f: f64, t: f64) {
        s.p[0] += f * t;
        s.p[1] -= f * t;
    }

    /// One Strang step `B(τ/2) A(τ) B(τ/2)` without wall collisions inside.
    #[inline]
    fn strang_piece(&self, s: &mut State, tau: f64) {
        Self::kick(s, self.force(s), 0.5 * tau);
        self.drift(s, tau);
        Self::kick(s, self.force(s), 0.5 * tau);
    }

    /// Signed time (in the direction of `tau`, at most `|tau|`) until the
    /// first wall collision of either particle under free flight, and which
    /// particle collides (`None` when none does within `|tau|`). A particle
    /// at a wall moving into it has been reflected by [`Pair::settle`].
    fn next_wall(&self, s: &State, tau: f64) -> (f64, Option<usize>) {
        let dir = tau.signum();
        let (mut t, mut who) = (tau.abs(), None);
        for (i, mass) in [(0, 1.0), (1, self.mass)] {
            let u = dir * s.p[i] / mass;
            if u == 0.0 {
                continue;
            }
            let tw = if u > 0.0 {
                (PI - s.x[i]) / u
            } else {
                s.x[i] / -u
            };
            if tw < t {
                (t, who) = (tw, Some(i));
            }
        }
        (dir * t, who)
    }

    /// Reflects now a particle that sits at a wall (within `1e-9 |tau|` of
    /// flight time) moving into it.
    fn settle(&self, s: &mut State, tau: f64) {
        let dir = tau.signum();
        let tiny = 1e-9 * tau.abs();
        for (i, mass) in [(0, 1.0), (1, self.mass)] {
            let u = dir * s.p[i] / mass;
            let into = (u > 0.0 && (PI - s.x[i]) < tiny * u) || (u < 0.0 && s.x[i] < tiny * -u);
            if into {
                s.p[i] = -s.p[i];
            }
        }
    }

    /// One Strang step over `h`, cut at the wall collisions (module docs):
    /// a piece ending at a collision is `B(τ/2) A(τ′) B(τ/2)` with `τ` the
    /// collision time at the piece's start velocity and `τ′` the one after the
    /// half kick (they differ by `O(τ² ε U′)`), the particle is left at the
    /// wall and reflected only after the second half kick.
    fn strang(&self, s: &mut State, h: f64) {
        let mut left = h;
        while left != 0.0 {
            self.settle(s, left);
            let (tau, who) = self.next_wall(s, left);
            let Some(i) = who else {
                self.strang_piece(s, left);
                return;
            };
            let f = self.force(s);
            Self::kick(s, f, 0.5 * tau);
            let (tau_d, who_d) = self.next_wall(s, left);
            let sign = s.p[i].signum();
            self.drift(s, tau_d);
            if who_d.is_some() && s.p[i].signum() != sign {
                // round-off carried it through the wall: back to its incoming side
                s.p[i] = -s.p[i];
            }
            let f = self.force(s);
            Self::kick(s, f, 0.5 * tau);
            left = if who_d.is_none() { 0.0 } else { left - tau_d };
        }
    }

    fn step(&self, s: &mut State, h: f64, order: Order) {
        match order {
            Order::Verlet => self.strang(s, h),
            Order::Yoshida4 => {
                let w1 = 1.0 / (2.0 - 2f64.cbrt());
                let w0 = 1.0 - 2.0 * w1;
                self.strang(s, w1 * h);
                self.strang(s, w0 * h);
                self.strang(s, w1 * h);
            }
        }
    }

    /// Evolves `s` for time `t` (of either sign) with `n` equal substeps;
    /// returns the largest relative energy drift (module docs).
    pub fn evolve(&self, s: &mut State, t: f64, n: u64, order: Order) -> f64 {
        if self.eps == 0.0 {
            self.drift(s, t);
            return 0.0;
        }
        let scale = 0.5 * s.p[0] * s.p[0] + 0.5 * s.p[1] * s.p[1] / self.mass + self.eps.abs();
        let h0 = self.energy(s);
        let h = t / n as f64;
        let mut drift = 0.0f64;
        for _ in 0..n {
            self.step(s, h, order);
            drift = drift.max((self.energy(s) - h0).abs());
        }
        drift / scale
    }
}

/// Adaptive integration of successive periods of one trajectory.
#[derive(Clone, Debug)]
pub struct Stepper {
    pair: Pair,
    options: IntegratorOptions,
    substeps: u64,
    /// Largest accepted drift so far.
    pub max_drift: f64,
    /// Substeps integrated so far, redone periods included.
    pub work: u64,
}

/// A period whose energy drift stays above the tolerance at the most substeps.
#[derive(Clone, Debug, PartialEq)]
pub struct StepFailure {
    /// Drift at `max_substeps`.
    pub drift: f64,
    /// Substeps tried last.
    pub substeps: u64,
}

impl Stepper {
    /// A stepper for one trajectory.
    pub fn new(pair: Pair, options: IntegratorOptions) -> Self {
        Stepper {
            pair,
            options,
            substeps: options.min_substeps.max(1),
            max_drift: 0.0,
            work: 0,
        }
    }

    /// Substeps the next period starts with.
    pub fn substeps(&self) -> u64 {
        self.substeps
    }

    /// Evolves `s` over one period (unit time) between kicks.
    pub fn period(&mut self, s: &mut State) -> Result<(), StepFailure> {
        let o = self.options;
        if self.pair.eps == 0.0 {
            self.pair.evolve(s, 1.0, 1, o.order);
            self.work += 1;
            return Ok(());
        }
        let start = *s;
        loop {
            let n = self.substeps;
            let drift = self.pair.evolve(s, 1.0, n, o.order);
            self.work += n;
            if !o.adaptive {
                self.max_drift = self.max_drift.max(drift);
                return Ok(());
            }
            if drift.is_finite() && drift <= o.tolerance {
                self.max_drift = self.max_drift.max(drift);
                if drift < o.tolerance / f64::from(1u32 << (o.order.order() + 1)) {
                    self.substeps = (n / 2).max(o.min_substeps.max(1));
                }
                return Ok(());
            }
            if n >= o.max_substeps {
                return Err(StepFailure { drift, substeps: n });
            }
            self.substeps = (2 * n).min(o.max_substeps);
            *s = start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> Pair {
        Pair {
            mass: 0.3,
            eps: 2.0,
            lambda: 10.0,
        }
    }

    fn state() -> State {
        State {
            x: [1.3, 1.5],
            p: [0.7, -2.1],
        }
    }

    #[test]
    fn free_flight_reflects_and_runs_backwards() {
        let (mut x, mut p) = (3.0, 1.0);
        free_flight(&mut x, &mut p, 1.0, 0.5);
        assert!(
            (x - (PI - 0.5 + (PI - 3.0))).abs() < 1e-14 && p == -1.0,
            "{x} {p}"
        );
        free_flight(&mut x, &mut p, 1.0, -0.5);
        assert!((x - 3.0).abs() < 1e-14 && p == 1.0);
        // many wall crossings: x stays inside, |p| conserved
        let (mut x, mut p) = (0.1, 1234.5);
        free_flight(&mut x, &mut p, 0.01, 1.0);
        assert!((0.0..=PI).contains(&x) && p.abs() == 1234.5);
    }

    #[test]
    fn both_orders_converge_at_their_order() {
        for order in [Order::Verlet, Order::Yoshida4] {
            let reference = {
                let mut s = state();
                pair().evolve(&mut s, 1.0, 1 << 14, Order::Yoshida4);
                s
            };
            let err = |n| {
                let mut s = state();
                pair().evolve(&mut s, 1.0, n, order);
                (s.p[0] - reference.p[0]).abs() + (s.x[0] - reference.x[0]).abs()
            };
            let (e1, e2) = (err(256), err(512));
            let rate = (e1 / e2).log2();
            // collisions cut the triple jump to second order at them
            assert!(rate > 1.7, "{order:?}: rate {rate} ({e1}, {e2})");
            assert!(e1 < 1e-3, "{order:?}: {e1}");
        }
    }

    #[test]
    fn energy_is_conserved_and_time_reversible() {
        for order in [Order::Verlet, Order::Yoshida4] {
            let mut s = state();
            let drift = pair().evolve(&mut s, 1.0, 4000, order);
            assert!(drift < 1e-6, "{order:?}: {drift}");
            // reverse momenta, run again: back to the start
            s.p = [-s.p[0], -s.p[1]];
            pair().evolve(&mut s, 1.0, 4000, order);
            let s0 = state();
            for i in 0..2 {
                assert!((s.x[i] - s0.x[i]).abs() < 1e-7, "{order:?} {s:?}");
                assert!((s.p[i] + s0.p[i]).abs() < 1e-7, "{order:?} {s:?}");
            }
        }
    }

    #[test]
    fn stepper_meets_its_tolerance_or_fails() {
        let light = Pair {
            mass: 0.001,
            eps: 2.0,
            lambda: 10.0,
        };
        let opts = IntegratorOptions {
            tolerance: 1e-9,
            ..Default::default()
        };
        let mut st = Stepper::new(light, opts);
        let mut s = State {
            x: [1.0, 2.0],
            p: [0.0, 0.05],
        };
        let h0 = light.energy(&s);
        for _ in 0..5 {
            st.period(&mut s).unwrap();
        }
        assert!(st.max_drift <= 1e-9 && st.max_drift > 0.0);
        assert!((light.energy(&s) - h0).abs() < 2e-8 * h0.max(2.0));
        let tight = IntegratorOptions {
            tolerance: 1e-15,
            max_substeps: 64,
            ..Default::default()
        };
        let r = Stepper::new(light, tight).period(&mut s);
        assert!(matches!(r, Err(StepFailure { substeps: 64, .. })), "{r:?}");
    }
}
