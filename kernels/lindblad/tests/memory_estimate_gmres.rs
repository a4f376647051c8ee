//! `estimate_memory_bytes_for(.., SolveMethod::Gmres)` bounds the measured
//! peak RSS of new + GMRES solves.
//! (One test in this binary, so the process high-water mark is its own.)

use qk_lindblad::{
    estimate_memory_bytes_for, Arithmetic, LmgOrdering, LmgParams, LmgSolver, SolveMethod,
    SteadyStateOptions,
};

fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn estimate_bounds_peak_rss_and_grows() {
    let mut prev = 0;
    for n in [1usize, 10, 50, 100, 200, 400, 1000] {
        let e = estimate_memory_bytes_for(
            n,
            LmgOrdering::NestedDissection,
            Arithmetic::Real,
            SolveMethod::Gmres,
        );
        assert!(e > prev, "estimate must grow with N");
        prev = e;
    }
    let n = 250;
    let options = SteadyStateOptions {
        method: SolveMethod::Gmres,
        ..Default::default()
    };
    let mut s = LmgSolver::with_ordering(n, options, LmgOrdering::NestedDissection).unwrap();
    for h in [0.5, -0.3, 1.3] {
        s.solve(&LmgParams {
            n,
            h,
            lambda: 1.0,
            gamma_a: 0.01,
            gamma_b: 0.2,
        })
        .unwrap();
    }
    if let Some(peak) = peak_rss_bytes() {
        let est = estimate_memory_bytes_for(
            n,
            LmgOrdering::NestedDissection,
            Arithmetic::Real,
            SolveMethod::Gmres,
        );
        println!("N={n}: peak RSS {peak} B, estimate {est} B");
        assert!(peak < est, "peak RSS {peak} exceeds estimate {est}");
        // and not absurdly conservative
        assert!(
            est < 4 * peak,
            "estimate {est} more than 4x the peak {peak}"
        );
    }
}
