//! `qk spectrum` and `qk gap` end to end: the HDF5 layout (the omega and
//! mode trailing axes), Krylov equal to direct through the binary, and the
//! gap of `qk gap` equal to the smallest |Re λ| of the dense Liouvillian's
//! nonzero eigenvalues at small N (to 1e-10).

mod common;
use common::*;
use qk_lindblad::lmg::LmgParams;
use qk_lindblad::spectra::reference::dense_eigenvalues;

#[test]
fn spectrum_layout_and_methods_agree() {
    let dir = scratch("spectrum_gap_layout");
    let mut re = Vec::new();
    for method in ["krylov", "direct"] {
        let o = dir.join(format!("{method}.h5"));
        run_ok(qk_cmd(&[
            "spectrum",
            "--n",
            "16,17",
            "--h",
            "0.5",
            "--gamma-b",
            "0.05",
            "--omega",
            "-3:3:121",
            "--method",
            method,
            "-o",
            o.to_str().unwrap(),
            "-q",
        ]));
        assert_eq!(shape(&o, "results/re"), vec![2, 1, 1, 1, 1, 121]);
        assert_eq!(shape(&o, "grid/omega"), vec![121]);
        let be = read_f64(&o, "results/backward_error");
        assert!(be.iter().all(|&b| b > 0.0 && b <= 1e-10), "{method}");
        re.push(read_f64(&o, "results/re"));
    }
    let scale = re[1].iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = re[0]
        .iter()
        .zip(&re[1])
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(diff / scale < 1e-10, "krylov vs direct: {:e}", diff / scale);
}

#[test]
fn gap_matches_dense_eigenvalues() {
    let dir = scratch("spectrum_gap_gap");
    let o = dir.join("g.h5");
    run_ok(qk_cmd(&[
        "gap",
        "--n",
        "6,9",
        "--h",
        "0.3,1.1",
        "--gamma-a",
        "0.05",
        "--gamma-b",
        "0.3",
        "--k",
        "3",
        "-o",
        o.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(shape(&o, "results/odd_re"), vec![2, 2, 1, 1, 1, 3]);
    let gap = read_f64(&o, "results/gap");
    for (i, n) in [6usize, 9].iter().enumerate() {
        for (j, h) in [0.3, 1.1].iter().enumerate() {
            let p = LmgParams {
                n: *n,
                h: *h,
                lambda: 1.0,
                gamma_a: 0.05,
                gamma_b: 0.3,
            };
            let s = p.system().unwrap();
            let ev = dense_eigenvalues(s.hamiltonian(), s.collapse_ops()).unwrap();
            let want = ev
                .iter()
                .filter(|l| l.norm() > 1e-9)
                .map(|l| l.re.abs())
                .fold(f64::INFINITY, f64::min);
            let got = gap[i * 2 + j];
            assert!(
                (got - want).abs() < 1e-10,
                "N={n} h={h}: qk {got} dense {want}"
            );
        }
    }
}
