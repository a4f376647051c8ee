//! Criterion benchmarks of the Lindblad steady-state kernel (qk-lindblad),
//! default path (real formulation, nested dissection, multifrontal LU), one
//! group per stage:
//!
//! - `lmg_symbolic/N`: building the plan (`LmgSolver::new`: assembly of the
//!   component Liouvillians, real system, nested-dissection tree, symbolic
//!   multifrontal analysis);
//! - `lmg_numeric/N/threads=T`: one numeric factorization (`factorize_only`)
//!   on T = 1, 2 threads;
//! - `lmg_substitute/N`: one forward/backward substitution with the factors;
//! - `lmg_solve/N` (N = 50 … 400): a whole steady state (numeric factorization, solve,
//!   refinement, observables and quality figures) with the plan built
//!   outside the timed loop;
//! - `lmg_solve_gmres/N`: the same with `SolveMethod::Gmres` (GMRES
//!   preconditioned by the single-precision factor);
//! - `lmg_solve_broken/N`: a whole steady state at h = 0.3, in the broken
//!   phase, where threshold pivoting delays pivots (the fronts that
//!   delay are refactorized pivot by pivot).
//!
//! Seed parameters (λ = 1, Γa = 0.01, Γb = 0.2) at h = 0.9 (normal phase,
//! near h₊ᶜ = 0.98) unless stated. Sample sizes are small so the whole
//! bench runs in a few minutes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use qk_lindblad::{LmgOrdering, LmgParams, LmgSolver, SolveMethod, SteadyStateOptions};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 3] = [100, 200, 400];
/// Whole steady states also at the small size of the seed's figures.
const SOLVE_SIZES: [usize; 4] = [50, 100, 200, 400];

fn params(n: usize) -> LmgParams {
    params_at(n, 0.9)
}

fn params_at(n: usize, h: f64) -> LmgParams {
    LmgParams {
        n,
        h,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    g
}

fn bench_symbolic(c: &mut Criterion) {
    let mut g = group(c, "lmg_symbolic");
    for n in SIZES {
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| black_box(LmgSolver::new(black_box(n)).expect("plan")))
        });
    }
    g.finish();
}

fn solver(n: usize, threads: usize, method: SolveMethod) -> LmgSolver {
    let options = SteadyStateOptions {
        threads,
        method,
        ..Default::default()
    };
    LmgSolver::with_ordering(n, options, LmgOrdering::NestedDissection).expect("plan")
}

fn bench_numeric(c: &mut Criterion) {
    let mut g = group(c, "lmg_numeric");
    for n in SIZES {
        for threads in [1, 2] {
            let mut solver = solver(n, threads, SolveMethod::Direct);
            let p = params(n);
            let id = BenchmarkId::new(n.to_string(), format!("threads={threads}"));
            g.bench_with_input(id, &p, |b, p| {
                b.iter(|| solver.factorize_only(black_box(p)).expect("factorize"))
            });
        }
    }
    g.finish();
}

fn bench_substitute(c: &mut Criterion) {
    let mut g = group(c, "lmg_substitute");
    for n in SIZES {
        let mut solver = LmgSolver::new(n).expect("plan");
        solver.factorize_only(&params(n)).expect("factorize");
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| solver.substitute_only().expect("substitute"))
        });
    }
    g.finish();
}

fn bench_solve(c: &mut Criterion) {
    let mut g = group(c, "lmg_solve");
    for n in SOLVE_SIZES {
        let mut solver = LmgSolver::new(n).expect("plan");
        let p = params(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| black_box(solver.solve(black_box(p)).expect("solve")))
        });
    }
    g.finish();
}

fn bench_solve_broken(c: &mut Criterion) {
    let mut g = group(c, "lmg_solve_broken");
    for n in SOLVE_SIZES {
        let mut solver = LmgSolver::new(n).expect("plan");
        let p = params_at(n, 0.3);
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| black_box(solver.solve(black_box(p)).expect("solve")))
        });
    }
    g.finish();
}

fn bench_solve_gmres(c: &mut Criterion) {
    let mut g = group(c, "lmg_solve_gmres");
    for n in SIZES {
        let mut solver = solver(n, 1, SolveMethod::Gmres);
        let p = params(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| black_box(solver.solve(black_box(p)).expect("solve")))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_symbolic,
    bench_numeric,
    bench_substitute,
    bench_solve,
    bench_solve_broken,
    bench_solve_gmres
);
criterion_main!(benches);
