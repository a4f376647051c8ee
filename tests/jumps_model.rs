//! `qk jumps --model FILE.h5` end to end: ensembles of model files written from
//! QuTiP (scripts/example_models.py: Kerr oscillator with Fock truncation 10,
//! Jaynes–Cummings laser with 6 cavity states) against QuTiP 5's `mesolve`
//! (scripts/validate_jumps_qutip.py) within a few standard errors, the
//! long-time mean against `qk steady --model`, bit-identical results for 1 and
//! 2 ranks, the file's initial state against `--initial basis:K`, bad input and
//! a resume with another model refused. Needs the venv and mpirun: fails
//! without them.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The example model files, written once per test process.
fn examples() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("jumps-model-examples");
        run_ok(py(&[
            "scripts/example_models.py",
            dir.to_str().unwrap(),
            "--kerr-n",
            "10",
            "--jc-n",
            "6",
            "--ising-n",
            "3",
            "--lmg-n",
            "4",
        ]));
        dir
    })
}

fn model(name: &str) -> String {
    examples()
        .join(format!("{name}.h5"))
        .to_str()
        .unwrap()
        .to_string()
}

fn jumps(model: &str, flags: &[&str], out: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["jumps", "-q", "--model", model]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(flags.iter().map(|s| s.to_string()));
    v.extend(["-o".to_string(), out.to_str().unwrap().to_string()]);
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

const ENSEMBLE: [&str; 6] = ["--trajectories", "2000", "--t-end", "16", "--times", "17"];

/// The ensemble of `name` at one point against mesolve (largest deviation in
/// σ, from the script) and its last time against `qk steady` (the largest
/// |mean − steady| / err over the observables).
fn against_references(name: &str, point: &[&str]) -> (f64, f64) {
    let dir = scratch(&format!("jumps-model-{name}"));
    let file = model(name);
    let out = dir.join("jumps.h5");
    let mut flags: Vec<&str> = point.to_vec();
    flags.extend_from_slice(&ENSEMBLE);
    run_ok(qk_cmd(&strs(&jumps(&file, &flags, &out))));
    let v = run(py(&[
        "scripts/validate_jumps_qutip.py",
        &file,
        out.to_str().unwrap(),
        "--tol",
        "4",
    ]));
    let report = String::from_utf8_lossy(&v.stdout).to_string();
    eprintln!("{report}{}", String::from_utf8_lossy(&v.stderr));
    assert!(
        v.status.success(),
        "{name}: ensemble differs from mesolve: {report}"
    );
    let sigma: f64 = report
        .split("largest deviation ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no deviation in {report}"));

    let steady = dir.join("steady.h5");
    let mut args = vec!["steady", "-q", "--model", &file];
    args.extend_from_slice(point);
    args.extend_from_slice(&["-o", steady.to_str().unwrap()]);
    run_ok(qk_cmd(&args));
    let names = hdf5::File::open(&out)
        .unwrap()
        .group("results")
        .unwrap()
        .member_names()
        .unwrap();
    let mut worst = 0.0f64;
    let mut compared = 0;
    for obs in names.iter().filter_map(|n| n.strip_suffix("_err")) {
        if obs == "jumps" {
            continue;
        }
        let mean = read_f64(&out, &format!("results/{obs}"));
        let err = read_f64(&out, &format!("results/{obs}_err"));
        let s = read_f64(&steady, &format!("results/{obs}"))[0];
        let last = mean.len() - 1;
        let dev = (mean[last] - s).abs() / err[last];
        eprintln!(
            "{name} {obs}: t_end {:.5} ± {:.5}, steady {s:.5}: {dev:.2} σ",
            mean[last], err[last]
        );
        assert!(
            dev < 4.0,
            "{name} {obs}: long-time mean {} ± {} vs steady {s}",
            mean[last],
            err[last]
        );
        worst = worst.max(dev);
        compared += 1;
    }
    assert!(compared >= 3, "{name}: {names:?}");
    (sigma, worst)
}

