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
//!   step;
//! - [`Order::Yoshida6`]: Yoshida's sixth-order seven-stage composition
//!   (solution A of H. Yoshida, Phys. Lett. A 150, 262 (1990)),
//!   `S(w3 h) S(w2 h) S(w1 h) S(w0 h) S(w1 h) S(w2 h) S(w3 h)`, seven force
//!   evaluations per step.
//!
//! **Walls.** A kick applied across a reflection acts with the wrong sign on
//! the part of the step after it (`p` flips), a local error `O(h ε U′ p)`:
//! first order. Each Strang step is therefore cut at the wall collisions of
//! its free flights: from the current state, with `F` the force there, a
//! piece `B(τ/2) A(τ) B(τ/2)` of particle `i` (velocity `u`, acceleration
//! `a = ±F/m_i`) ends on a wall `W` when `x + (u + aτ/2)τ = W`; `τ` is the
//! smallest positive root of that quadratic over both particles and both
//! walls (so the first particle to hit is found anew after every collision,
//! with the velocities the piece's half kick gives). The piece is taken, the
//! colliding particle is put exactly on `W`, and after the second half kick
//! it is reflected if it still moves outward; the rest of the step starts
//! over from there. A wall a particle sits on exactly is not an event again
//! (no zero-length pieces: a resting particle pushed outward is reflected by
//! the fold of the free flight instead), and a step has at most
//! `64 + 8⌈|h| Σ|v_i|/π⌉` pieces (beyond, the rest is one uncut piece,
//! counted in [`Evolution::capped`]; never seen in the tests). Each piece is a
//! Strang step of its own; the local error per collision is `O(h³)`, and the
//! number of collisions per period does not grow with the substeps, so both
//! schemes stay convergent (Verlet second order; the triple jump fourth order
//! between collisions, and at m = 0.001, where particle 2 crosses the well
//! ~100 times per period, the drift falls by 16 per halving of `h` —
//! tested). The pieces are symplectic maps; the cut points depend on the
//! state, so time reversal (running a period with `p → −p`) returns the
//! initial state to the integration error rather than to round-off (tested).
//! The force at the end of a piece is the one at the start of the next (first
//! same as last): one force evaluation per piece.
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
    /// Sixth-order Yoshida seven-stage composition.
    Yoshida6,
}

impl Order {
    /// Order of accuracy.
    pub fn order(self) -> u32 {
        match self {
            Order::Verlet => 2,
            Order::Yoshida4 => 4,
            Order::Yoshida6 => 6,
        }
    }

