//! Fill, flops and time of each fill-reducing ordering on model files.
//!
//! ```text
//! python scripts/example_models.py /tmp/models
//! cargo run --release -p qk-driver --example model_orderings -- /tmp/models/*.h5
//! ```
//!
//! Per file and ordering (metis, colamd; dense where at most 4000 unknowns;
//! for a file whose description names the LMG model also the geometric
//! nested dissection of `qk lmg`): unknowns of the real system, nnz(L+U),
//! flops of one numeric factorization, plan time (pattern, ordering,
//! symbolic) and the time of one solve (numeric factorization, solve,
//! refinement, quality figures), at the parameters' defaults (0.5 for a
//! parameter without one). One thread.

use qk_driver::model_file;
use qk_lindblad::{
    ColumnOrdering, LmgOrdering, LmgParams, LmgSolver, ParametricSolver, SteadyStateOptions,
};
use std::time::Instant;

fn main() {
    let options = SteadyStateOptions {
        threads: 1,
        ..Default::default()
    };
    println!("| model | ordering | unknowns | nnz(L+U) | flops | plan (s) | solve (s) |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for path in std::env::args().skip(1) {
        let file = match model_file::load(std::path::Path::new(&path), "file") {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let m = &file.model;
        let values: Vec<f64> = m
            .parameters()
            .iter()
            .map(|p| p.default.unwrap_or(0.5))
            .collect();
        let name = std::path::Path::new(&path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut orderings = vec![
            ("metis", ColumnOrdering::Metis),
            ("colamd", ColumnOrdering::Colamd),
        ];
        let d = m.dim();
        if d * d <= 8000 {
            orderings.push(("dense", ColumnOrdering::Dense));
        }
        for (label, ordering) in orderings {
            let t0 = Instant::now();
            let mut s = match ParametricSolver::new(m, &values, options, ordering) {
                Ok(s) => s,
                Err(e) => {
                    println!("| {name} | {label} | failed: {e} | | | | |");
                    continue;
                }
            };
            let plan = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let ok = s.solve(&values).map(|_| ()).map_err(|e| e.to_string());
            let solve = t1.elapsed().as_secs_f64();
            let st = s.factor_stats();
            println!(
                "| {name} | {label} | {} | {} | {:.3e} | {plan:.3} | {solve:.3}{} |",
                st.n,
                st.nnz_lu,
                st.flops,
                ok.err().map(|e| format!(" ({e})")).unwrap_or_default()
            );
        }
        if m.description().contains("Lipkin-Meshkov-Glick") {
            let n = d - 1;
            let t0 = Instant::now();
            let mut s = LmgSolver::with_ordering(n, options, LmgOrdering::NestedDissection)
                .expect("LMG plan");
            let plan = t0.elapsed().as_secs_f64();
            let p = LmgParams {
                n,
                h: values[0],
                lambda: values[1],
                gamma_a: values[2],
                gamma_b: values[3],
            };
            let t1 = Instant::now();
            let ok = s.solve(&p).map(|_| ()).map_err(|e| e.to_string());
            let solve = t1.elapsed().as_secs_f64();
            let st = s.factor_stats();
            println!(
                "| {name} | geometric nd (qk lmg) | {} | {} | {:.3e} | {plan:.3} | {solve:.3}{} |",
                st.n,
                st.nnz_lu,
                st.flops,
                ok.err().map(|e| format!(" ({e})")).unwrap_or_default()
            );
        }
    }
}
