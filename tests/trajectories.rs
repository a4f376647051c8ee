//! End-to-end tests of `qk classical` and `qk jumps`: bit-identical results
//! for 1, 2 and 3 ranks (one point's trajectories shared by the ranks of a
//! task, or points dealt out dynamically), after SIGKILL + `--resume`, and bad
//! input refused with exit status 2 naming the flag, nothing written.

mod common;

use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

const CLASSICAL: [&str; 14] = [
    "classical",
    "--mass",
    "0.5,1",
    "--eps",
    "0,2",
    "--trajectories",
    // 19 batches of 8: at 3 ranks per task every rank computes some (64 per rank and round)
    "150",
    "--kicks",
    "8",
    "--tolerance",
    "1e-6",
    "--histogram-at",
    "4,8",
    "-q",
];
const JUMPS: [&str; 14] = [
    "jumps",
    "--n",
    "3,6",
    "--h",
    "0.4,1.1",
    "--gamma-b",
    "0.5",
    "--trajectories",
    "150",
    "--t-end",
    "4",
    "--times",
    "9",
    "-q",
];

fn args_with_output(base: &[&str], out: &Path, extra: &[&str]) -> Vec<String> {
    base.iter()
        .chain(extra)
        .map(|s| s.to_string())
        .chain(["-o".to_string(), out.to_str().unwrap().to_string()])
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn bit_identical_over_ranks(base: &[&str], name: &str) {
    let dir = scratch(name);
    let serial = dir.join("serial.h5");
    run_ok(qk_cmd(&strs(&args_with_output(base, &serial, &[]))));
    let reference = results_bytes(&serial);
    assert!(reference.len() >= 6);
    for (ranks, per_task) in [(2, "2"), (3, "3"), (3, "1"), (2, "auto")] {
        let out = dir.join(format!("r{ranks}-{per_task}.h5"));
        run_ok(mpirun_cmd(
            ranks,
            &strs(&args_with_output(
                base,
                &out,
                &["--ranks-per-task", per_task],
            )),
        ));
        let got = results_bytes(&out);
        for ((n, a), (m, b)) in reference.iter().zip(&got) {
            assert_eq!(n, m);
            assert!(
                a == b,
                "{name}: {n} differs at {ranks} ranks, --ranks-per-task {per_task}"
            );
        }
        let done = read_u8(&out, "status/done");
        assert!(done.iter().all(|&d| d == 1), "{done:?}");
    }
}

#[test]
fn classical_is_bit_identical_for_any_rank_count() {
    bit_identical_over_ranks(&CLASSICAL, "classical-ranks");
}

/// One point: `--ranks-per-task auto` shares its trajectories among all the ranks.
#[test]
fn a_single_classical_point_is_bit_identical_for_any_rank_count() {
    let mut single = CLASSICAL;
    (single[2], single[4]) = ("1", "2");
    bit_identical_over_ranks(&single, "classical-single");
}

/// The kicked interaction (ε = 2 at half the points): bit-identical for any
/// rank count too.
#[test]
fn classical_kicked_interaction_is_bit_identical_for_any_rank_count() {
    let mut kicked = CLASSICAL.to_vec();
    kicked.extend(["--interaction", "kicked"]);
    bit_identical_over_ranks(&kicked, "classical-kicked-ranks");
}

/// The interaction is part of the run's identity: `--resume` with the other
/// one (or the default) is refused, exit 2, the file untouched; with the same
/// one it succeeds.
#[test]
fn resume_refuses_another_interaction() {
    let dir = scratch("classical-resume-interaction");
    let o = dir.join("k.h5");
    let os = o.to_str().unwrap();
    let base = [
        "classical",
        "--mass",
        "1",
        "--eps",
        "2",
        "--trajectories",
        "8",
        "--kicks",
        "4",
        "-q",
        "-o",
        os,
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    run_ok(qk_cmd(&with(&["--interaction", "kicked"])));
    let before = std::fs::read(&o).unwrap();
    for extra in [
        &["--interaction", "continuous", "--resume"][..],
        &["--resume"][..],
    ] {
        let r = run(qk_cmd(&with(extra)));
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains("--resume") && err.contains("differ"), "{err}");
        assert_eq!(
            std::fs::read(&o).unwrap(),
            before,
            "{extra:?} modified the file"
        );
    }
    run_ok(qk_cmd(&with(&["--interaction", "kicked", "--resume"])));
}

#[test]
fn jumps_are_bit_identical_for_any_rank_count() {
    bit_identical_over_ranks(&JUMPS, "jumps-ranks");
}

#[test]
fn seed_changes_the_ensemble_and_is_recorded() {
    let dir = scratch("seed");
    let (a, b) = (dir.join("a.h5"), dir.join("b.h5"));
    run_ok(qk_cmd(&strs(&args_with_output(&JUMPS, &a, &[]))));
    run_ok(qk_cmd(&strs(&args_with_output(
        &JUMPS,
        &b,
        &["--seed", "7"],
    ))));
    assert_ne!(read_f64(&a, "results/jz"), read_f64(&b, "results/jz"));
    let f = hdf5::File::open(&b).unwrap();
    let seed: hdf5::types::VarLenUnicode = f.attr("seed").unwrap().read_scalar().unwrap();
    assert_eq!(seed.as_str(), "7");
}

fn count_done(path: &Path) -> Option<usize> {
    let f = hdf5::File::open(path).ok()?;
    let d: Vec<u8> = f.dataset("status/done").ok()?.read_raw().ok()?;
    Some(d.iter().filter(|&&x| x == 1).count())
}

#[test]
fn sigkill_then_resume_equals_an_uninterrupted_run() {
    std::env::set_var("HDF5_USE_FILE_LOCKING", "FALSE");
    let dir = scratch("traj-kill");
    let base = [
        "classical",
        "--mass=0.3:1:16",
        "--eps",
        "1",
        "--trajectories",
        "24",
        "--kicks",
        "6",
        "--tolerance",
        "1e-6",
        "--flush-interval",
        "0",
        "-q",
    ];
    let (full, killed) = (dir.join("full.h5"), dir.join("killed.h5"));
    run_ok(qk_cmd(&strs(&args_with_output(&base, &full, &[]))));
    let args = args_with_output(&base, &killed, &[]);
    let mut child = qk_cmd(&strs(&args))
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(120) {
        if count_done(&killed).is_some_and(|d| d >= 2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the run finished before it could be killed"
    );
    let done = count_done(&killed).expect("killed file must stay readable");
    assert!(done < 16, "done after kill: {done}");
    let mut resume = qk_cmd(&strs(&args));
    resume.arg("--resume");
    run_ok(resume);
    assert_eq!(count_done(&killed), Some(16));
    assert!(
        results_bytes(&full) == results_bytes(&killed),
        "resumed run differs from the uninterrupted one"
    );
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    let dir = scratch("traj-bad");
    let out = dir.join("x.h5");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (
            &[
                "classical",
                "--mass",
                "1",
                "--eps",
                "0",
                "--trajectories",
                "-5",
                "--kicks",
                "3",
            ],
            "--trajectories",
        ),
        (
            &[
                "classical",
                "--mass",
                "1",
                "--eps",
                "0",
                "--trajectories",
                "5",
                "--kicks",
                "0",
            ],
            "--kicks",
        ),
        (
            &[
                "classical",
                "--mass",
                "1",
                "--eps",
                "0",
                "--trajectories",
                "5",
                "--kicks",
                "3",
                "--noise-width",
                "-1",
            ],
            "--noise-width",
        ),
        (
            &[
                "classical",
                "--mass",
                "-1",
                "--eps",
                "0",
                "--trajectories",
                "5",
                "--kicks",
                "3",
            ],
            "--mass",
        ),
        (
            &[
                "classical",
                "--mass",
                "1",
                "--eps",
                "0",
                "--trajectories",
                "5",
                "--kicks",
                "3",
                "--histogram-at",
                "9",
            ],
            "--histogram-at",
        ),
        (
            &[
                "jumps",
                "--n",
                "4",
                "--h",
                "1",
                "--trajectories",
                "5",
                "--t-end",
                "0",
                "--times",
                "3",
            ],
            "--t-end",
        ),
        (
            &[
                "jumps",
                "--n",
                "4",
                "--h",
                "1",
                "--trajectories",
                "5",
                "--t-end",
                "1",
                "--times",
                "-3",
            ],
            "--times",
        ),
        (
            &[
                "jumps",
                "--n",
                "0",
                "--h",
                "1",
                "--trajectories",
                "5",
                "--t-end",
                "1",
                "--times",
                "3",
            ],
            "--n",
        ),
        (
            &[
                "jumps",
                "--n",
                "4",
                "--h",
                "1",
                "--trajectories",
                "0",
                "--t-end",
                "1",
                "--times",
                "3",
            ],
            "--trajectories",
        ),
    ];
    // qk jumps: one flag spoiled at a time
    let good = [
        ("--n", "4"),
        ("--h", "1"),
        ("--trajectories", "5"),
        ("--t-end", "1"),
        ("--times", "3"),
        ("--initial", "up"),
    ];
    let spoiled = [
        ("--trajectories", "-3"),
        ("--t-end", "-1"),
        ("--t-end", "nan"),
        ("--times", "1"),
        ("--times", "0"),
        ("--n", "2001"),
        ("--n", "2.5"),
        ("--initial", "sideways"),
        ("--gamma-b", "-0.1"),
        ("--lambda", "0"),
        ("--ranks-per-task", "0"),
        ("--ranks-per-task", "automatic"),
    ];
    let jumps: Vec<(Vec<&str>, &str)> = spoiled
        .iter()
        .map(|&(flag, value)| {
            let mut a = vec!["jumps"];
            for &(f, v) in &good {
                a.extend([f, if f == flag { value } else { v }]);
            }
            if !good.iter().any(|&(f, _)| f == flag) {
                a.extend([flag, value]);
            }
            (a, flag)
        })
        .collect();
    let all = cases.iter().map(|(a, f)| (a.to_vec(), *f)).chain(jumps);
    for (args, flag) in all {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["-o", o]);
        let r = run(qk_cmd(&a));
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote a file");
    }
}

