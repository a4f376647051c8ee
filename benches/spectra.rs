//! Criterion benchmarks of the spectra kernel (qk_lindblad::spectra), one
//! group per stage, at the seed-001 Fig. 3 parameters (λ = 1, Γa = 0.01,
//! Γb = 0.05, h = 0.5), S_{J+J−}:
//!
//! - `spectrum_shifted_factorization/N`: one numeric factorization of the
//!   complex odd block `L_o − iω` (multifrontal LU on the geometric
//!   nested-dissection tree; plan built outside the loop);
//! - `spectrum_sweep_krylov/N`: a whole 200-frequency sweep on [−3, 3] by
//!   shift-invert Arnoldi (factorizations, Arnoldi steps, residual checks);
//! - `spectrum_sweep_direct/N`: the same grid by one factorization per
//!   frequency (N = 50 only: the reference the Krylov sweep replaces).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use qk_lindblad::spectra::krylov::{sweep, KrylovOptions};
use qk_lindblad::spectra::lmg::{lmg_correlation_plan, LmgOperator};
use qk_lindblad::spectra::{CorrelationPlan, SpectrumKind};
use qk_lindblad::{Complex64, LmgParams, LmgSolver};
use std::hint::black_box;
use std::time::Duration;

fn plan(n: usize) -> CorrelationPlan {
    let p = LmgParams {
        n,
        h: 0.5,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.05,
    };
    let mut s = LmgSolver::new(n).unwrap();
    let rho = s.solve_with_state(&p).unwrap().1.rho;
    lmg_correlation_plan(&p, rho.as_ref(), LmgOperator::Jp, LmgOperator::Jm, 1).unwrap()
}

/// 200 frequencies on [−3, 3]: an even count keeps ω = 0 off the grid (in the
/// ordered phase h = 0.5 it is a pole to working precision from N ≈ 150 on).
fn omegas() -> Vec<f64> {
    (0..200).map(|i| -3.0 + 6.0 * i as f64 / 199.0).collect()
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("spectrum_shifted_factorization");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [50usize, 100, 200] {
        let mut pl = plan(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                pl.block()
                    .factorize(black_box(Complex64::new(0.0, 0.7)))
                    .unwrap()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("spectrum_sweep_krylov");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [50usize, 100, 200] {
        let mut pl = plan(n);
        let om = omegas();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                sweep(
                    &mut pl,
                    SpectrumKind::Spectrum,
                    &om,
                    KrylovOptions::default(),
                )
                .unwrap()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("spectrum_sweep_direct");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let mut pl = plan(50);
    let om = omegas();
    g.bench_function(BenchmarkId::from_parameter(50), |b| {
        b.iter(|| pl.direct(SpectrumKind::Spectrum, &om).unwrap())
    });
    g.finish();
}

criterion_group!(spectra, benches);
criterion_main!(spectra);
