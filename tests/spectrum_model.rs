//! `qk spectrum --model FILE.h5` end to end: model files written from QuTiP by
//! scripts/qk_model.py (scripts/example_models.py), spectra against QuTiP 5's
//! `spectrum(H, ω, c_ops, A, B, solver="es")` side by side
//! (scripts/validate_spectrum_qutip.py) to 1e-8 of max |S|, the LMG model file
//! against `qk spectrum` (LMG) to 1e-10, bad input, resume with another model.
//! Needs the venv (scripts/setup.sh): fails without it.
//!
//! Sizes: Kerr Fock 15 (no parity: the whole space), Jaynes–Cummings laser with
//! 8 cavity states (excitation parity: the odd block for a†, a; the even one,
//! with the trace row, for n, n), LMG N = 8.

mod common;
use common::*;
use std::path::Path;

/// The example model files, written once per test process.
fn examples() -> &'static Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("spectrum-model-examples");
        run_ok(py(&[
            "scripts/example_models.py",
            dir.to_str().unwrap(),
            "--kerr-n",
            "15",
            "--jc-n",
            "8",
            "--ising-n",
            "2",
            "--lmg-n",
            "8",
            "--spectra",
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

/// `qk spectrum --model FILE ARGS -o OUT` (must succeed, every point done).
fn spectrum(file: &str, args: &[&str], out: &Path) {
    let mut a = vec![
        "spectrum",
        "-q",
        "--model",
        file,
        "-o",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    run_ok(qk_cmd(&a));
    let failed = read_u8(out, "status/failed");
    assert!(failed.iter().all(|&f| f == 0), "{args:?}: a point failed");
}

#[test]
fn kerr_and_jc_laser_match_qutip() {
    let dir = scratch("spectrum-model-qutip");
    let (kerr, jc) = (model("kerr"), model("jc_laser"));
    let omega = "--omega=-3.95:4.05:41";
    let cases: [(&str, &[&str], &str); 4] = [
        (
            &kerr,
            &[
                "--delta=-1,1",
                "--f",
                "1",
                "--a",
                "a.dag",
                "--b",
                "a",
                "--method",
                "krylov",
            ],
            "kerr_krylov",
        ),
        (
            &kerr,
            &[
                "--delta=-1,1",
                "--f",
                "1",
                "--a",
                "a.dag",
                "--b",
                "a",
                "--method",
                "direct",
            ],
            "kerr_direct",
        ),
        (
            &jc,
            &["--pump", "0.1,0.6", "--a", "a.dag", "--b", "a"],
            "jc_field",
        ),
        (
            &jc,
            &["--pump", "0.1,0.6", "--a", "n", "--b", "n"],
            "jc_number",
        ),
    ];
    let mut pairs: Vec<String> = Vec::new();
    for (file, args, tag) in cases {
        let out = dir.join(format!("{tag}.h5"));
        let mut a = args.to_vec();
        a.push(omega);
        spectrum(file, &a, &out);
        pairs.push(file.to_string());
        pairs.push(out.to_str().unwrap().into());
        let be = read_f64(&out, "results/backward_error");
        assert!(be.iter().all(|&b| b < 1e-10), "{tag}: {be:?}");
    }
    // the block: the whole space for Kerr (no parity), one parity half for the laser
    assert!(
        read_f64(&dir.join("kerr_krylov.h5"), "results/block_unknowns")
            .iter()
            .all(|&u| u == 225.0)
    );
    for tag in ["jc_field", "jc_number"] {
        let u = read_f64(&dir.join(format!("{tag}.h5")), "results/block_unknowns");
        assert!(u.iter().all(|&u| u == 128.0), "{tag}: {u:?}");
    }
    // an operator that mixes the parity blocks: the whole space (256 unknowns)
    let mixed = dir.join("jc_mixed.h5");
    let mixed_out = dir.join("jc_mixed.out.h5");
    let code = format!(
        "import shutil, sys, h5py, qutip as qt\nsys.path.insert(0, 'scripts')\nimport qk_model\n\
         shutil.copy({jc:?}, {m:?})\na = qt.tensor(qt.destroy(8), qt.qeye(2))\n\
         with h5py.File({m:?}, 'r+') as f:\n    qk_model._write_op(f['observables'], 'mix', a + a.dag() * a)\n",
        m = mixed.to_str().unwrap()
    );
    run_ok(py(&["-c", &code]));
    let m = mixed.to_str().unwrap().to_string();
    spectrum(
        &m,
        &["--pump", "0.3", "--a", "mix.dag", "--b", "mix", omega],
        &mixed_out,
    );
    assert_eq!(read_f64(&mixed_out, "results/block_unknowns"), [256.0]);
    pairs.push(m);
    pairs.push(mixed_out.to_str().unwrap().into());
    let mut args = vec![
        "scripts/validate_spectrum_qutip.py",
        "--tol",
        "1e-8",
        "--solver",
        "es",
    ];
    args.extend(pairs.iter().map(String::as_str));
    let v = run_ok(py(&args));
    let report = String::from_utf8_lossy(&v.stdout);
    eprintln!("{report}");
    assert_eq!(
        report.matches("worst relative difference").count(),
        5,
        "{report}"
    );
    // Krylov and direct agree with each other as well
    let k = read_f64(&dir.join("kerr_krylov.h5"), "results/re");
    let d = read_f64(&dir.join("kerr_direct.h5"), "results/re");
    let scale = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (x, y) in k.iter().zip(&d) {
        assert!((x - y).abs() < 1e-10 * scale, "{x} vs {y}");
    }
    // a† flips the excitation parity, n keeps it: the pair does not couple
    let out = dir.join("jc_uncoupled.h5");
    spectrum(
        &jc,
        &["--pump", "0.3", "--a", "a.dag", "--b", "n", omega],
        &out,
    );
    assert!(read_f64(&out, "results/re").iter().all(|&x| x == 0.0));
}

/// The LMG model as a model file (A = J+, B = (J+)† = J−; A = B = Jx) equals
/// `qk spectrum` of the LMG model to 1e-10 of the largest value.
#[test]
fn lmg_model_file_equals_qk_spectrum() {
    let dir = scratch("spectrum-model-lmg");
    let file = model("lmg");
    let common = [
        "--h",
        "0.3,1.2",
        "--gamma-a",
        "0.05",
        "--gamma-b",
        "0.3",
        "--omega=-2.9:3.1:31",
    ];
    for (a_file, b_file, a_lmg, b_lmg, extra) in [
        (
            "jp",
            "jp.dag",
            "jp",
            "jm",
            ["--kind", "spectrum", "--method", "krylov"],
        ),
        (
            "jx",
            "jx",
            "jx",
            "jx",
            ["--kind", "response", "--method", "direct"],
        ),
    ] {
        let x = dir.join(format!("file_{a_file}.h5"));
        let y = dir.join(format!("lmg_{a_lmg}.h5"));
        let mut args: Vec<&str> = common.to_vec();
        args.extend_from_slice(&["--a", a_file, "--b", b_file]);
        args.extend_from_slice(&extra);
        spectrum(&file, &args, &x);
        let mut args = vec!["spectrum", "-q", "--n", "8", "-o", y.to_str().unwrap()];
        args.extend_from_slice(&common);
        args.extend_from_slice(&["--a", a_lmg, "--b", b_lmg]);
        args.extend_from_slice(&extra);
        run_ok(qk_cmd(&args));
        for k in ["re", "im"] {
            let p = read_f64(&x, &format!("results/{k}"));
            let q = read_f64(&y, &format!("results/{k}"));
            assert_eq!(p.len(), 62);
            assert_eq!(p.len(), q.len());
            let scale = q.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(scale > 0.0);
            let worst = p
                .iter()
                .zip(&q)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs() / scale));
            eprintln!("LMG file {a_file},{b_file} vs qk spectrum {a_lmg},{b_lmg} {k}: {worst:e}");
            assert!(worst < 1e-10, "{k}: {worst:e}");
        }
        // the odd parity block of N = 8 (D = 9): 40 unknowns, as for qk spectrum
        assert_eq!(read_f64(&x, "results/block_unknowns"), [40.0, 40.0]);
    }
}

fn refused(args: &[&str], out: &Path, names: &[&str]) {
    let o = run(qk_cmd(args));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    for n in names {
        assert!(err.contains(n), "{args:?}: '{err}' should name {n}");
    }
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

/// Copies of the small Kerr file with `edit` applied (Python on the h5py
/// File `f`), one per `(name, edit)`; returns their paths.
fn variants(dir: &Path, edits: &[(&str, &str)]) -> Vec<String> {
    let mut code = String::from("import shutil, h5py\n");
    let mut paths = Vec::new();
    for (name, edit) in edits {
        let p = dir.join(format!("{name}.h5")).to_str().unwrap().to_string();
        code += &format!(
            "shutil.copy({src:?}, {p:?})\nf = h5py.File({p:?}, 'r+')\n{edit}\nf.close()\n",
            src = model("kerr")
        );
        paths.push(p);
    }
    run_ok(py(&["-c", &code]));
    paths
}

#[test]
fn bad_input_is_refused() {
    let dir = scratch("spectrum-model-bad");
    let out = dir.join("out.h5");
    let o = out.to_str().unwrap();
    let kerr = model("kerr");
    let with = |extra: &[&str]| -> Vec<String> {
        let mut a = vec!["spectrum", "--model", &kerr, "-o", o, "--omega", "1"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect()
    };
    let check = |args: Vec<String>, names: &[&str]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&a, &out, names);
    };
    let ok = ["--delta", "0", "--a", "a.dag", "--b", "a"];
    check(
        with(&["--delta", "0", "--a", "sigma", "--b", "a"]),
        &["--a", "'sigma'", "a, g2_num, n", ".dag"],
    );
    check(
        with(&["--delta", "0", "--a", "a", "--b", "n.adj"]),
        &["--b", "'n.adj'", "a, g2_num, n"],
    );
    check(
        with(&["--a", "a.dag", "--b", "a"]),
        &["--delta", "no default"],
    );
    let mut n = ok.to_vec();
    n.extend_from_slice(&["--n", "4"]);
    check(with(&n), &["--n", "--model"]);
    check(with(&["--delta", "0", "--b", "a"]), &["--a"]);
    let mut k = ok.to_vec();
    k.extend_from_slice(&["--kappa", "-1"]);
    check(with(&k), &["--kappa", "negative rate"]);
    // a parameter that is also a flag of qk spectrum
    let clash = variants(
        &dir,
        &[(
            "clash",
            "f['parameters/names'][0] = 'omega'\nf['hamiltonian/detuning'].attrs['parameter'] = 'omega'",
        )],
    );
    check(
        vec!["spectrum", "--model", &clash[0], "-o", o, "--omega", "1"]
            .into_iter()
            .map(String::from)
            .collect(),
        &["--model", "'omega'", "--omega"],
    );
    // the LMG form is unchanged and takes no model observables
    refused(
        &[
            "spectrum", "--n", "4", "--h", "0.5", "--omega", "1", "--a", "a.dag", "-o", o,
        ],
        &out,
        &["--a", "jp"],
    );
}

/// `--resume` refuses another model file (its hash is in the signature) and
/// completes with the same one.
#[test]
fn resume_refuses_another_model() {
    let dir = scratch("spectrum-model-resume");
    let paths = variants(
        &dir,
        &[("a", "pass"), ("b", "f.attrs['description'] = 'another'")],
    );
    let (a, b) = (paths[0].clone(), paths[1].clone());
    let out = dir.join("out.h5");
    let o = out.to_str().unwrap();
    let args = |m: &str, resume: bool| {
        let mut v = vec![
            "spectrum".to_string(),
            "-q".into(),
            "--model".into(),
            m.into(),
            "--delta=-1:1:3".into(),
            "--omega".into(),
            "0.5,1".into(),
            "--a".into(),
            "a.dag".into(),
            "--b".into(),
            "a".into(),
            "-o".into(),
            o.into(),
        ];
        if resume {
            v.push("--resume".into());
        }
        v
    };
    let cmd = |v: Vec<String>| {
        let a: Vec<&str> = v.iter().map(String::as_str).collect();
        qk_cmd(&a)
    };
    run_ok(cmd(args(&a, false)));
    let r = run(cmd(args(&b, true)));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("model_sha256"), "{err}");
    run_ok(cmd(args(&a, true)));
    let f = hdf5::File::open(&out).unwrap();
    let sha = f
        .attr("model_sha256")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert_eq!(sha.as_str().len(), 64);
    let desc = f
        .attr("model_description")
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap();
    assert!(desc.as_str().contains("Kerr"), "{}", desc.as_str());
}
