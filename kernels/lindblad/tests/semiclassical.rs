//! Approach of the finite-N steady state to the semiclassical fixed point
//! (seed 001 eqs. 6–7, Fig. 2).

use qk_lindblad::{critical_fields, semiclassical_fixed_point, LmgParams, LmgSolver};

#[test]
fn critical_fields_and_fixed_point_are_consistent() {
    let (hm, hp) = critical_fields(1.0, 0.2).unwrap();
    assert!((hm + hp - 1.0).abs() < 1e-15);
    assert!((hp - hm - 0.96f64.sqrt()).abs() < 1e-15);
    assert!(critical_fields(1.0, 1.5).is_none());
    assert!(critical_fields(-1.0, 0.2).is_none());
    for h in [-0.5, 0.0, 0.005, 0.2, 0.5, 0.9, 0.98, 1.0, 1.5] {
        let [x, y, z] = semiclassical_fixed_point(h, 1.0, 0.2);
        // on the Bloch sphere
        assert!((x * x + y * y + z * z - 1.0).abs() < 1e-12, "h = {h}");
        // a fixed point of eqs. (6)
        let (l, g) = (1.0, 0.2);
        let dx = 2.0 * h * y - g * z * x;
        let dy = -2.0 * h * x + 2.0 * l * z * x - g * z * y;
        let dz = -2.0 * l * x * y + g * (x * x + y * y);
        assert!(
            dx.abs() < 1e-12 && dy.abs() < 1e-12 && dz.abs() < 1e-12,
            "h = {h}"
        );
    }
    // continuity at h+ (second order): X -> 0
    let [x, _, z] = semiclassical_fixed_point(hp - 1e-9, 1.0, 0.2);
    assert!(x < 1e-3 && (z - 1.0).abs() < 1e-6);
}

#[test]
fn finite_n_approaches_semiclassical() {
    // inside the ordered phase (h = 0.5) and in the normal phase (h = 1.3)
    let mut solvers: Vec<LmgSolver> = [25usize, 50, 100]
        .iter()
        .map(|&n| LmgSolver::new(n).unwrap())
        .collect();
    for h in [0.5, 1.3] {
        let [x, y, z] = semiclassical_fixed_point(h, 1.0, 0.2);
        let mut prev = [f64::INFINITY; 3];
        for s in solvers.iter_mut() {
            let n = s.n();
            let o = s
                .solve(&LmgParams {
                    n,
                    h,
                    lambda: 1.0,
                    gamma_a: 0.01,
                    gamma_b: 0.2,
                })
                .unwrap();
            let err = [
                (o.jz - z).abs(),
                (o.jx2 - x * x).abs() + (o.jy2 - y * y).abs(),
                (o.jz2 - z * z).abs(),
            ];
            println!("h={h} N={n}: errors {err:?}");
            for k in 0..3 {
                assert!(
                    err[k] < prev[k],
                    "h={h} N={n}: error {k} did not decrease: {} >= {}",
                    err[k],
                    prev[k]
                );
            }
            prev = err;
        }
        assert!(prev[0] < 0.05, "h={h}: N=100 inversion error {}", prev[0]);
    }
}
