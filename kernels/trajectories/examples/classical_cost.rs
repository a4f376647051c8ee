//! Accuracy against cost of the integration between kicks in the light-particle
//! regime (m = 0.001, ε = 2, λ = 10, K1 = 1.8, K2 = 0): the table of the
//! `qk classical` README section.
//!
//! Sample periods: `T` trajectories (initial conditions of `qk classical`,
//! run seed 1, point 0) followed for `K` kicks with the reference integrator
//! (Yoshida4, 2^17 fixed substeps); every `E`-th period after a kick is a
//! sample. Each scheme integrates every sample period from the reference
//! state after the kick (so errors do not compound along the chaotic
//! trajectory; adaptive steppers keep their substep count from one period of
//! a trajectory to the next, as in `qk classical`). Reported: the largest and
//! the rms error of p1 at the end of the period against the reference, the
//! largest relative energy drift within a period (the quality figure), force
//! evaluations per period (redone periods included) and process CPU time per
//! period.
//!
//! "fold" is a plain velocity Verlet whose drift reflects at the walls inside
//! the step (no collision cut): a first-order error at each collision, the
//! baseline the seed's 10^5 fixed steps per period stand for.
//!
//!     cargo run --release -p qk-trajectories --example classical_cost -- [T K E]

use qk_trajectories::integrator::{free_flight, IntegratorOptions, Order, Pair, State, Stepper};
use qk_trajectories::rng::Stream;
use std::f64::consts::PI;

const K1: f64 = 1.8;
const PAIR: Pair = Pair {
    mass: 0.001,
    eps: 2.0,
    lambda: 10.0,
};

fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec pointer; the clock id is a constant of the platform.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + 1e-9 * t.tv_nsec as f64
}

/// Velocity Verlet with reflections inside the drift: `n` fixed steps.
fn fold_verlet(s: &mut State, n: u64) -> (f64, u64) {
    let h = 1.0 / n as f64;
    let h0 = PAIR.energy(s);
    let scale = 0.5 * s.p[0] * s.p[0] + 0.5 * s.p[1] * s.p[1] / PAIR.mass + PAIR.eps;
    let mut f = PAIR.force(s);
    let mut drift = 0.0f64;
    for _ in 0..n {
        s.p[0] += 0.5 * h * f;
        s.p[1] -= 0.5 * h * f;
        free_flight(&mut s.x[0], &mut s.p[0], 1.0, h);
        free_flight(&mut s.x[1], &mut s.p[1], PAIR.mass, h);
        f = PAIR.force(s);
        s.p[0] += 0.5 * h * f;
        s.p[1] -= 0.5 * h * f;
        drift = drift.max((PAIR.energy(s) - h0).abs());
    }
    (drift / scale, n + 1)
}

enum Scheme {
    Fold(u64),
    Fixed(Order, u64),
    Adaptive(Order, f64),
}

impl Scheme {
    fn name(&self) -> String {
        match self {
            Scheme::Fold(n) => format!("fold Verlet, {n} fixed steps"),
            Scheme::Fixed(o, n) => format!("cut {o:?}, {n} fixed steps"),
            Scheme::Adaptive(o, t) => format!("cut {o:?}, adaptive, tolerance {t:.0e}"),
        }
    }

