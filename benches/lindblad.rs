//! Criterion benchmarks of the Lindblad steady-state kernel (qk-lindblad).
//!
//! - `lmg_solve/N`: one dissipative-LMG steady state (numeric LU + solve +
//!   quality figures) with the per-N plan built outside the timed loop;
//! - `lmg_plan/N`: building the plan (`LmgSolver::new`: assembly, pattern,
//!   COLAMD ordering, symbolic factorization).
//!
//! Seed parameters (λ = 1, Γa = 0.01, Γb = 0.2) at h = 0.5 (ordered phase).
//! Sample sizes are small so the whole bench runs in a couple of minutes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use qk_lindblad::{LmgParams, LmgSolver};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 3] = [50, 100, 200];

fn params(n: usize) -> LmgParams {
    LmgParams {
        n,
        h: 0.5,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    }
}

fn bench_solve(c: &mut Criterion) {
    let mut group = c.benchmark_group("lmg_solve");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for n in SIZES {
        let mut solver = LmgSolver::new(n).expect("plan");
        let p = params(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| black_box(solver.solve(black_box(p)).expect("solve")))
        });
    }
    group.finish();
}

fn bench_plan(c: &mut Criterion) {
    let mut group = c.benchmark_group("lmg_plan");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in SIZES {
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| black_box(LmgSolver::new(black_box(n)).expect("plan")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_solve, bench_plan);
criterion_main!(benches);
