//! Provenance: every option that can change a result is a root attribute and part of the
//! `--resume` check, options that cannot (threads) are recorded but may differ on resume,
//! each point says which method produced it, and `--resume --retry-failed` recomputes
//! failed points.

mod common;
use common::*;
use hdf5::types::{FixedAscii, VarLenUnicode};
use std::path::Path;

fn root_attr(path: &Path, name: &str) -> String {
    let f = hdf5::File::open(path).unwrap();
    let v: VarLenUnicode = f
        .attr(name)
        .unwrap_or_else(|e| panic!("root attribute {name}: {e}"))
        .read_scalar()
        .unwrap();
    v.as_str().to_string()
}

fn signature(path: &Path) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap();
    let v: Vec<VarLenUnicode> = f.attr("signature").unwrap().read_raw().unwrap();
    v.iter().map(|s| s.as_str().to_string()).collect()
}

fn methods(path: &Path) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap();
    let v: Vec<FixedAscii<64>> = f.dataset("status/method").unwrap().read_raw().unwrap();
    v.iter().map(|s| s.as_str().to_string()).collect()
}

#[test]
fn solver_options_are_recorded_and_checked_by_resume() {
    let dir = scratch("provenance");
    let o = dir.join("p.h5");
    let os = o.to_str().unwrap();
    let base = ["lmg", "--n", "4,6", "--h", "0.3,0.9", "-o", os, "-q"];
    let mut first = base.to_vec();
    first.extend(["--ordering", "nd-supernodal", "--threads", "1"]);
    run_ok(qk_cmd(&first));
    assert_eq!(root_attr(&o, "ordering"), "nd-supernodal");
    assert_eq!(root_attr(&o, "arithmetic"), "real");
    assert_eq!(root_attr(&o, "method"), "direct");
    assert_eq!(root_attr(&o, "threads"), "1");
    let sig = signature(&o);
    for line in ["ordering=nd-supernodal", "arithmetic=real", "method=direct"] {
        assert!(sig.iter().any(|s| s == line), "{line} not in {sig:?}");
    }
    assert!(
        !sig.iter().any(|s| s.starts_with("threads")),
        "threads cannot change a result and must not be in the signature: {sig:?}"
    );
    assert!(methods(&o).iter().all(|m| m == "nd-supernodal/real/direct"));

    let before = std::fs::read(&o).unwrap();
    for change in [
        vec!["--ordering", "colamd"],
        vec!["--ordering", "nd-supernodal", "--arithmetic", "complex"],
        vec!["--ordering", "nd"],
    ] {
        let mut args = base.to_vec();
        args.extend(&change);
        args.push("--resume");
        let out = run(qk_cmd(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{change:?}: {stderr}");
        assert!(stderr.contains("differ"), "{stderr}");
        assert_eq!(std::fs::read(&o).unwrap(), before, "{change:?} touched it");
    }
    // another thread count is accepted (results are bit-identical for any)
    let mut again = base.to_vec();
    again.extend(["--ordering", "nd-supernodal", "--threads", "2", "--resume"]);
    run_ok(qk_cmd(&again));
}

/// Mark points of a finished file as failed (as a solver failure would have left them).
fn fail_points(path: &Path, flat: &[usize]) {
    let f = hdf5::File::open_rw(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let failed = f.dataset("status/failed").unwrap();
    let error = f.dataset("status/error").unwrap();
    let jz = f.dataset("results/jz").unwrap();
    let mut fl: Vec<u8> = failed.read_raw().unwrap();
    let mut er: Vec<FixedAscii<256>> = error.read_raw().unwrap();
    let mut v: Vec<f64> = jz.read_raw().unwrap();
    for &i in flat {
        fl[i] = 1;
        er[i] = FixedAscii::from_ascii(b"singular factor (test)").unwrap();
        v[i] = f64::NAN;
    }
    failed.write_raw(&fl).unwrap();
    error.write_raw(&er).unwrap();
    jz.write_raw(&v).unwrap();
}

#[test]
fn retry_failed_recomputes_failed_points_and_clears_them() {
    let dir = scratch("retry");
    let o = dir.join("r.h5");
    let os = o.to_str().unwrap();
    let args = ["lmg", "--n", "5,8", "--h=-0.2:1.2:4", "-o", os, "-q"];
    run_ok(qk_cmd(&args));
    let reference = read_f64(&o, "results/jz");
    let wall = read_f64(&o, "status/wall_time");
    fail_points(&o, &[1, 6]);

    // a plain resume leaves failed points alone
    let mut resume = args.to_vec();
    resume.push("--resume");
    run_ok(qk_cmd(&resume));
    assert_eq!(
        read_u8(&o, "status/failed")
            .iter()
            .filter(|&&x| x == 1)
            .count(),
        2
    );

    // --retry-failed needs --resume
    let mut alone = args.to_vec();
    alone.push("--retry-failed");
    let out = run(qk_cmd(&alone));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));

    resume.push("--retry-failed");
    run_ok(qk_cmd(&resume));
    assert!(read_u8(&o, "status/failed").iter().all(|&x| x == 0));
    let f = hdf5::File::open(&o).unwrap();
    let errors: Vec<FixedAscii<256>> = f.dataset("status/error").unwrap().read_raw().unwrap();
    assert!(
        errors.iter().all(|e| e.as_str().is_empty()),
        "errors not cleared"
    );
    assert_eq!(read_f64(&o, "results/jz"), reference);
    // only the failed points were recomputed
    let wall_after = read_f64(&o, "status/wall_time");
    for (i, (a, b)) in wall.iter().zip(&wall_after).enumerate() {
        assert_eq!(a == b, i != 1 && i != 6, "point {i}");
    }
}
