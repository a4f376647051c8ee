//! Criterion benchmarks: one I_3(τ) to relative 1e-10 (default method, and each engine),
//! and I_3(0) (Duffy scheme).
use criterion::{criterion_group, criterion_main, Criterion};
use qk_bzquad::{lindemann_mean, lindemann_mean_with, Method, Options};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("lindemann_mean_d3");
    for tau in [0.1, 1.0] {
        g.bench_function(format!("auto/tau={tau}"), |b| {
            b.iter(|| lindemann_mean(3, black_box(tau), 1e-10).unwrap())
        });
        let o = Options {
            method: Method::Duffy,
            ..Options::default()
        };
        g.bench_function(format!("duffy/tau={tau}"), |b| {
            b.iter(|| lindemann_mean_with(3, black_box(tau), &o).unwrap())
        });
    }
    g.bench_function("duffy/tau=0", |b| {
        b.iter(|| lindemann_mean(3, black_box(0.0), 1e-10).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
