//! Criterion benchmarks of the trajectory kernels.
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
use qk_trajectories::classical::{ClassicalParams, Trajectory};
use qk_trajectories::integrator::IntegratorOptions;
use std::hint::black_box;
use std::time::Duration;

fn classical_batch(mass: f64, eps: f64) -> Vec<Trajectory> {
    let params = ClassicalParams {
        mass,
        eps,
        k1: 1.8,
        k2: 0.0,
        lambda: 10.0,
        noise_width: 0.0,
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

criterion_group!(classical, classical_benches);
criterion_main!(classical);
