//! Bad input: exit status 2, a short message naming the flag, no panic, and no
//! output file (or the existing one untouched).

mod common;
use common::*;

fn assert_refused(args: &[&str], flag: &str, out_file: &std::path::Path) {
    let out = run(qk_cmd(args));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: expected exit 2, got {:?}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains(flag),
        "{args:?}: stderr does not name {flag}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    assert!(
        stderr.lines().count() <= 6,
        "{args:?}: too verbose:\n{stderr}"
    );
    assert!(!out_file.exists(), "{args:?}: output file was written");
}

#[test]
fn lmg_bad_values_are_refused_naming_the_flag() {
    let dir = scratch("bad");
    let o = dir.join("x.h5");
    let os = o.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["lmg", "--n", "-5", "--h", "0.5", "-o", os], "--n"),
        (vec!["lmg", "--n", "2.5", "--h", "0.5", "-o", os], "--n"),
        (vec!["lmg", "--n", "0", "--h", "0.5", "-o", os], "--n"),
        (vec!["lmg", "--n", "200000", "--h", "0.5", "-o", os], "--n"),
        (vec!["lmg", "--n", "10", "--h", "0:1:0", "-o", os], "--h"),
        (vec!["lmg", "--n", "10", "--h", "0:1:-3", "-o", os], "--h"),
        (vec!["lmg", "--n", "10", "--h", "abc", "-o", os], "--h"),
        (vec!["lmg", "--n", "10", "--h", "nan", "-o", os], "--h"),
        (vec!["lmg", "--n", "10", "--h", "0.1,inf", "-o", os], "--h"),
        (
            vec!["lmg", "--n", "10", "--h", "0.5", "--threads", "0", "-o", os],
            "--threads",
        ),
        (
            vec![
                "lmg",
                "--n",
                "10",
                "--h",
                "0.5",
                "--threads",
                "two",
                "-o",
                os,
            ],
            "--threads",
        ),
        (
            vec![
                "lmg",
                "--n",
                "10",
                "--h",
                "0.5",
                "--gamma-a",
                "-0.1",
                "-o",
                os,
            ],
            "--gamma-a",
        ),
        (
            vec![
                "lmg",
                "--n",
                "10",
                "--h",
                "0.5",
                "--gamma-b",
                "-1",
                "-o",
                os,
            ],
            "--gamma-b",
        ),
        (
            vec!["lmg", "--n", "10", "--h", "0.5", "--lambda", "0", "-o", os],
            "--lambda",
        ),
        (vec!["lmg", "--n", "10", "-o", os], "--h"),
        (vec!["lmg", "--n", "10", "--h", "0.5"], "--output"),
    ];
    for (args, flag) in &cases {
        assert_refused(args, flag, &o);
    }
    let missing_dir = dir.join("no/such/dir/x.h5");
    assert_refused(
        &[
            "lmg",
            "--n",
            "4",
            "--h",
            "0.5",
            "-o",
            missing_dir.to_str().unwrap(),
        ],
        "--output",
        &missing_dir,
    );
    // unknown subcommand
    let out = run(qk_cmd(&["frobnicate", "-o", os]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("frobnicate"));
    assert!(!o.exists());
}

