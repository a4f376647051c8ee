//! `qk steady --model FILE.h5` end to end: model files written from QuTiP by
//! scripts/qk_model.py (scripts/example_models.py), results against QuTiP 5's
//! `steadystate` (scripts/validate_model_qutip.py), the LMG model file against
//! `qk lmg`, bad input, resume with another model, the memory refusal.
//! Needs the venv (scripts/setup.sh): fails without it.
//!
//! Sizes: Kerr Fock 40, Jaynes–Cummings laser with 20 cavity states, LMG N = 20,
//! Ising chain of 4 spins (QuTiP's direct solver needs minutes for 6 spins on this
//! machine; QK_HEAVY=1 runs the chain of 6).

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// The example model files, written once per test process.
fn examples() -> &'static Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("steady-examples");
        write_examples(&dir);
        dir
    })
}

fn write_examples(dir: &Path) {
    let ising = if std::env::var("QK_HEAVY").as_deref() == Ok("1") {
        "6"
    } else {
        "4"
    };
    run_ok(py(&[
        "scripts/example_models.py",
        dir.to_str().unwrap(),
        "--kerr-n",
        "40",
        "--jc-n",
        "20",
        "--ising-n",
        ising,
        "--lmg-n",
        "20",
    ]));
}

#[test]
fn four_models_match_qutip() {
    let models = examples();
    let dir = scratch("steady-qutip");
    let mut pairs: Vec<String> = Vec::new();
    for (model, flags) in [
        ("kerr", &["--delta", "-2:2:3", "--f", "0.5,1.5"][..]),
        (
            "jc_laser",
            &["--pump", "0.1,0.6,2", "--delta-c", "0,0.3"][..],
        ),
        ("ising", &["--h", "0.3,1.2", "--j", "0.5,1"][..]),
        ("lmg", &["--h", "-0.2,0.3,0.8"][..]),
    ] {
        let file = models.join(format!("{model}.h5"));
        let out = dir.join(format!("{model}.out.h5"));
        let mut args = vec![
            "steady",
            "-q",
            "--model",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        run_ok(qk_cmd(&args));
        pairs.push(file.to_str().unwrap().into());
        pairs.push(out.to_str().unwrap().into());
        // quality figures are written and good
        let residual = read_f64(&out, "results/residual");
        assert!(residual.iter().all(|&r| r < 1e-12), "{model}: {residual:?}");
        let failed = read_u8(&out, "status/failed");
        assert!(failed.iter().all(|&f| f == 0), "{model}");
    }
    let mut args = vec!["scripts/validate_model_qutip.py", "--tol", "1e-8"];
    args.extend(pairs.iter().map(String::as_str));
    let v = run_ok(py(&args));
    let report = String::from_utf8_lossy(&v.stdout);
    eprintln!("{report}");
    assert_eq!(report.matches("worst difference").count(), 4, "{report}");
    // non-Hermitian observables get an imaginary part, Hermitian ones none
    let out = dir.join("kerr.out.h5");
    assert_eq!(read_f64(&out, "results/a_imag").len(), 6);
    let f = hdf5::File::open(&out).unwrap();
    assert!(f.dataset("results/n_imag").is_err());
}

/// The LMG model as a model file equals `qk lmg` to 1e-10.
#[test]
fn lmg_model_file_equals_qk_lmg() {
    let dir = scratch("steady-lmg");
    let file = examples().join("lmg.h5");
    let a = dir.join("steady.h5");
    let b = dir.join("lmg_ref.h5");
    let h = "-0.3:1.2:7";
    run_ok(qk_cmd(&[
        "steady",
        "-q",
        "--model",
        file.to_str().unwrap(),
        "--h",
        h,
        "--gamma-b",
        "0.2,0.5",
        "-o",
        a.to_str().unwrap(),
    ]));
    run_ok(qk_cmd(&[
        "lmg",
        "-q",
        "--n",
        "20",
        "--h",
        h,
        "--gamma-b",
        "0.2,0.5",
        "-o",
        b.to_str().unwrap(),
    ]));
    for k in ["jz", "jx2", "jy2", "jz2", "purity", "trace"] {
        let x = read_f64(&a, &format!("results/{k}"));
        let y = read_f64(&b, &format!("results/{k}"));
        assert_eq!(x.len(), 14);
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(&y) {
            assert!((p - q).abs() < 1e-10, "{k}: {p} vs {q}");
        }
    }
    // the plan is reused across h and Γb (one pattern): METIS ordering recorded
    let f = hdf5::File::open(&a).unwrap();
    let sha = f
        .attr("model_sha256")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert_eq!(sha.as_str().len(), 64);
}

/// Writes variants of a small valid Kerr model, one per `(name, edit)`
/// (`edit`: Python on the h5py File `f`, numpy as `np`), in one Python run;
/// returns their paths.
fn variants(dir: &Path, edits: &[(&str, &str)]) -> Vec<String> {
    let mut code = String::from(
        "import sys, numpy as np, h5py\nsys.path.insert(0, 'scripts')\nimport example_models\n",
    );
    let mut paths = Vec::new();
    for (name, edit) in edits {
        let p = dir.join(format!("{name}.h5")).to_str().unwrap().to_string();
        code += &format!(
            "example_models.kerr({p:?}, 4)\nf = h5py.File({p:?}, 'r+')\n{edit}\nf.close()\n"
        );
        paths.push(p);
    }
    run_ok(py(&["-c", &code]));
    paths
}

fn refused(args: &[&str], out: &Path, names: &str) {
    let o = run(qk_cmd(args));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(names), "{args:?}: '{err}' should name {names}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn bad_model_files_and_flags_are_refused() {
    let dir = scratch("steady-bad");
    let out = dir.join("out.h5");
    let o = out.to_str().unwrap();
    let steady = |model: &str, extra: &[&str]| {
        let mut a = vec!["steady", "--model", model, "-o", o, "--delta", "0"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<String>>()
    };
    let check = |args: Vec<String>, names: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&a, &out, names);
    };
    let missing = dir.join("nope.h5");
    check(steady(missing.to_str().unwrap(), &[]), "nope.h5");
    let text = dir.join("text.h5");
    std::fs::write(&text, "not hdf5").unwrap();
    check(steady(text.to_str().unwrap(), &[]), "text.h5");
    let cases = [
        (
            "version",
            "f.attrs['format_version'] = np.int64(2)",
            "format version 2",
        ),
        (
            "nonsquare",
            "f['hamiltonian/detuning'].attrs['shape'] = np.array([4, 5], dtype=np.int64)",
            "not square",
        ),
        (
            "dims",
            "f.attrs['dims'] = np.array([5], dtype=np.int64)",
            "expected 5x5",
        ),
        (
            "hermitian",
            "g = f['hamiltonian/drive']; g['data_im'][0] = 0.5",
            "not Hermitian",
        ),
        (
            "badcsr",
            "g = f['hamiltonian/drive']; g['indices'][0] = 9",
            "out of range",
        ),
        (
            "unknownparam",
            "f['collapse/loss'].attrs['parameter'] = 'kapa'",
            "unknown parameter 'kapa'",
        ),
        (
            "negconst",
            "g = f['collapse/loss']; g.attrs['parameter'] = ''; g.attrs['factor'] = -1.0",
            "negative constant rate",
        ),
        (
            "obsparam",
            "f.move('observables/n', 'observables/delta')",
            "observable 'delta' has the name of a parameter",
        ),
        (
            "obsfailed",
            "f.move('observables/n', 'observables/failed')",
            "'failed' is the name of the results' failure flags",
        ),
    ];
    let mut edits: Vec<(&str, &str)> = cases.iter().map(|c| (c.0, c.1)).collect();
    edits.push(("good", "pass"));
    let paths = variants(&dir, &edits);
    for ((_, _, why), p) in cases.iter().zip(&paths) {
        check(steady(p, &[]), why);
        check(steady(p, &[]), p);
    }
    let good = paths.last().unwrap().clone();
    check(steady(&good, &["--kappa", "-1"]), "--kappa");
    check(steady(&good, &["--omega", "1"]), "--omega");
    let no_delta = vec!["steady", "--model", &good, "-o", o];
    refused(&no_delta, &out, "--delta");
    // a failing single point (no drive, no loss: singular) is named on
    // stderr by its values
    let lossless = run(qk_cmd(&[
        "steady", "--model", &good, "-o", o, "--delta", "0", "--kappa", "0", "--f", "0",
    ]));
    let err = String::from_utf8_lossy(&lossless.stderr);
    assert!(err.contains("qk: point delta=0 chi=0.3"), "{err}");
    std::fs::remove_file(&out).unwrap();
    let twice = vec![
        "steady", "--model", &good, "--model", &good, "-o", o, "--delta", "0",
    ];
    refused(&twice, &out, "--model: given 2 times");
    // the memory estimate refuses a node that cannot hold the plan (Kerr 40:
    // 16.2 MiB without the plan, about 20 MiB with it)
    let kerr40 = examples().join("kerr.h5");
    let kerr40 = kerr40.to_str().unwrap();
    let mut c = qk_cmd(&["steady", "--model", kerr40, "-o", o, "--delta", "0"]);
    c.env("SLURM_MEM_PER_NODE", "17");
    let r = run(c);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("--model") && err.contains("unknowns"), "{err}");
    assert!(!out.exists());
    // a dimension whose dense state alone does not fit is refused before the
    // plan is built (D = 1000: 112 MB; the plan alone would take ~1 GB)
    let big = dir.join("big.h5");
    let b = big.to_str().unwrap().to_string();
    run_ok(py(&[
        "-c",
        &format!(
            "import sys; sys.path.insert(0, 'scripts'); import qutip as qt; from qk_model import save_model; \
             a = qt.destroy(1000); save_model('{b}', H={{'n': (a.dag() * a, 'delta')}}, c_ops={{'loss': a}}, parameters={{'delta': 1.0}})"
        ),
    ]));
    let mut c = qk_cmd(&["steady", "--model", &b, "-o", o]);
    c.env("SLURM_MEM_PER_NODE", "50");
    let r = run(c);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--model") && err.contains("no plan built"),
        "{err}"
    );
    assert!(!out.exists());
}