    /// Stage weights of the composition of Strang steps.
    pub fn weights(self) -> &'static [f64] {
        // w1 = 1/(2 − 2^{1/3}), w0 = 1 − 2 w1 (triple jump)
        const W4: [f64; 3] = [
            1.351_207_191_959_657_8,
            -1.702_414_383_919_315_3,
            1.351_207_191_959_657_8,
        ];
        // Yoshida (1990) solution A: w1, w2, w3 and w0 = 1 − 2(w1 + w2 + w3)
        const W1: f64 = -1.177_679_984_178_87;
        const W2: f64 = 0.235_573_213_359_357;
        const W3: f64 = 0.784_513_610_477_560;
        const W0: f64 = 1.0 - 2.0 * (W1 + W2 + W3);
        const W6: [f64; 7] = [W3, W2, W1, W0, W1, W2, W3];
        match self {
            Order::Verlet => &[1.0],
            Order::Yoshida4 => &W4,
            Order::Yoshida6 => &W6,
        }
    }

    /// Force evaluations per substep without collisions (the first half kick
    /// reuses the last).
    pub fn forces_per_step(self) -> u64 {
        match self {
            Order::Verlet => 1,
            Order::Yoshida4 => 3,
            Order::Yoshida6 => 7,
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

    /// One Strang step `B(τ/2) A(τ) B(τ/2)` without wall collisions inside;
    /// `f` is the force at the current state on entry and at the new one on
    /// return (first same as last).
    #[inline]
    fn strang_piece(&self, s: &mut State, tau: f64, f: &mut f64, ev: &mut Evolution) {
        Self::kick(s, *f, 0.5 * tau);
        self.drift(s, tau);
        *f = self.force(s);
        ev.forces += 1;
        Self::kick(s, *f, 0.5 * tau);
    }

    /// One Strang step over `h` (either sign), cut at the wall collisions of
    /// its free flights (module docs, "Walls"). Returns the number of
    /// collision pieces; `cap` bounds it (the rest of the step is then one
    /// uncut piece, counted in [`Evolution::capped`]).
    fn strang(&self, s: &mut State, h: f64, cap: u64, f: &mut f64, ev: &mut Evolution) {
        let dir = h.signum();
        let mut left = h.abs();
        let mut events = 0u64;
        while left > 0.0 {
            let mut hit: Option<(usize, f64, f64)> = None;
            if events < cap {
                let mut first = left;
                for (i, (mass, sign)) in [(1.0, 1.0), (self.mass, -1.0)].into_iter().enumerate() {
                    // forward-time velocity and the acceleration of the half kicks
                    let u = dir * s.p[i] / mass;
                    let a = sign * *f / mass;
                    if let Some((t, wall)) = wall_time(s.x[i], u, a, first) {
                        first = t;
                        hit = Some((i, t, wall));
                    }
                }
            } else if events == cap {
                ev.capped += 1;
            }
            let Some((i, tau, wall)) = hit else {
                self.strang_piece(s, dir * left, f, ev);
                break;
            };
            Self::kick(s, *f, 0.5 * dir * tau);
            let p_in = s.p[i];
            self.drift(s, dir * tau);
            // the piece ends on the wall: no fold of the colliding particle
            (s.x[i], s.p[i]) = (wall, p_in);
            *f = self.force(s);
            ev.forces += 1;
            Self::kick(s, *f, 0.5 * dir * tau);
            let outward = if wall > 0.0 {
                dir * s.p[i] > 0.0
            } else {
                dir * s.p[i] < 0.0
            };
            if outward {
                s.p[i] = -s.p[i];
            }
            events += 1;
            left -= tau;
        }
        ev.events += events;
        ev.max_events_per_step = ev.max_events_per_step.max(events);
    }

    fn step(&self, s: &mut State, h: f64, order: Order, f: &mut f64, ev: &mut Evolution) {
        // collisions the step can have at the current speeds, with ample room
        // for the speed changes within it; beyond them the step is not cut
        let speed = s.p[0].abs() + s.p[1].abs() / self.mass;
        let cap = 64 + 8 * (h.abs() * speed / PI).ceil() as u64;
        for &w in order.weights() {
            self.strang(s, w * h, cap, f, ev);
        }
    }

    /// Evolves `s` for time `t` (of either sign) with `n` equal substeps;
    /// returns the largest relative energy drift (module docs) and the
    /// collision counts.
    pub fn evolve(&self, s: &mut State, t: f64, n: u64, order: Order) -> Evolution {
        let mut ev = Evolution::default();
        if self.eps == 0.0 {
            self.drift(s, t);
            return ev;
        }
        let scale = 0.5 * s.p[0] * s.p[0] + 0.5 * s.p[1] * s.p[1] / self.mass + self.eps.abs();
        let h0 = self.energy(s);
        let h = t / n as f64;
        let mut drift = 0.0f64;
        let mut f = self.force(s);
        ev.forces += 1;
        for _ in 0..n {
            self.step(s, h, order, &mut f, &mut ev);
            drift = drift.max((self.energy(s) - h0).abs());
        }
        ev.drift = drift / scale;
        ev
    }
}

/// What [`Pair::evolve`] reports.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evolution {
    /// Largest relative energy drift over the substeps (module docs).
    pub drift: f64,
    /// Collision pieces (wall events) integrated.
    pub events: u64,
    /// Most collision pieces in one Strang step.
    pub max_events_per_step: u64,
    /// Strang steps whose collisions exceeded the cap (finished uncut).
    pub capped: u64,
    /// Force evaluations (the cost).
    pub forces: u64,
}

