//! End-to-end tests of `qk transition`: η = D_q/D_c from the quantum and the
//! classical runs at the same parameters (checked against `qk kicked` and
//! `qk classical` run separately), the thresholds group, bad input → exit 2
//! with nothing written.

mod common;
use common::*;

const POINT: &[&str] = &[
    "--mass",
    "0.5",
    "--eps",
    "0,0.5",
    "--kicks",
    "30",
    "--observe-every",
    "3",
];

fn transition_args<'a>(hbar: &'a str, out: &'a str) -> Vec<&'a str> {
    let mut v = vec![
        "transition",
        "--hbar",
        hbar,
        "--trajectories",
        "40",
        "--substeps",
        "40",
        "--k1",
        "5",
        "--eta-c",
        "0.5",
    ];
    v.extend(POINT);
    v.extend(["--thresholds", "-q", "-o", out]);
    v
}

/// The 8 points of a [hbar = 4, eps = 2] transition grid are done, none
/// failed, each line along ħ has one classical ensemble (the same D_c at
/// every ħ), η = D_q/D_c with a positive finite error. Returns (d_q, d_c, eta).
fn eta_of_a_finished_4_by_2_grid(out: &std::path::Path) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    assert_eq!(read_u8(out, "status/done"), vec![1; 8]);
    assert_eq!(
        read_u8(out, "status/failed"),
        vec![0; 8],
        "{:?}",
        read_errors(out)
    );
    let d_q = read_f64(out, "results/d_q");
    let d_c = read_f64(out, "results/d_c");
    let eta = read_f64(out, "results/eta");
    let eta_err = read_f64(out, "results/eta_err");
    for p in 0..8 {
        assert_eq!(d_c[p].to_bits(), d_c[p % 2].to_bits(), "{d_c:?}");
        assert!((eta[p] - d_q[p] / d_c[p]).abs() <= 1e-14 * eta[p].abs());
        assert!(eta_err[p] > 0.0 && eta_err[p].is_finite());
    }
    (d_q, d_c, eta)
}

/// `qk kicked` at the points of the transition file `out` (auto grids, the
/// same substeps and `extra` flags): its ⟨p1²⟩ series equals the transition's
/// quantum series bit for bit. Returns (transition series, kicked series).
fn quantum_series_against_kicked(
    dir: &std::path::Path,
    out: &std::path::Path,
    hbars: &str,
    extra: &[&str],
) -> (Vec<f64>, Vec<f64>) {
    let k = dir.join("k.h5");
    let mut args = vec![
        "kicked",
        "--hbar",
        hbars,
        "--n1",
        "auto",
        "--n2",
        "auto",
        "--substeps",
        "40",
        "--k1",
        "5",
    ];
    args.extend(extra);
    args.extend(POINT);
    args.extend(["-q", "-o", k.to_str().unwrap()]);
    run_ok(qk_cmd(&args));
    let (a, b) = (
        read_f64(out, "results/p1_sq_q"),
        read_f64(&k, "results/p1_sq"),
    );
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    (a, b)
}

