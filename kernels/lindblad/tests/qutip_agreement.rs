//! Agreement with QuTiP 5 (`qutip.steadystate`) through
//! `scripts/qutip_lmg.py`, run with the workspace's `.venv` Python
//! (installed by `scripts/setup.sh`). A missing venv is a test failure, not a
//! skip.

use qk_lindblad::{LmgParams, LmgSolver};
use std::path::PathBuf;
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// All numbers following `"key": ` in `json`, in order (the script prints a
/// flat list of objects; each observable key occurs once per object).
fn numbers_after(json: &str, key: &str) -> Vec<f64> {
    let pat = format!("\"{key}\": ");
    json.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &json[i + pat.len()..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end]
                .trim()
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("cannot parse {key} in {:?}: {e}", &rest[..end]))
        })
        .collect()
}

#[test]
fn lmg_agrees_with_qutip() {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    let script = root.join("scripts/qutip_lmg.py");
    assert!(
        python.exists(),
        "{} not found: run scripts/setup.sh to create the Python venv with QuTiP",
        python.display()
    );
    assert!(script.exists(), "{} not found", script.display());

    let mut points = Vec::new();
    for n in [25usize, 50] {
        for h in [-0.3, 0.005, 0.5, 0.99, 1.3] {
            points.push(LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            });
        }
    }
    points.extend([
        LmgParams {
            n: 50,
            h: 0.5,
            lambda: 1.0,
            gamma_a: 0.0,
            gamma_b: 0.2,
        },
        LmgParams {
            n: 25,
            h: 0.7,
            lambda: 2.0,
            gamma_a: 0.01,
            gamma_b: 0.5,
        },
        LmgParams {
            n: 11,
            h: 0.3,
            lambda: 1.0,
            gamma_a: 0.01,
            gamma_b: 0.2,
        },
        LmgParams {
            n: 11,
            h: -1.0,
            lambda: 1.0,
            gamma_a: 0.05,
            gamma_b: 0.5,
        },
        LmgParams {
            n: 30,
            h: 0.4,
            lambda: 1.0,
            gamma_a: 0.3,
            gamma_b: 0.0,
        },
        LmgParams {
            n: 40,
            h: 0.2,
            lambda: 1.0,
            gamma_a: 0.0,
            gamma_b: 1.5,
        },
    ]);
    let json_in = format!(
        "[{}]",
        points
            .iter()
            .map(|p| format!(
                "{{\"n\": {}, \"h\": {:e}, \"lambda\": {:e}, \"gamma_a\": {:e}, \"gamma_b\": {:e}}}",
                p.n, p.h, p.lambda, p.gamma_a, p.gamma_b
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let out = Command::new(&python)
        .arg(&script)
        .arg(&json_in)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "qutip_lmg.py failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let keys = ["jz", "jx2", "jy2", "jz2", "concurrence"];
    let reference: Vec<Vec<f64>> = keys.iter().map(|k| numbers_after(&text, k)).collect();
    for r in &reference {
        assert_eq!(r.len(), points.len(), "unexpected script output: {text}");
    }

    // the comparison covers entangled states, not only C_R = 0
    assert!(
        reference[4].iter().filter(|&&c| c > 0.05).count() >= 3,
        "too few points with C_R > 0.05: {:?}",
        reference[4]
    );

    let mut worst = 0.0f64;
    let mut solvers: Vec<LmgSolver> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if !solvers.iter().any(|s| s.n() == p.n) {
            solvers.push(LmgSolver::new(p.n).unwrap());
        }
        let s = solvers.iter_mut().find(|s| s.n() == p.n).unwrap();
        let o = s.solve(p).unwrap();
        let ours = [o.jz, o.jx2, o.jy2, o.jz2, o.concurrence];
        for (k, key) in keys.iter().enumerate() {
            let dev = (ours[k] - reference[k][i]).abs();
            worst = worst.max(dev);
            assert!(
                dev < 1e-7,
                "{p:?} {key}: ours {} vs qutip {} (|diff| = {dev:e})",
                ours[k],
                reference[k][i]
            );
        }
    }
    println!("max |qk - qutip| over {} points = {worst:e}", points.len());
}
