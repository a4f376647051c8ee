//! Timing and peak-memory probe: `lmg_probe N [h]`.
//!
//! Prints the plan size, the time of `LmgSolver::new` and of one `solve`, the
//! observables, the process peak RSS (VmHWM, Linux) and
//! `estimate_memory_bytes(N)`. Run one N per process so VmHWM is meaningful.

use qk_lindblad::{estimate_memory_bytes, LmgParams, LmgSolver};
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
    let t0 = Instant::now();
    let mut solver = LmgSolver::new(n)?;
    let t_new = t0.elapsed().as_secs_f64();
    let p = LmgParams {
        n,
        h,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let t1 = Instant::now();
    let obs = solver.solve(&p)?;
    let t_solve = t1.elapsed().as_secs_f64();
    println!(
        "N={n} unknowns={} nnz={} new={t_new:.4}s solve={t_solve:.4}s peak_rss={} est={}",
        solver.unknowns(),
        solver.nnz(),
        peak_rss_bytes().unwrap_or(0),
        estimate_memory_bytes(n)
    );
    println!("{obs:?}");
    Ok(())
}