#[test]
fn eta_is_the_ratio_of_the_kicked_and_classical_runs() {
    let dir = scratch("transition-e2e");
    let out = dir.join("t.h5");
    let hbars = "0.2,0.8,1.6,3.2";
    let h = [0.2, 0.8, 1.6, 3.2];
    run_ok(qk_cmd(&transition_args(hbars, out.to_str().unwrap())));
    // grid [hbar = 4, eps = 2]: point (i, j) at 2i + j
    let (d_q, d_c, eta) = eta_of_a_finished_4_by_2_grid(&out);
    assert_ne!(d_c[0], d_c[1]);
    assert!(read_f64(&out, "results/tail_max")
        .iter()
        .all(|t| *t <= 1e-6));

    // the quantum series is exactly `qk kicked` at the same points (auto grids)
    let (a, b) = quantum_series_against_kicked(&dir, &out, hbars, &[]);
    let t = a.len() / 8;
    for p in 0..8 {
        assert_eq!(d_q[p], b[(p + 1) * t - 1] / 30.0);
    }

    // and the classical one is `qk classical` with the same trajectories and seed
    let c = dir.join("c.h5");
    let mut args = vec!["classical", "--trajectories", "40", "--k1", "5"];
    args.extend(POINT);
    args.extend(["-q", "-o", c.to_str().unwrap()]);
    run_ok(qk_cmd(&args));
    let cp = read_f64(&c, "results/p1_sq");
    let tp = read_f64(&out, "results/p1_sq_c");
    for i in 0..4 {
        let line = &tp[i * 2 * t..(i + 1) * 2 * t];
        assert!(cp.iter().zip(line).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    // d_ratio is the same ratio summed per trajectory: equal to round-off
    for (a, b) in d_c[..2].iter().zip(read_f64(&c, "results/d_ratio")) {
        assert!((a - b).abs() <= 1e-13 * b.abs(), "{a} vs {b}");
    }

    // thresholds per eps line: found exactly where η falls through the level
    // between neighbouring ħ, and then between them; absent (NaN) otherwise
    assert_eq!(read_f64(&out, "thresholds/points"), vec![4.0, 4.0]);
    let mut found_any = false;
    for (name, level) in [("hbar_c", 0.5), ("hbar_l", 0.1)] {
        let found = read_f64(&out, &format!("thresholds/{name}_found"));
        let v = read_f64(&out, &format!("thresholds/{name}"));
        let e = read_f64(&out, &format!("thresholds/{name}_err"));
        for j in 0..2 {
            let line: Vec<f64> = (0..4).map(|i| eta[2 * i + j]).collect();
            match (0..3).find(|&i| line[i] >= level && level > line[i + 1]) {
                Some(i) => {
                    found_any = true;
                    assert_eq!(found[j], 1.0, "{name}: {line:?}");
                    assert!(
                        v[j] >= h[i] && v[j] <= h[i + 1],
                        "{name} = {} outside [{}, {}]",
                        v[j],
                        h[i],
                        h[i + 1]
                    );
                    assert!(e[j] > 0.0 && e[j].is_finite());
                }
                None => {
                    assert_eq!(found[j], 0.0, "{name}: {line:?}");
                    assert!(
                        v[j].is_nan() && e[j].is_nan(),
                        "absent {name} written as {} ± {}",
                        v[j],
                        e[j]
                    );
                }
            }
        }
    }
    assert!(found_any, "no threshold bracketed: {eta:?}");
}

/// `--interaction kicked` reaches both runs: the quantum series is `qk kicked
/// --interaction kicked`, the classical one `qk classical --interaction
/// kicked` (D_c its d_ratio to round-off), no Strang error and no energy
/// drift are left, the thresholds are written; the interaction is recorded,
/// so a `--resume` with the continuous one is refused.
#[test]
fn kicked_interaction_reaches_both_runs() {
    let dir = scratch("transition-kicked");
    let out = dir.join("t.h5");
    let o = out.to_str().unwrap();
    let hbars = "0.2,0.8,1.6,3.2";
    let mut args = transition_args(hbars, o);
    args.extend(["--interaction", "kicked"]);
    run_ok(qk_cmd(&args));
    let (_, d_c, _) = eta_of_a_finished_4_by_2_grid(&out);
    assert_eq!(read_f64(&out, "results/step_error_max"), vec![0.0; 8]);
    assert_eq!(read_f64(&out, "results/max_energy_drift"), vec![0.0; 8]);
    assert_eq!(read_f64(&out, "thresholds/points"), vec![4.0, 4.0]);
    for name in ["hbar_c", "hbar_l"] {
        let found = read_f64(&out, &format!("thresholds/{name}_found"));
        let v = read_f64(&out, &format!("thresholds/{name}"));
        for j in 0..2 {
            match found[j] {
                1.0 => assert!((0.2..=3.2).contains(&v[j]), "{name} = {}", v[j]),
                0.0 => assert!(v[j].is_nan(), "absent {name} written as {}", v[j]),
                f => panic!("{name}_found = {f}"),
            }
        }
    }

    let (a, _) = quantum_series_against_kicked(&dir, &out, hbars, &["--interaction", "kicked"]);

    let c = dir.join("c.h5");
    let cont = dir.join("cc.h5");
    for (file, interaction) in [(&c, "kicked"), (&cont, "continuous")] {
        let mut cargs = vec![
            "classical",
            "--trajectories",
            "40",
            "--k1",
            "5",
            "--interaction",
            interaction,
        ];
        cargs.extend(POINT);
        cargs.extend(["-q", "-o", file.to_str().unwrap()]);
        run_ok(qk_cmd(&cargs));
    }
    let cp = read_f64(&c, "results/p1_sq");
    let tp = read_f64(&out, "results/p1_sq_c");
    let t = a.len() / 8;
    for i in 0..4 {
        let line = &tp[i * 2 * t..(i + 1) * 2 * t];
        assert!(cp.iter().zip(line).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    for (a, b) in d_c[..2].iter().zip(read_f64(&c, "results/d_ratio")) {
        assert!((a - b).abs() <= 1e-13 * b.abs(), "{a} vs {b}");
    }
    // ε = 0: the two interactions are the same map; ε = 0.5: not
    let cc = read_f64(&cont, "results/p1_sq");
    assert_eq!(cp[..t], cc[..t]);
    assert_ne!(cp[t..], cc[t..]);

    let before = std::fs::read(&out).unwrap();
    let mut resume = transition_args(hbars, o);
    resume.extend(["--interaction", "continuous", "--resume"]);
    let r = run(qk_cmd(&resume));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("--resume") && err.contains("differ"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// ⟨p1²⟩ after the first impulse of the kicked interaction from rest,
/// `⟨(K1 sin x1 + 2ελ r e^{−λr²})²⟩`, `r = x1 − x2`, over the initial
/// positions: `ground` weighs them with `(2/π)² sin² x1 sin² x2`, `uniform`
/// with `1/π²` (midpoint rule, 600² nodes: converged far below the tests'
/// statistical tolerance).
fn first_impulse_p1_sq(k1: f64, eps: f64, lambda: f64, ground: bool) -> f64 {
    use std::f64::consts::PI;
    let n = 600;
    let h = PI / n as f64;
    let (mut sum, mut weight) = (0.0, 0.0);
    for i in 0..n {
        let x1 = (i as f64 + 0.5) * h;
        for j in 0..n {
            let x2 = (j as f64 + 0.5) * h;
            let w = if ground {
                (x1.sin() * x2.sin()).powi(2)
            } else {
                1.0
            };
            let r = x1 - x2;
            let f = k1 * x1.sin() + 2.0 * eps * lambda * r * (-lambda * r * r).exp();
            sum += w * f * f;
            weight += w;
        }
    }
    sum / weight
}

/// `--classical-initial ground` starts the classical run from the quantum
/// state's position density: after the first kick (kicked interaction, both
/// runs start at rest but for the quantum ⟨p1²⟩(0) = ħ²) the classical
/// ⟨p1²⟩ is the quadrature over `|φ1 φ1|²` within 4 standard errors, and so
/// is the quantum one minus ħ² to 1e-3; the default uniform start gives the
/// uniform quadrature instead (the η > 1 offset of a uniform start). The
/// transition's classical series is `qk classical --initial ground`'s bit
/// for bit, and the start is recorded.
#[test]
fn a_ground_classical_start_matches_the_quantum_first_kick() {
    let dir = scratch("transition-ground");
    let (k1, eps, lambda) = (1.8, 2.0, 10.0);
    let point = [
        "--mass",
        "1",
        "--eps",
        "2",
        "--k1",
        "1.8",
        "--kicks",
        "2",
        "--trajectories",
        "4000",
        "--interaction",
        "kicked",
        "-q",
    ];
    let out = dir.join("t.h5");
    let mut args = vec![
        "transition",
        "--hbar",
        "0.2,0.4",
        "--classical-initial",
        "ground",
    ];
    args.extend(point);
    args.extend(["-o", out.to_str().unwrap()]);
    run_ok(qk_cmd(&args));
    assert_eq!(
        read_u8(&out, "status/failed"),
        vec![0, 0],
        "{:?}",
        read_errors(&out)
    );
    assert_eq!(attr_string(&out, "classical_initial"), "ground");
    let ground = first_impulse_p1_sq(k1, eps, lambda, true);
    let uniform = first_impulse_p1_sq(k1, eps, lambda, false);
    assert!(ground > 1.4 * uniform, "{ground} vs {uniform}");
    // quantum: series [hbar, kick], kick 1 first
    let q = read_f64(&out, "results/p1_sq_q");
    for (i, hbar) in [0.2f64, 0.4].iter().enumerate() {
        let v = q[2 * i] - hbar * hbar;
        assert!(
            (v - ground).abs() <= 1e-3 * ground,
            "ħ = {hbar}: {v} vs {ground}"
        );
    }
    let c = read_f64(&out, "results/p1_sq_c");
    let ce = read_f64(&out, "results/p1_sq_c_err");
    assert!(
        (c[0] - ground).abs() <= 4.0 * ce[0],
        "{} ± {} vs {ground}",
        c[0],
        ce[0]
    );

    for (start, expected) in [("ground", ground), ("uniform", uniform)] {
        let file = dir.join(format!("c_{start}.h5"));
        let mut cargs = vec!["classical", "--initial", start];
        cargs.extend(point);
        cargs.extend(["-o", file.to_str().unwrap()]);
        run_ok(qk_cmd(&cargs));
        let p = read_f64(&file, "results/p1_sq");
        let e = read_f64(&file, "results/p1_sq_err");
        assert!(
            (p[0] - expected).abs() <= 4.0 * e[0],
            "{start}: {} ± {} vs {expected}",
            p[0],
            e[0]
        );
        assert_eq!(attr_string(&file, "initial"), start);
        if start == "ground" {
            assert!(p.iter().zip(&c).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}

#[test]
fn transition_bad_input_exits_2_naming_the_flag() {
    let dir = scratch("transition-bad");
    let out = dir.join("bad.h5");
    let o = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--hbar", "0.1", "--trajectories", "4", "--thresholds"],
            "--thresholds",
        ),
        (
            &["--hbar", "0.1,0.2", "--trajectories", "0"],
            "--trajectories",
        ),
        (&["--hbar", "-0.1", "--trajectories", "4"], "--hbar"),
        (
            &[
                "--hbar",
                "0.1",
                "--trajectories",
                "4",
                "--classical-tolerance",
                "-1",
            ],
            "--classical-tolerance",
        ),
        (
            &["--hbar", "0.1", "--trajectories", "4", "--lambda", "-1"],
            "--lambda",
        ),
        (
            &["--hbar", "0.1,0.2", "--trajectories", "4", "--eta-l", "0"],
            "--eta-l",
        ),
        (
            &[
                "--hbar",
                "0.1",
                "--trajectories",
                "4",
                "--interaction",
                "both",
            ],
            "--interaction",
        ),
    ];
    for (extra, flag) in cases {
        let mut args = vec!["transition", "--mass", "0.5", "--eps", "2", "--kicks", "5"];
        args.extend(*extra);
        args.extend(["-q", "-o", o]);
        let r = run(qk_cmd(&args));
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(flag), "{extra:?}: {err}");
        assert!(
            err.lines().count() <= 6 && !err.contains("panicked"),
            "{err}"
        );
        assert!(!out.exists(), "{extra:?} wrote a file");
    }
}