/// `--resume` refuses another model file (its hash is in the signature) and
/// completes with the same one.
#[test]
fn resume_refuses_another_model() {
    let dir = scratch("steady-resume");
    let paths = variants(
        &dir,
        &[("a", "pass"), ("b", "f.attrs['description'] = 'another'")],
    );
    let (a, b) = (paths[0].clone(), paths[1].clone());
    let out = dir.join("out.h5");
    let o = out.to_str().unwrap();
    run_ok(qk_cmd(&[
        "steady", "-q", "--model", &a, "--delta", "-1:1:3", "-o", o,
    ]));
    let r = run(qk_cmd(&[
        "steady", "-q", "--model", &b, "--delta", "-1:1:3", "-o", o, "--resume",
    ]));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("model_sha256"), "{err}");
    run_ok(qk_cmd(&[
        "steady", "-q", "--model", &a, "--delta", "-1:1:3", "-o", o, "--resume",
    ]));
}

/// The README's `qk steady` example runs as written, from a directory laid out
/// like the repository root (scripts/, .venv/, target/release/qk).
#[test]
fn readme_example_runs_as_written() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- steady-example begin -->")
        .expect("README has the steady example");
    let end = readme.find("<!-- steady-example end -->").unwrap();
    let block = &readme[start..end];
    let script: String = block
        .lines()
        .skip_while(|l| !l.starts_with("```bash"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("qk steady --model kerr.h5"), "{script}");
    let dir = scratch("steady-readme");
    let root = workspace_root();
    std::os::unix::fs::symlink(root.join("scripts"), dir.join("scripts")).unwrap();
    std::os::unix::fs::symlink(
        python().parent().unwrap().parent().unwrap(),
        dir.join(".venv"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("target/release")).unwrap();
    std::os::unix::fs::symlink(qk(), dir.join("target/release/qk")).unwrap();
    let mut c = Command::new("bash");
    c.current_dir(&dir)
        .args(["-euo", "pipefail", "-c", &script])
        .env("QK_PROGRESS_INTERVAL", "3600");
    let out = run_ok(c);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("driven dissipative Kerr oscillator | max <n> ="),
        "{text}"
    );
    assert!(dir.join("kerr_sweep.h5").exists());
}

/// A point without dissipation (every collapse rate 0) fails with its
/// reason, never as a number: −i[H, ·] keeps every function of H, so the
/// steady state is not unique (a factorization may still return one of
/// them); the sweep's other point is unaffected.
#[test]
fn a_point_without_dissipation_fails_as_not_unique() {
    let dir = scratch("steady-lossless");
    let out = dir.join("o.h5");
    let kerr = examples().join("kerr.h5");
    let r = run(qk_cmd(&[
        "steady",
        "--model",
        kerr.to_str().unwrap(),
        "--delta",
        "0",
        "--kappa",
        "0,1",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_ne!(r.status.code(), Some(2), "{err}");
    assert_eq!(read_u8(&out, "status/failed"), vec![1, 0], "{err}");
    let why = read_errors(&out);
    assert!(why[0].contains("not unique"), "{why:?}");
    let n = read_f64(&out, "results/n");
    assert!(n[0].is_nan() && n[1].is_finite(), "{n:?}");
}
