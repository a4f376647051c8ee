//! End-to-end tests of `qk kicked`: HDF5 layout, results independent of the
//! number of ranks per task, bad input → exit 2, and the plotting script.

mod common;
use common::*;

const ARGS: &[&str] = &[
    "kicked",
    "--hbar",
    "0.3,0.5",
    "--mass",
    "0.05",
    "--eps",
    "0,0.5",
    "--n1",
    "63",
    "--n2",
    "47",
    "--kicks",
    "6",
    "--substeps",
    "40",
    "--observe-every",
    "2",
    "--momentum-at",
    "3,6",
    "-q",
];

#[test]
fn kicked_layout_and_physics_sanity() {
    let dir = scratch("kicked-layout");
    let o = dir.join("k.h5");
    run_ok(qk_cmd(&with_output(ARGS, o.to_str().unwrap())));
    // axes hbar, mass, eps, k1, k2, lambda, n1, n2; time axis of 3 records (kicks 2, 4, 6)
    assert_eq!(shape(&o, "results/p1_sq"), vec![2, 1, 2, 1, 1, 1, 1, 1, 3]);
    assert_eq!(
        shape(&o, "results/momentum_p1"),
        vec![2, 1, 2, 1, 1, 1, 1, 1, 2, 63]
    );
    assert_eq!(read_f64(&o, "grid/kick"), vec![2.0, 4.0, 6.0]);
    assert_eq!(read_f64(&o, "grid/momentum_kick"), vec![3.0, 6.0]);
    let norm = read_f64(&o, "results/norm");
    assert!(norm.iter().all(|n| (n - 1.0).abs() < 1e-10), "{norm:?}");
    let purity = read_f64(&o, "results/purity");
    // index [h, 0, e, …, t]: eps = 0 (e = 0) keeps a product state
    for h in 0..2 {
        for e in 0..2 {
            for t in 0..3 {
                let p = purity[(h * 2 + e) * 3 + t];
                if e == 0 {
                    assert!((p - 1.0).abs() < 1e-12, "eps=0 purity {p}");
                } else {
                    assert!(p > 0.0 && p < 1.0, "purity {p}");
                }
            }
        }
    }
    let mom = read_f64(&o, "results/momentum_p1");
    for rec in mom.chunks(63) {
        assert!((rec.iter().sum::<f64>() - 1.0).abs() < 1e-10);
    }
}

#[test]
fn under_resolved_grid_fails_naming_the_grid_it_needs() {
    // the example: 63 modes cannot hold the momentum of 200 kicks at ħ = 0.05
    let dir = scratch("kicked-tail");
    let o = dir.join("t.h5");
    let args = [
        "kicked",
        "--hbar",
        "0.05",
        "--mass",
        "0.001",
        "--eps",
        "2",
        "--n1",
        "63",
        "--n2",
        "63",
        "--kicks",
        "200",
        "--interaction",
        "kicked",
        "-q",
        "-o",
    ];
    let mut v = args.to_vec();
    v.push(o.to_str().unwrap());
    run_ok(qk_cmd(&v));
    assert_eq!(read_u8(&o, "status/failed"), vec![1]);
    let err = &read_errors(&o)[0];
    assert!(
        err.contains("grid too small") && err.contains("n1 = 63 needs >= 127"),
        "{err}"
    );
    assert!(read_f64(&o, "results/p1_sq").iter().all(|x| x.is_nan()));
}