#[test]
fn kerr_and_jc_laser_match_mesolve_and_the_steady_state() {
    let (k, ks) = against_references("kerr", &["--delta", "0.5"]);
    let (j, js) = against_references("jc_laser", &["--pump", "0.6"]);
    eprintln!(
        "largest deviation from mesolve: kerr {k:.2} σ, jc_laser {j:.2} σ; \
         long-time mean from qk steady: kerr {ks:.2} σ, jc_laser {js:.2} σ"
    );
}

#[test]
fn bit_identical_for_one_and_two_ranks() {
    let dir = scratch("jumps-model-ranks");
    let file = model("kerr");
    for (label, grid) in [
        ("sweep", &["--delta", "0,0.5", "--f", "0.5,1"][..]),
        ("point", &["--delta", "0.5"][..]),
    ] {
        let mut flags = grid.to_vec();
        flags.extend_from_slice(&["--trajectories", "300", "--t-end", "4", "--times", "9"]);
        let serial = dir.join(format!("{label}-1.h5"));
        run_ok(qk_cmd(&strs(&jumps(&file, &flags, &serial))));
        let reference = results_bytes(&serial);
        assert!(reference.len() >= 8, "{reference:?}");
        for per_task in ["1", "2", "auto"] {
            let out = dir.join(format!("{label}-2-{per_task}.h5"));
            let mut f = flags.clone();
            f.extend_from_slice(&["--ranks-per-task", per_task]);
            run_ok(mpirun_cmd(2, &strs(&jumps(&file, &f, &out))));
            let got = results_bytes(&out);
            assert_eq!(reference.len(), got.len());
            for ((n, a), (m, b)) in reference.iter().zip(&got) {
                assert_eq!(n, m);
                assert!(
                    a == b,
                    "{label}: {n} differs at 2 ranks, --ranks-per-task {per_task}"
                );
            }
        }
    }
}

