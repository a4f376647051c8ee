//! `qk lmg` against QuTiP 5 `steadystate` (scripts/qutip_lmg.py, same
//! conventions: C_a = √(2Γa/N)·2Jx, C_b = √(2Γb/N)·J+), through the binary and
//! its HDF5 output, to 1e-7 in jz, jx2, jy2, jz2 and the concurrence.

mod common;
use common::*;

const OBS: [&str; 5] = ["jz", "jx2", "jy2", "jz2", "concurrence"];

/// One sweep through `qk lmg` and the same points through QuTiP.
fn compare(tag: &str, n: &[usize], h: &[f64], lambda: f64, gamma_a: f64, gamma_b: f64) {
    let dir = scratch(tag);
    let o = dir.join("lmg.h5");
    let join = |v: Vec<String>| v.join(",");
    let n_arg = join(n.iter().map(|x| x.to_string()).collect());
    let h_arg = format!("--h={}", join(h.iter().map(|x| format!("{x:?}")).collect()));
    run_ok(qk_cmd(&[
        "lmg",
        "--n",
        &n_arg,
        &h_arg,
        "--lambda",
        &lambda.to_string(),
        "--gamma-a",
        &gamma_a.to_string(),
        "--gamma-b",
        &gamma_b.to_string(),
        "-o",
        o.to_str().unwrap(),
        "-q",
    ]));
    let qk: Vec<Vec<f64>> = OBS
        .iter()
        .map(|name| read_f64(&o, &format!("results/{name}")))
        .collect();

    // QuTiP on the same points, row-major over (n, h), one line of numbers per point.
    let points: Vec<String> = n
        .iter()
        .flat_map(|&n| {
            h.iter().map(move |&h| {
                format!("{{\"n\": {n}, \"h\": {h:?}, \"lambda\": {lambda:?}, \"gamma_a\": {gamma_a:?}, \"gamma_b\": {gamma_b:?}}}")
            })
        })
        .collect();
    let code = format!(
        "import sys, json; sys.path.insert(0, {scripts:?}); import qutip_lmg\n\
         for p in json.loads(sys.argv[1]):\n    r = qutip_lmg.solve(p)\n    print(' '.join(repr(float(r[k])) for k in {keys:?}))",
        scripts = workspace_root().join("scripts").to_str().unwrap(),
        keys = OBS,
    );
    let mut c = std::process::Command::new(python());
    c.args(["-c", &code, &format!("[{}]", points.join(","))]);
    let out = run_ok(c);
    let lines: Vec<Vec<f64>> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(lines.len(), n.len() * h.len());
    let mut worst = 0.0f64;
    for (at, row) in lines.iter().enumerate() {
        for (k, name) in OBS.iter().enumerate() {
            let (ours, theirs) = (qk[k][at], row[k]);
            let diff = (ours - theirs).abs();
            worst = worst.max(diff);
            assert!(
                diff < 1e-7,
                "{tag}: N={} h={} {name}: qk {ours} QuTiP {theirs} (|Δ| = {diff:e})",
                n[at / h.len()],
                h[at % h.len()]
            );
        }
    }
    eprintln!(
        "{tag}: max |qk − QuTiP| = {worst:e} over {} points",
        lines.len()
    );
}

#[test]
fn seed_parameters_n25_n50() {
    compare(
        "seed",
        &[25, 50],
        &[-0.3, 0.005, 0.5, 0.99, 1.3],
        1.0,
        0.01,
        0.2,
    );
}

#[test]
fn other_parameters_odd_n_no_dephasing_strong_decay() {
    // odd N (half-integer j), Γa = 0, λ = 2, Γb = 0.5: another corner of the model
    compare(
        "other",
        &[11, 30],
        &[-1.0, 0.2, 0.8, 1.5, 2.5],
        2.0,
        0.0,
        0.5,
    );
    // weak coupling below the decay rate (λ < Γb: no critical region)
    compare("weak", &[16], &[0.05, 0.4], 0.1, 0.05, 0.3);
}