/// scripts/plot_classical.py renders seed 002 Fig. 1 from real (small) qk
/// classical files: a sweep over m and ε, the ε = 0 line and the inset point.
#[test]
fn plot_classical_renders_a_real_file() {
    let py = python();
    let dir = scratch("classical-plot");
    let files: Vec<_> = ["sweep", "eps0", "inset"]
        .iter()
        .map(|n| dir.join(format!("{n}.h5")))
        .collect();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let base = [
        "classical",
        "--trajectories",
        "16",
        "--kicks",
        "10",
        "--tolerance",
        "1e-6",
        "-q",
    ];
    for (f, grid) in files.iter().zip([
        ["--mass", "0.3,1", "--eps", "0.1,2"],
        ["--mass", "1", "--eps", "0"],
        ["--mass", "0.5", "--eps", "2"],
    ]) {
        let mut a: Vec<String> = base.iter().map(|x| x.to_string()).collect();
        a.extend(grid.iter().map(|x| x.to_string()));
        a.extend(["-o".to_string(), s(f)]);
        run_ok(qk_cmd(&strs(&a)));
    }
    let png = dir.join("fig1.png");
    let mut c = std::process::Command::new(py);
    c.arg(workspace_root().join("scripts/plot_classical.py"))
        .args(files.iter().map(|f| s(f)))
        .args(["--inset-reference", &s(&files[1]), "-o", &s(&png)]);
    run_ok(c);
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.len() > 10_000 && bytes.starts_with(b"\x89PNG"),
        "{} bytes",
        bytes.len()
    );
}