/// Time `τ ∈ (0, t_max)` at which a Strang piece of length `τ` (half kick of
/// acceleration `a`, drift `τ`, half kick) starting at `x` with velocity `u`
/// ends exactly on a wall: the smallest positive root of
/// `x + uτ + aτ²/2 = W`, `W ∈ {0, π}`, and that wall. A wall the particle
/// sits on exactly is skipped (its root `τ = 0` is the collision just
/// handled; an outward drift from it is left to the fold of the free flight,
/// so no zero-length piece is ever produced).
fn wall_time(x: f64, u: f64, a: f64, t_max: f64) -> Option<(f64, f64)> {
    let mut best: Option<(f64, f64)> = None;
    let mut limit = t_max;
    let mut consider = |t: f64, wall: f64| {
        if t > 0.0 && t < limit {
            limit = t;
            best = Some((t, wall));
        }
    };
    let half_a = 0.5 * a;
    for wall in [0.0, PI] {
        if x == wall {
            continue;
        }
        // roots of (a/2)τ² + uτ + c = 0 in the cancellation-free form
        let c = x - wall;
        if (half_a * t_max * t_max).abs() <= 1e-17 * (u * t_max).abs() {
            if u != 0.0 {
                consider(-c / u, wall);
            }
            continue;
        }
        let disc = u * u - 4.0 * half_a * c;
        if disc < 0.0 {
            continue;
        }
        let q = -0.5 * (u + disc.sqrt().copysign(u));
        if q != 0.0 {
            consider(q / half_a, wall);
            consider(c / q, wall);
        }
    }
    best
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
    /// Force evaluations so far, redone periods included.
    pub forces: u64,
    /// Most wall-collision pieces in one Strang step so far.
    pub max_events_per_step: u64,
    /// Strang steps whose collisions exceeded the cap (module docs).
    pub capped: u64,
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
            forces: 0,
            max_events_per_step: 0,
            capped: 0,
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
            let ev = self.pair.evolve(s, 1.0, n, o.order);
            let drift = ev.drift;
            self.work += n;
            self.forces += ev.forces;
            self.max_events_per_step = self.max_events_per_step.max(ev.max_events_per_step);
            self.capped += ev.capped;
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
            let drift = pair().evolve(&mut s, 1.0, 4000, order).drift;
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

    /// The light-particle regime (m = 0.001): particle 2 crosses the well
    /// about 95 times in the period, so the first particle to hit a wall
    /// changes many times within steps. The energy drift converges at the
    /// order of the scheme, every Strang step has at most two collision
    /// pieces, and none is capped.
    #[test]
    fn light_particle_drift_converges_with_bounded_events() {
        let light = Pair {
            mass: 0.001,
            eps: 2.0,
            lambda: 10.0,
        };
        let s0 = State {
            x: [1.0, 2.0],
            p: [0.5, 0.3],
        };
        let reference = {
            let mut s = s0;
            light.evolve(&mut s, 1.0, 1 << 16, Order::Yoshida4);
            s
        };
        for (order, ns, ratio) in [
            (Order::Yoshida4, [4096, 8192, 16384], 8.0),
            (Order::Verlet, [8192, 16384, 32768], 3.0),
        ] {
            let runs: Vec<(Evolution, f64)> = ns
                .iter()
                .map(|&n| {
                    let mut s = s0;
                    let ev = light.evolve(&mut s, 1.0, n, order);
                    let err = (0..2)
                        .map(|i| (s.x[i] - reference.x[i]).abs() + (s.p[i] - reference.p[i]).abs())
                        .sum::<f64>();
                    (ev, err)
                })
                .collect();
            for w in runs.windows(2) {
                let r = w[0].0.drift / w[1].0.drift;
                assert!(r > ratio, "{order:?}: drift ratio {r} ({:?})", runs);
            }
            for (ev, _) in &runs {
                assert!(ev.events >= 90, "{order:?}: {ev:?}");
                assert!(ev.max_events_per_step <= 2 && ev.capped == 0, "{ev:?}");
            }
            let (last, err) = runs[2];
            assert!(last.drift < 3e-5 && err < 1e-5, "{order:?}: {last:?} {err}");
        }
    }

    /// Degenerate collisions end: a particle resting on a wall and pushed
    /// into it, one a hair inside, both particles reaching their walls at the
    /// same time. The number of collision pieces per step stays bounded and
    /// the energy is conserved to the scheme's accuracy.
    #[test]
    fn degenerate_collisions_take_no_zero_length_steps() {
        let light = Pair {
            mass: 0.001,
            eps: 2.0,
            lambda: 10.0,
        };
        let cases = [
            // particle 2 at rest on the wall, repelled into it by particle 1
            State {
                x: [0.1, 0.0],
                p: [0.0, 0.0],
            },
            State {
                x: [0.1, 1e-300],
                p: [0.0, 0.0],
            },
            State {
                x: [PI - 0.05, PI],
                p: [0.0, 1e-3],
            },
            // simultaneous wall arrivals at t = 0.5
            State {
                x: [PI - 0.5, 0.5],
                p: [1.0, -1e-3],
            },
        ];
        for s0 in cases {
            for order in [Order::Verlet, Order::Yoshida4] {
                let mut s = s0;
                let ev = light.evolve(&mut s, 1.0, 4096, order);
                assert!(
                    ev.max_events_per_step <= 4 && ev.capped == 0,
                    "{s0:?}: {ev:?}"
                );
                assert!(ev.drift < 1e-3, "{s0:?} {order:?}: {ev:?}");
                assert!(s.x.iter().all(|x| (0.0..=PI).contains(x)), "{s:?}");
            }
        }
    }

    /// Without collisions each scheme converges at its order (a short
    /// interval with both particles in the interior, through the interaction).
    #[test]
    fn smooth_convergence_at_the_nominal_order() {
        let p = Pair {
            mass: 0.5,
            eps: 2.0,
            lambda: 10.0,
        };
        let s0 = State {
            x: [1.2, 1.6],
            p: [0.9, -0.4],
        };
        let t = 0.4;
        let end = |n, order| {
            let mut s = s0;
            let ev = p.evolve(&mut s, t, n, order);
            assert_eq!(ev.events, 0);
            s
        };
        let reference = end(4096, Order::Yoshida6);
        for order in [Order::Verlet, Order::Yoshida4, Order::Yoshida6] {
            let err = |n| {
                let s = end(n, order);
                (s.p[0] - reference.p[0]).abs() + (s.x[0] - reference.x[0]).abs()
            };
            let rate = (err(8) / err(16)).log2();
            let q = f64::from(order.order());
            assert!((rate - q).abs() < 0.6, "{order:?}: rate {rate}");
        }
    }
}
