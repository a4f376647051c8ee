//! `qk spectrum` against QuTiP 5 `spectrum(..., solver="pi")`
//! (scripts/qutip_spectrum.py, the same model and convention), through the
//! binary and its HDF5 output, to 1e-8 relative to the largest value, at the
//! points recorded here: N = 8, 12; h = 0.3 (ordered phase), 1.2 (normal);
//! λ = 1, Γa = 0.05, Γb = 0.3; ω = −2.9 … 3.1 (31 values, none 0: QuTiP
//! solves with the whole, singular L there); both methods.

mod common;
use common::*;

const N: [usize; 2] = [8, 12];
const H: [f64; 2] = [0.3, 1.2];

fn omegas() -> Vec<f64> {
    (0..31).map(|k| -2.9 + 0.2 * k as f64).collect()
}

fn compare(a: &str, b: &str, method: &str) {
    let tag = format!("spectrum_qutip_{a}_{b}_{method}");
    let dir = scratch(&tag);
    let o = dir.join("s.h5");
    run_ok(qk_cmd(&[
        "spectrum",
        "--n",
        "8,12",
        "--h",
        "0.3,1.2",
        "--gamma-a",
        "0.05",
        "--gamma-b",
        "0.3",
        "--omega",
        "-2.9:3.1:31",
        "--a",
        a,
        "--b",
        b,
        "--method",
        method,
        "-o",
        o.to_str().unwrap(),
        "-q",
    ]));
    let re = read_f64(&o, "results/re");
    let w = read_f64(&o, "grid/omega");
    let om = omegas();
    for (x, y) in w.iter().zip(&om) {
        assert!((x - y).abs() < 1e-12);
    }
    let points: Vec<String> = N
        .iter()
        .flat_map(|&n| {
            H.iter().map(move |&h| {
                format!(
                    "{{\"n\": {n}, \"h\": {h:?}, \"lambda\": 1.0, \"gamma_a\": 0.05, \"gamma_b\": 0.3, \"a\": \"{a}\", \"b\": \"{b}\", \"omega\": {om:?}}}",
                    om = omegas()
                )
            })
        })
        .collect();
    let mut c = std::process::Command::new(python());
    c.arg(workspace_root().join("scripts/qutip_spectrum.py"));
    c.arg(format!("[{}]", points.join(",")));
    let out = run_ok(c);
    let text = String::from_utf8_lossy(&out.stdout);
    let qt: Vec<Vec<f64>> = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("], [")
        .map(|row| {
            row.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|x| x.trim().parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(qt.len(), N.len() * H.len());
    let k = om.len();
    let mut worst = 0.0f64;
    for (p, row) in qt.iter().enumerate() {
        let ours = &re[p * k..(p + 1) * k];
        let scale = row.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (&x, &y)) in ours.iter().zip(row).enumerate() {
            let d = (x - y).abs() / scale;
            worst = worst.max(d);
            assert!(
                d < 1e-8,
                "{tag}: N={} h={} ω={}: qk {x} QuTiP {y} (rel {d:e})",
                N[p / H.len()],
                H[p % H.len()],
                om[i]
            );
        }
    }
    eprintln!("{tag}: max |qk − QuTiP| / max |S| = {worst:e}");
}

#[test]
fn jp_jm_direct_and_krylov() {
    compare("jp", "jm", "direct");
    compare("jp", "jm", "krylov");
}

#[test]
fn jx_jx_and_jz_jz() {
    compare("jx", "jx", "krylov");
    compare("jy", "jx", "direct");
    compare("jz", "jz", "krylov");
}
