//! Criterion benches of qk-trajectories.
//!
//! `jumps/*`: one quantum-jump trajectory of the dissipative LMG model at the
//! point of `scripts/bench_jumps_vs_qutip.py` (N = 100, h = 0.9, λ = 1,
//! Γa = 0.01, Γb = 0.2, from m = −j, 101 output times to t = 100: about 250
//! jumps), with the spectral no-jump exponential (the default here) and the
//! dyadic fallback; plus planning the point. Trajectory indices cycle so that
//! every sample runs a different trajectory of the same ensemble.
//!
//! Classical (`classical_period/…`): one period (kick + integration between
//! kicks with the default adaptive Yoshida4 stepper, tolerance 1e-8) of a
//! batch of 64 trajectories of `qk classical` (K1 = 1.8, λ = 10), each taken
//! after 5 warm-up kicks so that the steppers have adapted their substeps:
//!
//! - `classical_period/unperturbed`: ε = 0 (one exact free flight per period);
//! - `classical_period/m=1,eps=2`: the heavy partner;
//! - `classical_period/m=0.001,eps=2`: the light-particle regime (particle 2
//!   crosses the well ~30–100 times per period).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
use qk_model::{Complex64, LindbladSystem};
use qk_trajectories::classical::{ClassicalParams, Trajectory};
use qk_trajectories::integrator::IntegratorOptions;
use qk_trajectories::jumps::{JumpPlan, JumpRun};
use qk_trajectories::nojump::Method;
use std::hint::black_box;
use std::time::Duration;

fn lmg_system(n: usize) -> LindbladSystem {
    let p = LmgParams {
        n,
        h: 0.9,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    LindbladSystem::new(
        lmg_hamiltonian(&p).unwrap(),
        lmg_collapse_ops(&p).unwrap(),
        None,
    )
    .unwrap()
}

/// One quantum-jump trajectory (and the plan of its point).
fn jumps_trajectory(c: &mut Criterion) {
    let n = 100;
    let (times, dt) = (101, 1.0);
    let sys = lmg_system(n);
    let obs = qk_trajectories::lmg::observables(n).unwrap();
    let mut init = vec![Complex64::new(0.0, 0.0); n + 1];
    init[n] = Complex64::new(1.0, 0.0);
    let mut g = c.benchmark_group("jumps");
    g.sample_size(20);
    g.bench_function("plan_n100", |b| {
        b.iter(|| JumpPlan::new(black_box(&sys), dt).unwrap())
    });
    for (name, method) in [("spectral", Method::Spectral), ("dyadic", Method::Dyadic)] {
        let plan = JumpPlan::with_method(&sys, dt, Some(method)).unwrap();
        assert_eq!(plan.method(), method);
        let run = JumpRun {
            plan: &plan,
            initial: &init,
            observables: &obs,
            times,
            seed: qk_trajectories::rng::DEFAULT_SEED,
            point: 0,
        };
        let mut index = 0u64;
        g.bench_function(format!("trajectory_n100_{name}"), |b| {
            b.iter(|| {
                index = (index + 1) % 64;
                black_box(run.trajectory(index).unwrap())
            })
        });
    }
    g.finish();
}

fn classical_batch(mass: f64, eps: f64) -> Vec<Trajectory> {
    let params = ClassicalParams {
        mass,
        eps,
        k1: 1.8,
        k2: 0.0,
        lambda: 10.0,
        noise_width: 0.0,
        interaction: Default::default(),
        start: Default::default(),
    };
    (0..64)
        .map(|i| {
            let mut t = Trajectory::new(params, IntegratorOptions::default(), 1, 0, i);
            for _ in 0..5 {
                t.period().expect("warm-up period");
            }
            t
        })
        .collect()
}

fn classical_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("classical_period");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, mass, eps) in [
        ("unperturbed", 1.0, 0.0),
        ("m=1,eps=2", 1.0, 2.0),
        ("m=0.001,eps=2", 0.001, 2.0),
    ] {
        let batch = classical_batch(mass, eps);
        g.bench_function(name, |b| {
            b.iter_batched(
                || batch.clone(),
                |mut ts| {
                    for t in &mut ts {
                        t.period().expect("period");
                    }
                    black_box(ts)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(jumps, jumps_trajectory);
criterion_group!(classical, classical_benches);
criterion_main!(jumps, classical);
