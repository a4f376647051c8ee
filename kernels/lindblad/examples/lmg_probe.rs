//! Timing and peak-memory probe:
//! `lmg_probe N [h] [nd|colamd] [real|complex] [lambda] [gamma_b]`.
//!
//! Prints the plan size, fill (`nnz(L+U)`) and flops of the factorization,
//! the time of `LmgSolver::new`, of one `solve` and of a second one on the
//! same plan (warm buffers), with `QK_THREADS` factorization threads and `QK_METHOD` (direct, gmres), the observables, the
//! process peak RSS (VmHWM, Linux) and `estimate_memory_bytes(N)`. Run one N
//! per process so VmHWM is meaningful.

use qk_lindblad::{
    estimate_memory_bytes, Arithmetic, LmgOrdering, LmgParams, LmgSolver, SolveMethod,
    SteadyStateOptions,
};
use std::time::Instant;

fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(100);
    let h: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(0.5);
    let ordering: LmgOrdering = args
        .get(3)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or_default();
    let arithmetic = match args.get(4).map(String::as_str) {
        Some("complex") => Arithmetic::Complex,
        _ => Arithmetic::Real,
    };
    let lambda: f64 = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let gamma_b: f64 = args.get(6).map(|s| s.parse()).transpose()?.unwrap_or(0.2);
    let threads: usize = std::env::var("QK_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let method: SolveMethod = std::env::var("QK_METHOD")
        .ok()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or_default();
    let pivoting = match std::env::var("QK_PIVOTING").ok().as_deref() {
        Some("static") => qk_lindblad::Pivoting::Static,
        Some(u) => qk_lindblad::Pivoting::Delayed {
            threshold: u.parse()?,
        },
        None => Default::default(),
    };
    let options = SteadyStateOptions {
        arithmetic,
        threads,
        method,
        pivoting,
        ..Default::default()
    };
    let t0 = Instant::now();
    let mut solver = LmgSolver::with_ordering(n, options, ordering)?;
    let t_new = t0.elapsed().as_secs_f64();
    let p = LmgParams {
        n,
        h,
        lambda,
        gamma_a: 0.01,
        gamma_b,
    };
    let t1 = Instant::now();
    let obs = solver.solve(&p)?;
    let t_solve = t1.elapsed().as_secs_f64();
    // a second point on the same plan (buffers warm, as in a sweep)
    let t2 = Instant::now();
    solver.solve(&LmgParams { h: h + 1e-3, ..p })?;
    let t_again = t2.elapsed().as_secs_f64();
    let st = solver.factor_stats();
    println!(
        "N={n} ordering={ordering:?} arithmetic={arithmetic:?} unknowns={} nnz_a={} \
         nnz_lu={} flops={:.3e} new={t_new:.4}s solve={t_solve:.4}s again={t_again:.4}s peak_rss={} est={}",
        solver.unknowns(),
        st.nnz_a,
        st.nnz_lu,
        st.flops,
        peak_rss_bytes().unwrap_or(0),
        estimate_memory_bytes(n)
    );
    println!("{obs:?}");
    Ok(())
}
