//! End-to-end tests of `qk lindemann` and `qk spinwave`: HDF5 content against direct
//! calls of the qk-bzquad kernel, divergent points as flagged results, the thresholds
//! table, rank-count independence, bad input, resume check, and the plot script.

mod common;
use common::*;
use hdf5::types::VarLenUnicode;
use std::path::Path;

const OBS: [&str; 10] = [
    "bz_mean",
    "bz_error",
    "evaluations",
    "diverges",
    "lindemann_ratio",
    "stable",
    "debye_ratio",
    "debye_stable",
    "t_over_td",
    "td_over_ek",
];

const DIMS: [u32; 3] = [1, 2, 3];
const TAUS: [f64; 4] = [0.0, 0.02, 0.5, 2.0];
const EKS: [f64; 2] = [0.01, 0.05];

fn lindemann_args(out: &str) -> Vec<&str> {
    vec![
        "lindemann",
        "--dim",
        "1,2,3",
        "--tau",
        "0,0.02,0.5,2",
        "--ek-over-omega",
        "0.01,0.05",
        "--thresholds",
        "-o",
        out,
        "-q",
    ]
}

/// Same number, bit for bit, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn str_attr(path: &Path, dataset: &str, attr: &str) -> String {
    let f = hdf5::File::open(path).unwrap();
    let ds = f.dataset(dataset).unwrap();
    let v: VarLenUnicode = ds.attr(attr).unwrap().read_scalar().unwrap();
    v.as_str().to_string()
}

#[test]
fn lindemann_results_match_the_kernel_and_flag_divergence() {
    let dir = scratch("lindemann-content");
    let out = dir.join("l.h5");
    run_ok(qk_cmd(&lindemann_args(out.to_str().unwrap())));

    assert_eq!(shape(&out, "results/bz_mean"), vec![3, 4, 2]);
    assert_eq!(read_u8(&out, "status/done"), vec![1; 24]);
    assert_eq!(
        read_u8(&out, "status/failed"),
        vec![0; 24],
        "a divergent point is a result, not a failure"
    );
    let res: Vec<Vec<f64>> = OBS
        .iter()
        .map(|o| read_f64(&out, &format!("results/{o}")))
        .collect();
    for o in OBS {
        let d = format!("results/{o}");
        assert!(!str_attr(&out, &d, "units").is_empty(), "{o}: no units");
        assert!(
            str_attr(&out, &d, "description").len() > 10,
            "{o}: no description"
        );
    }

    let mut divergent = 0;
    for (a, &dim) in DIMS.iter().enumerate() {
        for (b, &tau) in TAUS.iter().enumerate() {
            for (c, &ek) in EKS.iter().enumerate() {
                let i = (a * TAUS.len() + b) * EKS.len() + c;
                let p = qk_bzquad::lindemann_ratio(dim, tau, ek, 1e-10).unwrap();
                let kappa = qk_bzquad::debye_temperature_over_omega(dim).unwrap();
                let flag = |x: bool| if x { 1.0 } else { 0.0 };
                let want = [
                    p.mean.value,
                    p.mean.error,
                    p.mean.evaluations as f64,
                    flag(p.mean.diverges),
                    p.ratio,
                    flag(p.stable),
                    p.debye_ratio,
                    flag(p.debye_stable),
                    tau / kappa,
                    kappa / ek,
                ];
                for (k, o) in OBS.iter().enumerate() {
                    assert!(
                        same(res[k][i], want[k]),
                        "{o} at d={dim} tau={tau} ek={ek}: file {} kernel {}",
                        res[k][i],
                        want[k]
                    );
                }
                // Divergence exactly where PHYSICS.md §3 says: d = 1 always, d = 2 at T > 0.
                let should_diverge = dim == 1 || (dim == 2 && tau > 0.0);
                let diverges = res[3][i] == 1.0;
                assert_eq!(diverges, should_diverge, "d={dim} tau={tau}");
                if diverges {
                    divergent += 1;
                    for k in [0, 1, 4, 6] {
                        assert!(
                            res[k][i].is_nan(),
                            "{} not NaN at d={dim} tau={tau}",
                            OBS[k]
                        );
                    }
                    assert_eq!(res[5][i], 0.0, "divergent point marked stable");
                    assert_eq!(res[7][i], 0.0, "divergent point marked Debye-stable");
                    assert_eq!(res[2][i], 0.0);
                } else {
                    for (k, o) in OBS.iter().enumerate() {
                        assert!(res[k][i].is_finite(), "{o} at d={dim} tau={tau}");
                    }
                    assert!(res[2][i] > 0.0 && res[1][i] <= 1e-9 * res[0][i]);
                    let r = (f64::from(dim) * ek * res[0][i]).sqrt();
                    assert!((res[4][i] / r - 1.0).abs() < 1e-14);
                    assert_eq!(res[5][i], flag(res[4][i] < 0.5));
                }
            }
        }
    }
    assert_eq!(divergent, 8 + 6);
    // Known value: I_3(0.5) of the kernel's doc (mpmath reference).
    let i = (2 * TAUS.len() + 2) * EKS.len();
    assert!((res[0][i] - 1.315_591_840_308_69).abs() < 1e-9);

    // The thresholds table: the kernel's rows, with the seed's Debye values 16, 18, 72.
    let want = qk_bzquad::thresholds(1e-10).unwrap();
    let dims: Vec<i64> = {
        let f = hdf5::File::open(&out).unwrap();
        f.dataset("thresholds/dim").unwrap().read_raw().unwrap()
    };
    let exact = read_f64(&out, "thresholds/exact");
    let debye = read_f64(&out, "thresholds/debye");
    let regime = read_strings(&out, "thresholds/regime");
    assert_eq!(dims, vec![1, 1, 2, 2, 3, 3]);
    assert_eq!(regime[4], "T = 0");
    assert_eq!(regime[5], "T >> T_D");
    for (k, t) in want.iter().enumerate() {
        assert!(
            same(exact[k], t.exact) && same(debye[k], t.debye),
            "row {k}"
        );
    }
    assert_eq!((debye[2], debye[4], debye[5]), (16.0, 18.0, 72.0));
    // Exact lattice: 4 d κ_d I_d(0) at T = 0, 48 W κ_3² at T ≫ T_D; finite where Debye is.
    assert!(exact[2].is_finite() && exact[4].is_finite() && exact[5].is_finite());
    assert!(exact[0].is_infinite() && exact[3].is_infinite());
    let k3 = qk_bzquad::debye_temperature_over_omega(3).unwrap();
    assert!((exact[5] / (48.0 * qk_bzquad::WATSON * k3 * k3) - 1.0).abs() < 1e-14);
    assert!((exact[4] / (12.0 * k3 * 0.9106881032888603) - 1.0).abs() < 1e-9);
    assert!(str_attr(&out, "thresholds/exact", "description").contains("lattice"));

    // Without --thresholds there is no table.
    let plain = dir.join("plain.h5");
    run_ok(qk_cmd(&[
        "lindemann",
        "--dim",
        "3",
        "--tau",
        "1",
        "-o",
        plain.to_str().unwrap(),
        "-q",
    ]));
    let f = hdf5::File::open(&plain).unwrap();
    assert!(f.group("thresholds").is_err());
    assert_eq!(read_u8(&plain, "status/failed"), vec![0]);
}

