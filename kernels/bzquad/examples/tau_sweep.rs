//! Times a sweep of I_3(τ) over τ ∈ [0.1, 3] (default 301 points) at a relative
//! tolerance (default 1e-10) and prints one JSON object per line:
//! `{"tau":…,"value":…,"error":…,"evaluations":…,"seconds":…}`, then a summary line.
//!
//! `cargo run --release --example tau_sweep -p qk-bzquad -- [count] [rel_tol]`
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(301);
    let tol: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1e-10);
    let start = Instant::now();
    let mut evals = 0u64;
    for k in 0..count {
        let tau = if count == 1 {
            0.1
        } else {
            0.1 + 2.9 * k as f64 / (count - 1) as f64
        };
        let t0 = Instant::now();
        match qk_bzquad::lindemann_mean(3, tau, tol) {
            Ok(q) => {
                evals += q.evaluations;
                println!(
                    "{{\"tau\":{tau:.17e},\"value\":{:.17e},\"error\":{:.3e},\"evaluations\":{},\"seconds\":{:.6e}}}",
                    q.value,
                    q.error,
                    q.evaluations,
                    t0.elapsed().as_secs_f64()
                );
            }
            Err(e) => {
                eprintln!("tau = {tau}: {e}");
                std::process::exit(1);
            }
        }
    }
    let total = start.elapsed().as_secs_f64();
    println!(
        "{{\"summary\":true,\"points\":{count},\"rel_tol\":{tol:e},\"total_seconds\":{total:.6e},\"seconds_per_point\":{:.6e},\"mean_evaluations\":{:.1}}}",
        total / count as f64,
        evals as f64 / count as f64
    );
}
