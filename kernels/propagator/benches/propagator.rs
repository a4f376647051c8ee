//! Criterion benchmarks of the propagator on one rank (self communicator):
//! the 2D DST-I pair (forward + inverse) and one period (`kicked` variant,
//! and `continuous` with 4 substeps) at 511², 1023², 2047².
//!
//! GFLOP/s convention: each 1D transform of length n on complex data counts
//! 5·n·log2 n flops (the complex-FFT convention), so a 2D DST-I pair counts
//! 2·5·n1·n2·log2(n1·n2) ([`qk_propagator::flops_dst_pair`]); a period counts
//! its transforms only (phases excluded). Criterion reports elements/s with
//! that flop count as the element count, i.e. "Gelem/s" reads as GFLOP/s;
//! the figure is also printed once per size.
//!
//! Sizes: `QK_BENCH_SIZES=511,1023` restricts the list (the 2047² cases are slow
//! on small machines).

use criterion::{BenchmarkId, Criterion, Throughput};
use mpi::topology::SimpleCommunicator;
use num_complex::Complex64 as C64;
use qk_propagator::dst::Dst1;
use qk_propagator::{flops_dst_pair, Interaction, KickedParams, Propagator};
use std::time::{Duration, Instant};

fn sizes() -> Vec<usize> {
    std::env::var("QK_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![511, 1023, 2047])
}

fn params(n: usize, interaction: Interaction, substeps: usize) -> KickedParams {
    KickedParams {
        hbar: 0.01,
        mass: 0.001,
        eps: 2.0,
        k1: 1.8,
        k2: 0.0,
        lambda: 10.0,
        n1: n,
        n2: n,
        substeps,
        interaction,
    }
}

fn report(name: &str, n: usize, flops: f64, f: &mut dyn FnMut()) {
    f();
    let reps = 3;
    let t0 = Instant::now();
    for _ in 0..reps {
        f();
    }
    let t = t0.elapsed().as_secs_f64() / reps as f64;
    println!(
        "{name} n={n}: {:.3} ms, {:.2} GFLOP/s (5 n log2 n convention)",
        t * 1e3,
        flops / t * 1e-9
    );
}

/// The alternative DST-I the kernel does not use: embed in an odd sequence of
/// length 2(n+1), one complex FFT of that length, `S_k = (i/2) Y_k`.
fn dst1_odd_extension(
    fft: &dyn rustfft::Fft<f64>,
    x: &mut [C64],
    ext: &mut [C64],
    scratch: &mut [C64],
) {
    let n = x.len();
    let m = 2 * (n + 1);
    ext[0] = C64::new(0.0, 0.0);
    ext[n + 1] = C64::new(0.0, 0.0);
    for j in 0..n {
        ext[j + 1] = x[j];
        ext[m - 1 - j] = -x[j];
    }
    fft.process_with_scratch(&mut ext[..m], scratch);
    for k in 0..n {
        let y = ext[k + 1];
        x[k] = C64::new(-0.5 * y.im, 0.5 * y.re);
    }
}

/// 1D DST-I of complex rows: the kernel's length-(n+1) algorithm vs the odd
/// extension of length 2(n+1) (both RustFFT), 64 rows per iteration.
fn bench_dst1d(c: &mut Criterion) {
    let mut g = c.benchmark_group("dst1d_64rows");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let mut planner = rustfft::FftPlanner::new();
    for n in sizes() {
        let plan = Dst1::new(n, &mut planner);
        let ext_fft = planner.plan_fft_forward(2 * (n + 1));
        let rows = 64;
        let mut data: Vec<C64> = (0..rows * n)
            .map(|i| C64::new((i as f64).sin(), (i as f64).cos()))
            .collect();
        let mut work = vec![C64::default(); 2 * (n + 1)];
        let mut scratch =
            vec![C64::default(); plan.scratch_len().max(ext_fft.get_inplace_scratch_len())];
        g.throughput(Throughput::Elements(
            (rows as f64 * 5.0 * n as f64 * (n as f64).log2()) as u64,
        ));
        g.bench_with_input(BenchmarkId::new("n_plus_1_fft", n), &n, |b, _| {
            b.iter(|| {
                for row in data.chunks_exact_mut(n) {
                    plan.process(row, &mut work, &mut scratch);
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("odd_extension_fft", n), &n, |b, _| {
            b.iter(|| {
                for row in data.chunks_exact_mut(n) {
                    dst1_odd_extension(&*ext_fft, row, &mut work, &mut scratch);
                }
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_dst1d(c);
    let comm = SimpleCommunicator::self_comm();
    let mut g = c.benchmark_group("dst2d_pair");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in sizes() {
        let mut prop = Propagator::new(&params(n, Interaction::Kicked, 1), &comm).expect("params");
        let flops = flops_dst_pair(n, n);
        report("dst2d_pair", n, flops, &mut || prop.dst_roundtrip());
        g.throughput(Throughput::Elements(flops as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| prop.dst_roundtrip())
        });
    }
    g.finish();

    for (label, inter, substeps) in [
        ("period_kicked", Interaction::Kicked, 1),
        ("period_continuous4", Interaction::Continuous, 4),
    ] {
        let mut g = c.benchmark_group(label);
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        for n in sizes() {
            let mut prop = Propagator::new(&params(n, inter, substeps), &comm).expect("params");
            let flops = prop.flops_per_period();
            report(label, n, flops, &mut || prop.period());
            g.throughput(Throughput::Elements(flops as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| prop.period())
            });
        }
        g.finish();
    }
}

fn main_with_mpi() {
    let universe = mpi::initialize().expect("MPI initialisation");
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    drop(universe);
}

fn main() {
    main_with_mpi();
}
