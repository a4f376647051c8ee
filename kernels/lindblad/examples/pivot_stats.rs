//! Pivoting statistics of the default solver over a field sweep:
//! `pivot_stats N h0 h1 count [lambda] [gamma_b] [reference]`.
//!
//! Solves every point with the default options (`QK_PIVOTING` = a threshold
//! `u` or `static` overrides the pivoting, `QK_THREADS` the threads) and,
//! with `reference` = `colamd`, also with faer's COLAMD + supernodal LU,
//! printing per point the outcome, delayed / perturbed pivots, refinement
//! steps, Krylov iterations, residual, the largest difference of the
//! observables from the reference and the times; then the totals.

use qk_lindblad::{LmgOrdering, LmgParams, LmgSolver, Pivoting, SteadyStateOptions};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let get = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let n: usize = get(1, "400").parse()?;
    let h0: f64 = get(2, "-0.5").parse()?;
    let h1: f64 = get(3, "1.5").parse()?;
    let count: usize = get(4, "41").parse()?;
    let lambda: f64 = get(5, "1").parse()?;
    let gamma_b: f64 = get(6, "0.2").parse()?;
    let reference = get(7, "none");
    let threads: usize = std::env::var("QK_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let pivoting = match std::env::var("QK_PIVOTING").ok().as_deref() {
        Some("static") => Pivoting::Static,
        Some(u) => Pivoting::Delayed {
            threshold: u.parse()?,
        },
        None => Pivoting::default(),
    };
    let options = SteadyStateOptions {
        threads,
        pivoting,
        ..Default::default()
    };
    let mut solver = LmgSolver::with_options(n, options)?;
    let mut colamd = if reference == "colamd" {
        Some(LmgSolver::with_ordering(
            n,
            SteadyStateOptions {
                threads,
                ..Default::default()
            },
            LmgOrdering::Colamd,
        )?)
    } else {
        None
    };
    let (mut failed, mut delayed_pts, mut perturbed_pts, mut krylov_pts) = (0, 0, 0, 0);
    let (mut t_sum, mut worst_diff, mut worst_res) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..count {
        let h = if count > 1 {
            h0 + (h1 - h0) * i as f64 / (count - 1) as f64
        } else {
            h0
        };
        let p = LmgParams {
            n,
            h,
            lambda,
            gamma_a: 0.01,
            gamma_b,
        };
        let t = Instant::now();
        let r = solver.solve(&p);
        let dt = t.elapsed().as_secs_f64();
        t_sum += dt;
        match r {
            Ok(o) => {
                let diff = match colamd.as_mut() {
                    Some(c) => {
                        let q = c.solve(&p)?;
                        [
                            o.jz - q.jz,
                            o.jx2 - q.jx2,
                            o.jy2 - q.jy2,
                            o.jz2 - q.jz2,
                            o.concurrence - q.concurrence,
                            o.purity - q.purity,
                        ]
                        .iter()
                        .fold(0.0f64, |m, d| m.max(d.abs()))
                    }
                    None => f64::NAN,
                };
                worst_diff = worst_diff.max(if diff.is_nan() { 0.0 } else { diff });
                worst_res = worst_res.max(o.residual);
                delayed_pts += (o.delayed_pivots > 0) as usize;
                perturbed_pts += (o.perturbed_pivots > 0) as usize;
                krylov_pts += (o.krylov_iterations > 0) as usize;
                println!(
                    "h={h:+.4} ok delayed={} perturbed={} refine={} krylov={} residual={:.1e} \
                     be={:.1e} diff={diff:.1e} t={dt:.3}s",
                    o.delayed_pivots,
                    o.perturbed_pivots,
                    o.refinement_steps,
                    o.krylov_iterations,
                    o.residual,
                    o.backward_error
                );
            }
            Err(e) => {
                failed += 1;
                println!("h={h:+.4} FAILED {e} t={dt:.3}s");
            }
        }
    }
    println!(
        "N={n} lambda={lambda} gamma_b={gamma_b} points={count} failed={failed} \
         with_delays={delayed_pts} with_perturbations={perturbed_pts} with_krylov={krylov_pts} \
         worst_residual={worst_res:.1e} worst_diff_vs_{reference}={worst_diff:.1e} \
         solve_time_sum={t_sum:.2}s"
    );
    Ok(())
}