    fn stepper(&self) -> Option<Stepper> {
        match *self {
            Scheme::Fold(_) => None,
            Scheme::Fixed(order, n) => Some(Stepper::new(
                PAIR,
                IntegratorOptions {
                    order,
                    min_substeps: n,
                    adaptive: false,
                    ..Default::default()
                },
            )),
            Scheme::Adaptive(order, tolerance) => Some(Stepper::new(
                PAIR,
                IntegratorOptions {
                    order,
                    tolerance,
                    ..Default::default()
                },
            )),
        }
    }
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("T K E: integers"))
        .collect();
    let (trajectories, kicks, every) = match args[..] {
        [] => (16, 40, 2),
        [t, k, e] => (t, k, e),
        _ => panic!("arguments: T K E"),
    };
    let reference = IntegratorOptions {
        order: Order::Yoshida4,
        min_substeps: 1 << 17,
        adaptive: false,
        ..Default::default()
    };
    // sample periods: (trajectory, start state after the kick, reference end state)
    let t0 = cpu_seconds();
    let mut samples: Vec<Vec<(State, State)>> = Vec::new();
    let mut ref_err = 0.0f64;
    for index in 0..trajectories {
        let mut stream = Stream::new(1, 0, index);
        let mut s = State {
            x: [PI * stream.uniform(), PI * stream.uniform()],
            p: [0.0, 0.0],
        };
        let mut stepper = Stepper::new(PAIR, reference);
        let mut list = Vec::new();
        for kick in 1..=kicks {
            s.p[0] += K1 * s.x[0].sin();
            let start = s;
            stepper.period(&mut s).expect("fixed steps never fail");
            if kick % every == 0 {
                list.push((start, s));
                if list.len() % 8 == 1 {
                    // reference accuracy: against half the substeps
                    let mut half = start;
                    PAIR.evolve(&mut half, 1.0, 1 << 16, Order::Yoshida4);
                    ref_err = ref_err.max((half.p[0] - s.p[0]).abs());
                }
            }
        }
        samples.push(list);
    }
    let periods: usize = samples.iter().map(Vec::len).sum();
    println!(
        "m = {}, eps = {}, lambda = {}, K1 = {K1}: {periods} sample periods ({trajectories} trajectories, every {every} of {kicks} kicks); \
         reference Yoshida4 2^17 substeps (|dp1| against 2^16: {ref_err:.1e}; {:.1} s CPU)\n",
        PAIR.mass,
        PAIR.eps,
        PAIR.lambda,
        cpu_seconds() - t0
    );
    println!("| scheme | max abs err p1 | rms err p1 | max rel. energy drift | forces/period | CPU µs/period |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let schemes = [
        Scheme::Fold(10_000),
        Scheme::Fold(100_000),
        Scheme::Fold(1_000_000),
        Scheme::Fixed(Order::Verlet, 1_000),
        Scheme::Fixed(Order::Verlet, 10_000),
        Scheme::Fixed(Order::Verlet, 100_000),
        Scheme::Fixed(Order::Yoshida4, 500),
        Scheme::Fixed(Order::Yoshida4, 2_000),
        Scheme::Fixed(Order::Yoshida4, 8_000),
        Scheme::Fixed(Order::Yoshida4, 32_000),
        Scheme::Fixed(Order::Yoshida6, 250),
        Scheme::Fixed(Order::Yoshida6, 1_000),
        Scheme::Fixed(Order::Yoshida6, 4_000),
        Scheme::Adaptive(Order::Yoshida4, 1e-4),
        Scheme::Adaptive(Order::Yoshida4, 1e-6),
        Scheme::Adaptive(Order::Yoshida4, 1e-8),
        Scheme::Adaptive(Order::Yoshida4, 1e-10),
        Scheme::Adaptive(Order::Yoshida6, 1e-8),
        Scheme::Adaptive(Order::Yoshida6, 1e-10),
    ];
    for scheme in &schemes {
        let (mut max_err, mut sq, mut drift, mut forces) = (0.0f64, 0.0, 0.0f64, 0u64);
        let t0 = cpu_seconds();
        for list in &samples {
            let mut stepper = scheme.stepper();
            for (start, end) in list {
                let mut s = *start;
                match (&mut stepper, scheme) {
                    (Some(st), _) => {
                        let before = st.forces;
                        if st.period(&mut s).is_err() {
                            drift = f64::INFINITY;
                        }
                        forces += st.forces - before;
                    }
                    (None, Scheme::Fold(n)) => {
                        let (d, f) = fold_verlet(&mut s, *n);
                        drift = drift.max(d);
                        forces += f;
                    }
                    _ => unreachable!(),
                }
                let e = (s.p[0] - end.p[0]).abs();
                max_err = max_err.max(e);
                sq += e * e;
            }
            if let Some(st) = &stepper {
                drift = drift.max(st.max_drift);
            }
        }
        let cpu = cpu_seconds() - t0;
        println!(
            "| {} | {max_err:.1e} | {:.1e} | {drift:.1e} | {:.0} | {:.0} |",
            scheme.name(),
            (sq / periods as f64).sqrt(),
            forces as f64 / periods as f64,
            1e6 * cpu / periods as f64
        );
    }
}
