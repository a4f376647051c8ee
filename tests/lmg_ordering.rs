//! `qk lmg --ordering / --arithmetic`: every ordering and arithmetic gives
//! the same steady states; bad values and sizes that do not fit are refused
//! with exit status 2 and a line naming the flag.

mod common;
use common::*;

fn sweep(name: &str, extra: &[&str]) -> Vec<f64> {
    let dir = scratch(name);
    let o = dir.join("lmg.h5");
    let mut args = vec!["lmg", "--n", "7,30", "--h=-0.2,0.4,0.989898,1.2"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", o.to_str().unwrap(), "-q"]);
    run_ok(qk_cmd(&args));
    let jz = read_f64(&o, "results/jz");
    let res = read_f64(&o, "results/residual");
    assert!(res.iter().all(|&r| r < 1e-12), "{name}: residuals {res:?}");
    jz
}

#[test]
fn orderings_and_arithmetics_agree() {
    let reference = sweep("ord_default", &[]);
    assert_eq!(reference.len(), 8);
    for (name, extra) in [
        ("ord_colamd", vec!["--ordering", "colamd"]),
        ("ord_ndsn", vec!["--ordering", "nd-supernodal"]),
        ("ord_complex", vec!["--arithmetic", "complex"]),
        (
            "ord_complex_colamd",
            vec!["--ordering", "colamd", "--arithmetic", "complex"],
        ),
    ] {
        let jz = sweep(name, &extra);
        for (a, b) in jz.iter().zip(&reference) {
            assert!((a - b).abs() < 1e-10, "{name}: {a} vs {b}");
        }
    }
}

fn refused(args: &[&str], flag: &str) -> String {
    let dir = scratch(&format!("refused{}", flag.replace('-', "")));
    let o = dir.join("x.h5");
    let mut a = args.to_vec();
    a.extend_from_slice(&["-o", o.to_str().unwrap(), "-q"]);
    let out = run(qk_cmd(&a));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(flag), "{args:?}: {err}");
    assert!(!o.exists(), "nothing may be written");
    err
}

#[test]
fn bad_values_and_oversized_problems_are_refused() {
    refused(
        &["lmg", "--n", "10", "--h", "0.5", "--ordering", "metis"],
        "--ordering",
    );
    refused(
        &["lmg", "--n", "10", "--h", "0.5", "--arithmetic", "quad"],
        "--arithmetic",
    );
    // the estimate of the chosen method is quoted
    let e = refused(
        &["lmg", "--n", "20000", "--h", "0.5", "--ordering", "colamd"],
        "--n",
    );
    assert!(
        e.contains("--ordering colamd") && e.contains("estimated"),
        "{e}"
    );
    let e = refused(&["lmg", "--n", "40000", "--h", "0.5"], "--n");
    assert!(e.contains("--ordering nd"), "{e}");
}