/// The Kerr file's initial state is the vacuum: the same ensemble as `--initial basis:0`.
#[test]
fn the_file_initial_state_equals_the_basis_flag() {
    let dir = scratch("jumps-model-initial");
    let file = model("kerr");
    let flags = [
        "--delta",
        "0.3",
        "--trajectories",
        "100",
        "--t-end",
        "2",
        "--times",
        "5",
    ];
    let (a, b) = (dir.join("file.h5"), dir.join("basis.h5"));
    run_ok(qk_cmd(&strs(&jumps(&file, &flags, &a))));
    let mut f = flags.to_vec();
    f.extend_from_slice(&["--initial", "basis:0"]);
    run_ok(qk_cmd(&strs(&jumps(&file, &f, &b))));
    assert_eq!(results_bytes(&a), results_bytes(&b));
    let f = hdf5::File::open(&b).unwrap();
    let init: hdf5::types::VarLenUnicode = f.attr("initial").unwrap().read_scalar().unwrap();
    assert_eq!(init.as_str(), "basis:0");
    // another basis state is another ensemble
    let c = dir.join("basis3.h5");
    let mut g = flags.to_vec();
    g.extend_from_slice(&["--initial", "basis:3"]);
    run_ok(qk_cmd(&strs(&jumps(&file, &g, &c))));
    assert_ne!(read_f64(&a, "results/n"), read_f64(&c, "results/n"));
    assert!((read_f64(&c, "results/n")[0] - 3.0).abs() < 1e-12);
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    let dir = scratch("jumps-model-bad");
    let (kerr, ising) = (model("kerr"), model("ising"));
    // a file whose /initial_state is zero
    let zero = dir.join("zero.h5");
    std::fs::copy(&kerr, &zero).unwrap();
    let z = zero.to_str().unwrap().to_string();
    run_ok(py(&[
        "-c",
        &format!("import h5py; f = h5py.File('{z}', 'r+'); f['initial_state/data_re'][...] = 0"),
    ]));
    // a parameter named like a flag of qk jumps
    let seed = dir.join("seed.h5");
    let sd = seed.to_str().unwrap().to_string();
    run_ok(py(&[
        "-c",
        &format!(
            "import sys; sys.path.insert(0, 'scripts'); import qutip as qt; from qk_model import save_model; \
             save_model('{sd}', H={{'n': (qt.num(3), 'seed')}}, parameters={{'seed': 1.0}}, initial=qt.basis(3, 0))"
        ),
    ]));
    // a parameter and an observable named like the output-time axis
    let (ptime, otime) = (dir.join("ptime.h5"), dir.join("otime.h5"));
    let (pt, ot) = (
        ptime.to_str().unwrap().to_string(),
        otime.to_str().unwrap().to_string(),
    );
    run_ok(py(&[
        "-c",
        &format!(
            "import sys; sys.path.insert(0, 'scripts'); import qutip as qt; from qk_model import save_model; \
             save_model('{pt}', H={{'n': (qt.num(3), 'time')}}, parameters={{'time': 1.0}}, initial=qt.basis(3, 0)); \
             save_model('{ot}', H={{'n': (qt.num(3), 'w')}}, observables={{'time': qt.num(3)}}, parameters={{'w': 1.0}}, initial=qt.basis(3, 0))"
        ),
    ]));
    let ens = ["--trajectories", "10", "--t-end", "1", "--times", "3"];
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["--model", &ising, "--h", "1"],
            "--initial",
            "no /initial_state",
        ),
        (
            vec!["--model", &kerr, "--delta", "0", "--initial", "basis:10"],
            "--initial",
            "out of range",
        ),
        (
            vec!["--model", &kerr, "--delta", "0", "--initial", "up"],
            "--initial",
            "basis:K",
        ),
        (
            vec!["--model", &kerr, "--delta", "0", "--n", "3"],
            "--n",
            "unexpected",
        ),
        (
            vec!["--model", &kerr, "--delta", "0", "--gamma-b", "0.2"],
            "--gamma-b",
            "unexpected",
        ),
        (vec!["--model", &kerr], "--delta", "no default"),
        (
            vec!["--model", &kerr, "--delta", "0", "--kappa=-1"],
            "--kappa",
            "negative rate",
        ),
        (
            vec!["--model", &z, "--delta", "0"],
            "--model",
            "zero vector",
        ),
        (vec!["--model", &sd], "--model", "flag of qk itself"),
        (vec!["--model", &pt], "--model", "parameter 'time'"),
        (vec!["--model", &ot], "--model", "'time' clashes"),
    ];
    for (i, (args, flag, what)) in cases.iter().enumerate() {
        let out = dir.join(format!("out{i}.h5"));
        let mut a = vec!["jumps", "-q"];
        a.extend_from_slice(args);
        a.extend_from_slice(&ens);
        a.extend_from_slice(&["-o", out.to_str().unwrap()]);
        let r = run(qk_cmd(&a));
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(what), "{args:?}: {err}");
        assert_eq!(
            err.lines().next().map(|l| l.starts_with("qk: error:")),
            Some(true),
            "{err}"
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

#[test]
fn resume_refuses_another_model() {
    let dir = scratch("jumps-model-resume");
    let a = model("kerr");
    let b = dir.join("other.h5");
    std::fs::copy(&a, &b).unwrap();
    let b = b.to_str().unwrap().to_string();
    run_ok(py(&[
        "-c",
        &format!("import h5py; f = h5py.File('{b}', 'r+'); f.attrs['description'] = 'another'"),
    ]));
    let out = dir.join("out.h5");
    let flags = [
        "--delta",
        "0,1",
        "--trajectories",
        "20",
        "--t-end",
        "1",
        "--times",
        "3",
    ];
    run_ok(qk_cmd(&strs(&jumps(&a, &flags, &out))));
    let mut f = flags.to_vec();
    f.push("--resume");
    let r = run(qk_cmd(&strs(&jumps(&b, &f, &out))));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("model_sha256"), "{err}");
    run_ok(qk_cmd(&strs(&jumps(&a, &f, &out))));
}