#[test]
fn auto_grid_grows_until_the_tail_check_passes() {
    // auto starts from the classical reach; a tolerance far below what that
    // start holds makes the run grow (restart on a larger fast size)
    let dir = scratch("kicked-auto");
    let o = dir.join("a.h5");
    let os = o.to_str().unwrap();
    run_ok(qk_cmd(&[
        "kicked",
        "--hbar",
        "0.3,0.6",
        "--mass",
        "0.5",
        "--eps",
        "0.5",
        "--n1",
        "auto",
        "--n2",
        "auto",
        "--kicks",
        "8",
        "--substeps",
        "20",
        "--observe-every",
        "4",
        "-q",
        "-o",
        os,
    ]));
    assert_eq!(read_u8(&o, "status/done"), vec![1, 1]);
    let n1 = read_f64(&o, "results/n1_used");
    let n2 = read_f64(&o, "results/n2_used");
    for n in n1.iter().chain(&n2) {
        let m = *n as usize + 1;
        assert!(m.is_power_of_two() || m % 3 == 0, "{n} not a fast size");
    }
    assert!(n1[0] > n1[1], "smaller ħ needs more modes: {n1:?}");
    for t in read_f64(&o, "results/tail1")
        .iter()
        .chain(&read_f64(&o, "results/tail2"))
    {
        assert!(*t <= 1e-6, "tail {t}");
    }
    let tight = dir.join("tight.h5");
    run_ok(qk_cmd(&[
        "kicked",
        "--hbar",
        "0.3,0.6",
        "--mass",
        "0.5",
        "--eps",
        "0.5",
        "--n1",
        "auto",
        "--n2",
        "auto",
        "--kicks",
        "8",
        "--substeps",
        "20",
        "--observe-every",
        "4",
        "--tail-tol",
        "1e-300",
        "--max-n",
        "511",
        "-q",
        "-o",
        tight.to_str().unwrap(),
    ]));
    // 1e-300 is below round-off: every point grows to --max-n and then fails, naming it
    assert_eq!(read_u8(&tight, "status/failed"), vec![1, 1]);
    let err = read_errors(&tight);
    assert!(
        err[0].contains("auto grew n") && err[0].contains("> --max-n 511"),
        "{err:?}"
    );
    let grow = dir.join("grow.h5");
    run_ok(qk_cmd(&[
        "kicked",
        "--hbar",
        "0.6",
        "--mass",
        "0.5",
        "--eps",
        "0.5",
        "--n1",
        "auto",
        "--n2",
        "auto",
        "--kicks",
        "8",
        "--substeps",
        "20",
        "--observe-every",
        "4",
        "--tail-tol",
        "1e-14",
        "-q",
        "-o",
        grow.to_str().unwrap(),
    ]));
    assert_eq!(read_u8(&grow, "status/done"), vec![1]);
    let grown = read_f64(&grow, "results/n1_used")[0];
    assert!(
        grown > n1[1],
        "tight tolerance grew n1 from {} to {grown}",
        n1[1]
    );
    let t = read_f64(&grow, "results/tail1");
    assert!(t.iter().all(|t| *t <= 1e-14), "{t:?}");
}

/// `/status/method` of a qk output file, one label per point.
fn read_methods(path: &std::path::Path) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap();
    f.dataset("status/method")
        .unwrap()
        .read_raw::<hdf5::types::FixedAscii<64>>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

#[test]
fn kicked_results_do_not_depend_on_ranks_per_task() {
    assert!(have_mpirun(), "mpirun not found: run scripts/setup.sh");
    let dir = scratch("kicked-ranks");
    // fixed grids, and auto grids that grow during the run (a tight tail
    // tolerance: every point with ε or ħ = 0.3 grows at least once)
    let mut auto = ARGS.to_vec();
    for (flag, v) in [("--n1", "auto"), ("--n2", "auto")] {
        let i = auto.iter().position(|a| *a == flag).unwrap();
        auto[i + 1] = v;
    }
    auto.extend(["--tail-tol", "1e-12"]);
    for (name, base) in [("fixed", ARGS), ("auto", &auto[..])] {
        let one = dir.join(format!("{name}_one.h5"));
        run_ok(qk_cmd(&with_output(base, one.to_str().unwrap())));
        assert_eq!(read_u8(&one, "status/done"), vec![1; 4]);
        if name == "auto" {
            let grown = read_methods(&one)
                .iter()
                .filter(|m| m.contains(" -> "))
                .count();
            assert!(grown >= 2, "{grown} points grew");
        }
        for (ranks, r) in [(4usize, "2"), (3, "3"), (2, "1")] {
            let o = dir.join(format!("{name}_p{ranks}_r{r}.h5"));
            let mut args = with_output(base, o.to_str().unwrap());
            args.extend(["--ranks-per-task", r]);
            run_ok(mpirun_cmd(ranks, &args));
            for ds in [
                "results/p1_sq",
                "results/p2_sq",
                "results/purity",
                "results/norm",
                "results/momentum_p1",
                "results/n1_used",
                "results/n2_used",
            ] {
                let a = read_f64(&one, ds);
                let b = read_f64(&o, ds);
                assert_eq!(a.len(), b.len());
                let d = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| (x - y).abs() / (1.0 + x.abs()))
                    .fold(0.0, f64::max);
                assert!(
                    d < 1e-12,
                    "{name} {ds}: {ranks} ranks, R={r}: differs by {d:e}"
                );
            }
        }
    }
}