#[test]
fn lindemann_is_independent_of_the_rank_count() {
    let dir = scratch("lindemann-ranks");
    let mut files = Vec::new();
    for ranks in [1, 2, 3] {
        let out = dir.join(format!("r{ranks}.h5"));
        run_ok(mpirun_cmd(ranks, &lindemann_args(out.to_str().unwrap())));
        files.push(out);
    }
    let ranks_used: Vec<i32> = {
        let f = hdf5::File::open(&files[2]).unwrap();
        f.dataset("status/rank").unwrap().read_raw().unwrap()
    };
    assert!(
        ranks_used.iter().any(|&r| r != 0),
        "3 ranks: every point on rank 0"
    );
    for o in OBS {
        let d = format!("results/{o}");
        let one = read_f64(&files[0], &d);
        for f in &files[1..] {
            let other = read_f64(f, &d);
            assert!(
                one.iter().zip(&other).all(|(a, b)| same(*a, *b)),
                "{o} differs with {}",
                f.display()
            );
        }
    }
    for f in &files {
        assert_eq!(read_u8(f, "status/failed"), vec![0; 24]);
        assert_eq!(read_f64(f, "thresholds/exact").len(), 6);
    }
}

#[test]
fn bad_lindemann_and_spinwave_input_exits_2_naming_the_flag() {
    let dir = scratch("lindemann-bad");
    let o = dir.join("x.h5");
    let os = o.to_str().unwrap();
    let l = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["lindemann".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend(["-o".into(), os.to_string()]);
        v
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (l(&["--dim", "0", "--tau", "1"]), "--dim"),
        (l(&["--dim", "4", "--tau", "1"]), "--dim"),
        (l(&["--dim", "1,3,4", "--tau", "1"]), "--dim"),
        (l(&["--dim", "2.5", "--tau", "1"]), "--dim"),
        (l(&["--dim", "3", "--tau=-0.1"]), "--tau"),
        (l(&["--dim", "3", "--tau", "0,1,-1"]), "--tau"),
        (l(&["--dim", "3", "--tau", "nan"]), "--tau"),
        (
            l(&["--dim", "3", "--tau", "1", "--ek-over-omega", "0"]),
            "--ek-over-omega",
        ),
        (
            l(&["--dim", "3", "--tau", "1", "--ek-over-omega=-0.01"]),
            "--ek-over-omega",
        ),
        (
            l(&["--dim", "3", "--tau", "1", "--rel-tol", "0"]),
            "--rel-tol",
        ),
        (
            l(&["--dim", "3", "--tau", "1", "--rel-tol", "2"]),
            "--rel-tol",
        ),
        (
            vec![
                "spinwave".into(),
                "--lattice".into(),
                "hexagonal".into(),
                "-o".into(),
                os.into(),
            ],
            "--lattice",
        ),
        (
            vec![
                "spinwave".into(),
                "--lattice".into(),
                "square,triangular".into(),
                "-o".into(),
                os.into(),
            ],
            "--lattice",
        ),
    ];
    for (args, flag) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(qk_cmd(&args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!o.exists(), "{args:?}: output written");
    }
    // Under mpirun the verdict is the same and only one rank speaks.
    let out = run(mpirun_cmd(
        2,
        &["lindemann", "--dim", "4", "--tau", "1", "-o", os],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("--dim").count(), 1, "{stderr}");
    assert!(!o.exists());
}

#[test]
fn resume_refuses_another_tolerance() {
    let dir = scratch("lindemann-resume");
    let o = dir.join("r.h5");
    let os = o.to_str().unwrap();
    let base = ["lindemann", "--dim", "3", "--tau", "0.5,1", "-o", os, "-q"];
    let mut args = base.to_vec();
    args.extend(["--rel-tol", "1e-8"]);
    run_ok(qk_cmd(&args));
    let mut again = base.to_vec();
    again.push("--resume");
    let out = run(qk_cmd(&again));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rel_tol"), "{stderr}");
    args.push("--resume");
    run_ok(qk_cmd(&args));
}

#[test]
fn spinwave_matches_the_kernel_and_the_known_constant() {
    let dir = scratch("spinwave");
    let out = dir.join("s.h5");
    run_ok(qk_cmd(&[
        "spinwave",
        "--lattice",
        "square,cubic",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(read_strings(&out, "grid/lattice"), vec!["square", "cubic"]);
    assert_eq!(read_u8(&out, "status/failed"), vec![0, 0]);
    let delta_s = read_f64(&out, "results/delta_s");
    let zpc = read_f64(&out, "results/zero_point_correction");
    assert!((delta_s[0] - 0.196602).abs() < 1e-6, "{}", delta_s[0]);
    assert!((delta_s[1] - 0.0783577).abs() < 1e-6, "{}", delta_s[1]);
    assert!((zpc[0] - 0.157947).abs() < 1e-6, "{}", zpc[0]);
    assert!(str_attr(&out, "results/zero_point_correction", "description").contains("per bond"));
    for (k, lattice) in [qk_bzquad::Lattice::Square, qk_bzquad::Lattice::Cubic]
        .into_iter()
        .enumerate()
    {
        let sw = qk_bzquad::spin_wave(lattice, 1e-10).unwrap();
        let want = [
            ("delta_s", sw.delta_s),
            ("zero_point_correction", sw.zero_point_correction),
            ("afm_velocity", sw.afm_velocity),
            ("fm_stiffness", sw.fm_stiffness),
            ("fm_zero_point_correction", sw.fm_zero_point_correction),
            (
                "afm_energy_s_half",
                qk_bzquad::afm_energy_per_site(&sw, 0.5),
            ),
            ("inverse_root", sw.inverse_root.value),
            ("inverse_root_error", sw.inverse_root.error),
            (
                "inverse_root_evaluations",
                sw.inverse_root.evaluations as f64,
            ),
            ("root", sw.root.value),
            ("root_error", sw.root.error),
            ("root_evaluations", sw.root.evaluations as f64),
        ];
        for (name, v) in want {
            let got = read_f64(&out, &format!("results/{name}"))[k];
            assert_eq!(
                got.to_bits(),
                v.to_bits(),
                "{name} {lattice:?}: {got} vs {v}"
            );
        }
    }
    // S = 1/2 square lattice: E0/N = -0.6579 J (linear spin waves).
    let e = read_f64(&out, "results/afm_energy_s_half");
    assert!((e[0] + 0.6579).abs() < 1e-4, "{}", e[0]);
}

#[test]
fn plot_script_renders_from_real_output() {
    let dir = scratch("lindemann-plot");
    let out = dir.join("l.h5");
    run_ok(qk_cmd(&[
        "lindemann",
        "--dim",
        "2,3",
        "--tau",
        "0:4:9",
        "--ek-over-omega",
        "0.005,0.02",
        "--thresholds",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]));
    let png = dir.join("l.png");
    let mut c = std::process::Command::new(python());
    c.arg(workspace_root().join("scripts/plot_lindemann.py"))
        .arg(&out)
        .arg("-o")
        .arg(&png);
    let r = run_ok(c);
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(stdout.contains("wrote"), "{stdout}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 10_000, "PNG too small: {}", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}