/// More bad input of `qk classical`: each replacement of a valid flag value
/// exits 2 naming the flag, with nothing written.
#[test]
fn classical_bad_values_exit_2_naming_the_flag() {
    let dir = scratch("classical-bad");
    let out = dir.join("x.h5");
    let cases: [(&str, &str); 15] = [
        ("--ranks-per-task", "-2"),
        ("--interaction", "kick"),
        ("--interaction", ""),
        ("--mass", "0"),
        ("--mass", "1:2:0"),
        ("--eps", "nan"),
        ("--k1", "inf"),
        ("--lambda", "-1"),
        ("--noise-width", "-0.5"),
        ("--trajectories", "0"),
        ("--kicks", "-3"),
        ("--observe-every", "0"),
        ("--substeps", "0"),
        ("--tolerance", "-1"),
        ("--histogram-max", "0"),
    ];
    for (flag, value) in cases {
        let mut a = vec![
            "classical",
            "--mass",
            "1",
            "--eps",
            "0",
            "--trajectories",
            "5",
            "--kicks",
            "10",
            "--histogram-at",
            "5",
        ];
        match a.iter().position(|&x| x == flag) {
            Some(i) => a[i + 1] = value,
            None => a.extend([flag, value]),
        }
        a.extend(["-o", out.to_str().unwrap()]);
        let r = run(qk_cmd(&a));
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!out.exists(), "{flag} {value} wrote a file");
    }
}