use std::process::Command;

fn have_mpirun() -> bool {
    Command::new("mpirun")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn kicked_bad_input_exits_2() {
    let dir = scratch("kicked-bad");
    let o = dir.join("x.h5");
    let os = o.to_str().unwrap();
    let base = [
        "kicked", "--hbar", "0.1", "--mass", "0.1", "--eps", "1", "--n1", "5", "--n2", "5",
        "--kicks", "2",
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--hbar", "0"], "--hbar"),
        (vec!["--hbar", "-0.1"], "--hbar"),
        (vec!["--mass", "0"], "--mass"),
        (vec!["--lambda", "-1"], "--lambda"),
        (vec!["--n1", "0"], "--n1"),
        (vec!["--n2", "-3"], "--n2"),
        (vec!["--n1", "5,7"], "--n1"),
        (vec!["--kicks", "0"], "--kicks"),
        (vec!["--substeps", "0"], "--substeps"),
        (vec!["--interaction", "sometimes"], "--interaction"),
        (vec!["--momentum-at", "9"], "--momentum-at"),
        (vec!["--n1", "200000", "--n2", "200000"], "--n1"),
        (vec!["--ranks-per-task", "0"], "--ranks-per-task"),
        (vec!["--n1", "automatic"], "--n1"),
        (vec!["--tail-tol", "-1"], "--tail-tol"),
        (vec!["--tail-tol", "0"], "--tail-tol"),
        (vec!["--step-tol", "nan"], "--step-tol"),
        (vec!["--max-n", "0"], "--max-n"),
        (vec!["--n1", "auto", "--max-n", "50"], "--n1"),
    ];
    for (extra, flag) in cases {
        // later flags override the base values
        let mut args: Vec<&str> = base.to_vec();
        for pair in extra.chunks(2) {
            if let Some(i) = args.iter().position(|a| *a == pair[0]) {
                args[i + 1] = pair[1];
            } else {
                args.extend(pair);
            }
        }
        args.extend(["-o", os]);
        let out = run(qk_cmd(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(!o.exists());
    }
    assert!(have_mpirun(), "mpirun not found: run scripts/setup.sh");
    {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--ranks-per-task", "2", "-o", os]);
        let out = run(mpirun_cmd(3, &args));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("--ranks-per-task"));
        assert!(!o.exists());
    }
}

#[test]
fn plot_kicked_renders_a_real_file() {
    let py = python();
    let dir = scratch("kicked-plot");
    let o = dir.join("k.h5");
    run_ok(qk_cmd(&with_output(ARGS, o.to_str().unwrap())));
    let script = workspace_root().join("scripts/plot_kicked.py");
    let mut c = Command::new(py);
    c.arg(script).arg(&o).args([
        "--curves",
        "hbar",
        "--purity-curves",
        "eps",
        "--select",
        "eps=1",
    ]);
    run_ok(c);
    for fig in ["fig2a_p1sq", "fig2b_momentum", "fig5_purity"] {
        assert!(dir.join(format!("k_{fig}.png")).exists(), "{fig} missing");
    }
}
