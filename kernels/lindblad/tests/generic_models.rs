//! Generic (non-LMG) models with analytic steady states.

use qk_lindblad::{steady_state, Complex64, SteadyStateOptions};
use sprs::{CsMat, TriMat};

fn op(d: usize, entries: &[(usize, usize, Complex64)]) -> CsMat<Complex64> {
    let mut t = TriMat::new((d, d));
    for &(i, j, v) in entries {
        t.add_triplet(i, j, v);
    }
    t.to_csc()
}

fn re(x: f64) -> Complex64 {
    Complex64::new(x, 0.0)
}

/// Driven damped two-level atom, basis (|e⟩, |g⟩): H = (Δ/2)σz + (Ω/2)σx,
/// C = √γ σ−. Analytic: ρ_ee = (Ω²/4)/(Δ² + γ²/4 + Ω²/2),
/// ρ_eg = ⟨σ−⟩ = (Ω/2) z (Δ + iγ/2)/(Δ² + γ²/4), z = 2ρ_ee − 1.
#[test]
fn driven_two_level_atom() {
    for &(delta, omega, gamma) in &[
        (0.0f64, 1.0f64, 1.0f64),
        (0.7, 2.3, 0.4),
        (-1.5, 0.3, 2.0),
        (3.0, 5.0, 0.1),
    ] {
        let h = op(
            2,
            &[
                (0, 0, re(delta / 2.0)),
                (1, 1, re(-delta / 2.0)),
                (0, 1, re(omega / 2.0)),
                (1, 0, re(omega / 2.0)),
            ],
        );
        let c = op(2, &[(1, 0, re(gamma.sqrt()))]);
        let ss = steady_state(&h, &[c], None, SteadyStateOptions::default()).unwrap();
        let den = delta * delta + gamma * gamma / 4.0 + omega * omega / 2.0;
        let ree = omega * omega / 4.0 / den;
        let z = 2.0 * ree - 1.0;
        let reg = Complex64::new(delta, gamma / 2.0)
            * (omega / 2.0 * z / (delta * delta + gamma * gamma / 4.0));
        assert!((ss.rho[(0, 0)].re - ree).abs() < 1e-13, "rho_ee");
        assert!(
            (ss.rho[(0, 1)] - reg).norm() < 1e-13,
            "rho_eg {} vs {}",
            ss.rho[(0, 1)],
            reg
        );
        assert!((ss.rho[(1, 0)] - reg.conj()).norm() < 1e-13);
        assert!(ss.quality.residual < 1e-14);
        assert!(ss.quality.min_eigenvalue >= -1e-14);
    }
}

/// Damped harmonic oscillator coupled to a thermal bath, truncated to D
/// levels: H = ω a†a, C1 = √(κ(n̄+1)) a, C2 = √(κ n̄) a†. The truncated chain
/// obeys detailed balance, so the steady state is exactly the geometric
/// distribution p_n ∝ (n̄/(n̄+1))^n on 0..D−1, with zero coherences. The
/// number parity is a weak Z2 symmetry; block and full solves must agree.
#[test]
fn thermal_harmonic_oscillator() {
    for &(d, omega, kappa, nbar) in &[
        (2usize, 1.0f64, 0.5f64, 0.3f64),
        (12, 1.3, 0.2, 1.5),
        (40, 0.5, 1.0, 4.0),
    ] {
        let a: Vec<(usize, usize, Complex64)> =
            (1..d).map(|n| (n - 1, n, re((n as f64).sqrt()))).collect();
        let ad: Vec<(usize, usize, Complex64)> = a.iter().map(|&(i, j, v)| (j, i, v)).collect();
        let h = op(
            d,
            &(0..d)
                .map(|n| (n, n, re(omega * n as f64)))
                .collect::<Vec<_>>(),
        );
        let c1 = op(d, &a).map(|v| v * (kappa * (nbar + 1.0)).sqrt());
        let c2 = op(d, &ad).map(|v| v * (kappa * nbar).sqrt());
        let q = nbar / (nbar + 1.0);
        let z: f64 = (0..d).map(|n| q.powi(n as i32)).sum();
        let parity: Vec<bool> = (0..d).map(|n| n % 2 == 1).collect();
        for par in [None, Some(parity.as_slice())] {
            let ss = steady_state(
                &h,
                &[c1.clone(), c2.clone()],
                par,
                SteadyStateOptions::default(),
            )
            .unwrap();
            for i in 0..d {
                for j in 0..d {
                    let expect = if i == j { q.powi(i as i32) / z } else { 0.0 };
                    assert!(
                        (ss.rho[(i, j)] - re(expect)).norm() < 1e-12,
                        "D={d} ({i},{j}): {} vs {expect}",
                        ss.rho[(i, j)]
                    );
                }
            }
            let purity: f64 = (0..d).map(|n| (q.powi(n as i32) / z).powi(2)).sum();
            assert!((ss.quality.purity - purity).abs() < 1e-12);
            assert!((ss.quality.min_eigenvalue - q.powi(d as i32 - 1) / z).abs() < 1e-12);
        }
    }
}

/// METIS nested dissection (multifrontal LU, real and complex formulation)
/// on a driven Kerr oscillator with loss and dephasing, against the dense
/// reference (Kronecker products + null vector).
#[test]
fn metis_ordering_matches_dense_reference() {
    use qk_lindblad::{
        steady_state_dense, Arithmetic, BlockLiouvillian, ColumnOrdering, SteadyStatePlan,
    };
    let d = 14usize;
    let (delta, chi, f, kappa, gphi): (f64, f64, f64, f64, f64) = (-0.7, 0.3, 0.9, 0.5, 0.05);
    let mut h = Vec::new();
    let mut a = Vec::new();
    for n in 0..d {
        let nf = n as f64;
        h.push((n, n, re(delta * nf + chi * nf * (nf - 1.0))));
        if n + 1 < d {
            let s = ((n + 1) as f64).sqrt();
            a.push((n, n + 1, re(s)));
            h.push((n, n + 1, re(f * s)));
            h.push((n + 1, n, re(f * s)));
        }
    }
    let num: Vec<_> = (0..d).map(|n| (n, n, re(n as f64 * gphi.sqrt()))).collect();
    let h = op(d, &h);
    let c = [op(d, &a).map(|v| v * kappa.sqrt()), op(d, &num)];
    let reference = steady_state_dense(&h, &c).unwrap();
    let block = BlockLiouvillian::assemble(&h, &c, None).unwrap();
    for arithmetic in [Arithmetic::Real, Arithmetic::Complex] {
        let options = SteadyStateOptions {
            arithmetic,
            ..Default::default()
        };
        let mut plan =
            SteadyStatePlan::with_ordering(&block, options, ColumnOrdering::Metis).unwrap();
        let ss = plan.solve_values(block.values()).unwrap();
        let mut worst = 0.0f64;
        for i in 0..d {
            for j in 0..d {
                worst = worst.max((ss.rho[(i, j)] - reference.rho[(i, j)]).norm());
            }
        }
        assert!(worst < 1e-10, "{arithmetic:?}: {worst}");
        assert!(ss.quality.residual < 1e-12);
    }
}
