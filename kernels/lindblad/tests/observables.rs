//! Spin moments and the closed-form concurrence.

use faer::Mat;
use qk_lindblad::{
    concurrence_from_moments, concurrence_phi, spin_moments, spin_operators, Complex64, SpinMoments,
};
use sprs::CsMat;

fn dense(a: &CsMat<Complex64>) -> Mat<Complex64> {
    let mut m = Mat::zeros(a.rows(), a.cols());
    for (v, (r, c)) in a.iter() {
        m[(r, c)] += *v;
    }
    m
}

fn tr_prod(rho: &Mat<Complex64>, a: &Mat<Complex64>, b: &Mat<Complex64>) -> Complex64 {
    let ab = a * b;
    let p = rho * &ab;
    (0..p.nrows()).map(|i| p[(i, i)]).sum()
}

#[test]
fn moments_match_operator_traces() {
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for n in [1usize, 2, 5, 8] {
        let d = n + 1;
        // random Hermitian positive matrix ρ = A A† / Tr
        let a = Mat::from_fn(d, d, |_, _| Complex64::new(rnd(), rnd()));
        let mut rho = &a * a.adjoint();
        let tr: Complex64 = (0..d).map(|i| rho[(i, i)]).sum();
        rho = Mat::from_fn(d, d, |i, j| rho[(i, j)] / tr);
        let ops = spin_operators(n).unwrap();
        let (jx, jy, jz) = (dense(&ops.jx), dense(&ops.jy), dense(&ops.jz));
        let id = Mat::<Complex64>::identity(d, d);
        let mo = spin_moments(n, rho.as_ref()).unwrap();
        let close = |x: f64, y: Complex64| (x - y.re).abs() < 1e-12 && y.im.abs() < 1e-12;
        assert!(close(mo.jx, tr_prod(&rho, &jx, &id)));
        assert!(close(mo.jy, tr_prod(&rho, &jy, &id)));
        assert!(close(mo.jz, tr_prod(&rho, &jz, &id)));
        assert!(close(mo.jx2, tr_prod(&rho, &jx, &jx)));
        assert!(close(mo.jy2, tr_prod(&rho, &jy, &jy)));
        assert!(close(mo.jz2, tr_prod(&rho, &jz, &jz)));
        let sym = (tr_prod(&rho, &jx, &jy) + tr_prod(&rho, &jy, &jx)) * 0.5;
        assert!(close(mo.jxy, sym));
        // Jx² operator matches Jx·Jx
        let jx2 = dense(&ops.jx2);
        let prod = &jx * &jx;
        for i in 0..d {
            for j in 0..d {
                assert!((jx2[(i, j)] - prod[(i, j)]).norm() < 1e-12);
            }
        }
        // su(2) algebra: [Jx, Jy] = i Jz
        let comm = &jx * &jy - &jy * &jx;
        for i in 0..d {
            for j in 0..d {
                assert!((comm[(i, j)] - Complex64::new(0.0, 1.0) * jz[(i, j)]).norm() < 1e-12);
            }
        }
    }
}

#[test]
fn closed_form_concurrence_is_the_max_over_phi() {
    let cases = [
        (
            10usize,
            SpinMoments {
                jx: 0.0,
                jy: 0.0,
                jz: 3.0,
                jx2: 1.0,
                jy2: 2.5,
                jz2: 9.5,
                jxy: 0.0,
            },
        ),
        (
            10,
            SpinMoments {
                jx: 0.3,
                jy: -0.7,
                jz: 2.0,
                jx2: 1.2,
                jy2: 0.8,
                jz2: 5.0,
                jxy: 0.25,
            },
        ),
        (
            25,
            SpinMoments {
                jx: 2.0,
                jy: 1.0,
                jz: 8.0,
                jx2: 6.0,
                jy2: 3.0,
                jz2: 70.0,
                jxy: 1.9,
            },
        ),
        (
            4,
            SpinMoments {
                jx: 0.0,
                jy: 0.0,
                jz: 0.0,
                jx2: 2.0,
                jy2: 2.0,
                jz2: 2.0,
                jxy: 0.0,
            },
        ),
    ];
    for (n, mo) in cases {
        let steps = 200_000;
        let brute = (0..steps)
            .map(|k| concurrence_phi(n, &mo, 2.0 * std::f64::consts::PI * k as f64 / steps as f64))
            .fold(f64::NEG_INFINITY, f64::max);
        let closed = concurrence_from_moments(n, &mo);
        assert!(
            (closed - brute.max(0.0)).abs() < 1e-8,
            "N={n}: {closed} vs {brute}"
        );
        // closed form is never below any sampled angle
        assert!(closed >= brute - 1e-12);
    }
}
