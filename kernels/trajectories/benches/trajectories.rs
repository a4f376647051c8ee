//! Criterion benches of qk-trajectories.
//!
//! `jumps/*`: one quantum-jump trajectory of the dissipative LMG model at the
//! point of `scripts/bench_jumps_vs_qutip.py` (N = 100, h = 0.9, λ = 1,
//! Γa = 0.01, Γb = 0.2, from m = −j, 101 output times to t = 100: about 250
//! jumps), with the spectral no-jump exponential (the default here) and the
//! dyadic fallback; plus planning the point. Trajectory indices cycle so that
//! every sample runs a different trajectory of the same ensemble.

use criterion::{criterion_group, criterion_main, Criterion};
use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
use qk_model::{Complex64, LindbladSystem};
use qk_trajectories::jumps::{JumpPlan, JumpRun};
use qk_trajectories::nojump::Method;
use std::hint::black_box;

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

criterion_group!(jumps, jumps_trajectory);
criterion_main!(jumps);