#[test]
fn existing_output_is_never_overwritten_without_force() {
    let dir = scratch("exists");
    let o = dir.join("keep.h5");
    std::fs::write(&o, b"precious").unwrap();
    let out = run(qk_cmd(&[
        "lmg",
        "--n",
        "4",
        "--h",
        "0.5",
        "-o",
        o.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--resume") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&o).unwrap(), b"precious");
    // --resume and --force together are contradictory
    let out = run(qk_cmd(&[
        "lmg",
        "--n",
        "4",
        "--h",
        "0.5",
        "-o",
        o.to_str().unwrap(),
        "--resume",
        "--force",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&o).unwrap(), b"precious");
    // --force replaces it with a real result
    run_ok(qk_cmd(&[
        "lmg",
        "--n",
        "4",
        "--h",
        "0.5",
        "-o",
        o.to_str().unwrap(),
        "--force",
        "-q",
    ]));
    assert_eq!(read_u8(&o, "status/done"), vec![1]);
}

#[test]
fn resume_refuses_different_parameters_and_leaves_the_file_alone() {
    let dir = scratch("resume-mismatch");
    let o = dir.join("run.h5");
    let os = o.to_str().unwrap();
    run_ok(qk_cmd(&[
        "lmg", "--n", "4", "--h", "0.1,0.2", "-o", os, "-q",
    ]));
    let before = std::fs::read(&o).unwrap();
    for args in [
        vec!["lmg", "--n", "4", "--h", "0.1,0.3", "-o", os, "--resume"],
        vec!["lmg", "--n", "5", "--h", "0.1,0.2", "-o", os, "--resume"],
        vec![
            "lmg",
            "--n",
            "4",
            "--h",
            "0.1,0.2",
            "--gamma-b",
            "0.3",
            "-o",
            os,
            "--resume",
        ],
    ] {
        let out = run(qk_cmd(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(
            stderr.contains("--resume") && stderr.contains("differ"),
            "{stderr}"
        );
        assert_eq!(
            std::fs::read(&o).unwrap(),
            before,
            "{args:?} modified the file"
        );
    }
    // same parameters: nothing left to do, succeeds
    run_ok(qk_cmd(&[
        "lmg", "--n", "4", "--h", "0.1,0.2", "-o", os, "--resume", "-q",
    ]));
}

#[test]
fn help_lists_the_subcommands() {
    let out = run(qk_cmd(&["--help"]));
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "lmg",
        "lindemann",
        "spinwave",
        "kicked",
        "classical",
        "jumps",
    ] {
        assert!(help.contains(sub), "qk --help does not list {sub}:\n{help}");
    }
}

#[test]
fn spectrum_and_gap_bad_values_are_refused_naming_the_flag() {
    let dir = scratch("bad_spectrum");
    let o = dir.join("x.h5");
    let os = o.to_str().unwrap();
    let base = ["--n", "4", "--h", "0.5"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["spectrum", "--omega", "", "-o", os], "--omega"),
        (vec!["spectrum", "--omega", "0:1:0", "-o", os], "--omega"),
        (
            vec!["spectrum", "--omega", "1", "--a", "jq", "-o", os],
            "--a",
        ),
        (
            vec!["spectrum", "--omega", "1", "--b", "sx", "-o", os],
            "--b",
        ),
        (
            vec!["spectrum", "--omega", "1", "--kind", "power", "-o", os],
            "--kind",
        ),
        (
            vec!["spectrum", "--omega", "1", "--method", "fast", "-o", os],
            "--method",
        ),
        (vec!["gap", "--k", "0", "-o", os], "--k"),
        (vec!["gap", "--k", "-2", "-o", os], "--k"),
        (vec!["gap", "--shift", "nan", "-o", os], "--shift"),
        (vec!["spectrum", "--omega", "nan", "-o", os], "--omega"),
        (vec!["spectrum", "--omega", "1,inf", "-o", os], "--omega"),
        (vec!["spectrum", "-o", os], "--omega"),
        (
            vec!["spectrum", "--omega", "1", "--threads", "0", "-o", os],
            "--threads",
        ),
        (
            vec!["spectrum", "--omega", "1", "--gamma-b", "-1", "-o", os],
            "--gamma-b",
        ),
        (vec!["gap", "--k", "201", "-o", os], "--k"),
        (vec!["gap", "--k", "1.5", "-o", os], "--k"),
        (vec!["gap", "--shift", "inf", "-o", os], "--shift"),
        (vec!["gap", "--threads", "0", "-o", os], "--threads"),
        // more eigenvalues than a parity block of N = 4 holds besides the
        // steady state (12): refused before any point runs
        (vec!["gap", "--k", "13", "-o", os], "--k"),
    ];
    for (args, flag) in cases {
        let mut full: Vec<&str> = vec![args[0]];
        full.extend_from_slice(&base);
        full.extend_from_slice(&args[1..]);
        assert_refused(&full, flag, &o);
    }
}
