//! The real (Hermitian) formulation agrees with the complex path and the
//! dense reference; every ordering gives the same steady state.

use num_complex::Complex64;
use qk_lindblad::{
    lmg_collapse_ops, lmg_hamiltonian, lmg_parity, steady_state, steady_state_dense, Arithmetic,
    BlockLiouvillian, LmgOrdering, LmgParams, LmgSolver, SolveMethod, SteadyStateOptions,
    SteadyStatePlan,
};
use sprs::TriMat;

fn max_abs_diff(a: faer::MatRef<'_, Complex64>, b: faer::MatRef<'_, Complex64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).norm());
        }
    }
    m
}

fn opts(arithmetic: Arithmetic) -> SteadyStateOptions {
    SteadyStateOptions {
        arithmetic,
        ..Default::default()
    }
}

#[test]
fn real_equals_complex_equals_dense_for_lmg() {
    for n in [1usize, 2, 3, 8, 15] {
        for h in [-0.3, 0.2, 0.5, 0.99, 1.4] {
            let p = LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            };
            let hm = lmg_hamiltonian(&p).unwrap();
            let c = lmg_collapse_ops(&p).unwrap();
            let dense = steady_state_dense(&hm, &c).unwrap();
            let par = lmg_parity(n);
            let real = steady_state(&hm, &c, Some(&par), opts(Arithmetic::Real)).unwrap();
            let cplx = steady_state(&hm, &c, Some(&par), opts(Arithmetic::Complex)).unwrap();
            let d1 = max_abs_diff(real.rho.as_ref(), dense.rho.as_ref());
            let d2 = max_abs_diff(real.rho.as_ref(), cplx.rho.as_ref());
            assert!(d1 < 1e-10, "N={n} h={h}: real vs dense {d1:e}");
            assert!(d2 < 1e-12, "N={n} h={h}: real vs complex {d2:e}");
            assert_eq!(real.quality.hermiticity_error, 0.0);
            assert!(real.quality.residual < 1e-13);
        }
    }
}

/// A generic model without symmetry and with a complex Hamiltonian: the
/// real formulation needs only Hermiticity preservation.
#[test]
fn real_path_is_generic() {
    let d = 5;
    let mut h = TriMat::new((d, d));
    let mut a = TriMat::new((d, d));
    let mut b = TriMat::new((d, d));
    for i in 0..d {
        h.add_triplet(i, i, Complex64::new(0.3 * i as f64, 0.0));
        if i + 1 < d {
            let z = Complex64::new(0.2, 0.1 * i as f64);
            h.add_triplet(i, i + 1, z);
            h.add_triplet(i + 1, i, z.conj());
            a.add_triplet(i, i + 1, Complex64::new((i + 1) as f64, 0.0).sqrt());
        }
        b.add_triplet(i, (i + 2) % d, Complex64::new(0.05, 0.02));
    }
    let (h, c) = (h.to_csc(), vec![a.to_csc(), b.to_csc()]);
    let dense = steady_state_dense(&h, &c).unwrap();
    for ar in [Arithmetic::Real, Arithmetic::Complex] {
        let s = steady_state(&h, &c, None, opts(ar)).unwrap();
        let dev = max_abs_diff(s.rho.as_ref(), dense.rho.as_ref());
        assert!(dev < 1e-10, "{ar:?}: {dev:e}");
    }
    // the real formulation needs ρ_ji with every ρ_ij: a block with only
    // the parity-even half of a non-symmetric selection is refused elsewhere;
    // here the full block works and reports its size
    let block = BlockLiouvillian::assemble(&h, &c, None).unwrap();
    let plan = SteadyStatePlan::new(&block, opts(Arithmetic::Real)).unwrap();
    let st = plan.factor_stats();
    assert_eq!(st.n, d * d);
    assert!(st.nnz_lu as usize >= st.n && st.flops > 0.0);
}

#[test]
fn lmg_orderings_and_arithmetics_agree() {
    for n in [10usize, 41, 80] {
        let mut reference: Option<qk_lindblad::LmgObservables> = None;
        for ar in [Arithmetic::Complex, Arithmetic::Real] {
            for ord in [
                LmgOrdering::NestedDissection,
                LmgOrdering::NdSupernodal,
                LmgOrdering::Colamd,
            ] {
                let mut s = LmgSolver::with_ordering(n, opts(ar), ord).unwrap();
                for h in [0.3, 0.98] {
                    let p = LmgParams {
                        n,
                        h,
                        lambda: 1.0,
                        gamma_a: 0.01,
                        gamma_b: 0.2,
                    };
                    let o = s.solve(&p).unwrap();
                    assert!(o.residual < 1e-13, "{ar:?} {ord:?} N={n}: {:e}", o.residual);
                    if h == 0.98 {
                        match reference {
                            None => reference = Some(o),
                            Some(r) => {
                                assert!((o.jz - r.jz).abs() < 1e-11, "{ar:?} {ord:?} N={n}");
                                assert!((o.jx2 - r.jx2).abs() < 1e-11);
                                assert!((o.concurrence - r.concurrence).abs() < 1e-10);
                            }
                        }
                    }
                }
            }
        }
    }
    assert!("metis".parse::<LmgOrdering>().is_err());
    assert_eq!(
        "colamd".parse::<LmgOrdering>().unwrap(),
        LmgOrdering::Colamd
    );
}

/// Near the critical fields the gap closes; the solve must still reach the
/// default residual tolerance (1e-12) or fail with an error.
#[test]
fn refinement_near_criticality() {
    let (hm, hp) = qk_lindblad::critical_fields(1.0, 0.2).unwrap();
    for n in [60usize, 150] {
        let mut s = LmgSolver::new(n).unwrap();
        for h in [hm, hp, 0.989898, hp + 1e-9] {
            let p = LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            };
            let o = s.solve(&p).unwrap();
            assert!(o.residual < 1e-12, "N={n} h={h}: {:e}", o.residual);
            assert!((o.trace - 1.0).abs() < 1e-10);
        }
    }
    // an impossible tolerance is an error naming the residual, not a number
    let strict = SteadyStateOptions {
        residual_tol: 1e-30,
        ..Default::default()
    };
    let mut s = LmgSolver::with_options(40, strict).unwrap();
    let p = LmgParams {
        n: 40,
        h: hp,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let e = s.solve(&p).unwrap_err();
    assert!(e.to_string().contains("relative residual"), "{e}");
}

#[test]
fn threads_give_bit_identical_states() {
    // the multifrontal factorization deals subtrees to threads; every front
    // is summed in the same order, so ρ must match to the last bit
    let p = LmgParams {
        n: 60,
        h: 0.9,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let state = |threads: usize| {
        let options = SteadyStateOptions {
            threads,
            ..Default::default()
        };
        let mut s = LmgSolver::with_ordering(60, options, LmgOrdering::NestedDissection).unwrap();
        // large enough that the schedule does use threads (below 2e6 flops it stays on one)
        assert!(s.factor_stats().flops > 4e6, "{}", s.factor_stats().flops);
        s.solve_with_state(&p).unwrap().1.rho
    };
    let one = state(1);
    for threads in [2, 3, 4] {
        let other = state(threads);
        for j in 0..one.ncols() {
            for i in 0..one.nrows() {
                let (a, b) = (one[(i, j)], other[(i, j)]);
                assert!(
                    a.re.to_bits() == b.re.to_bits() && a.im.to_bits() == b.im.to_bits(),
                    "threads = {threads}: rho[{i},{j}] {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn gmres_with_single_precision_factor_matches_direct() {
    // away from and at the critical field h+ ≈ 0.99 (λ = 1, Γb = 0.2), on
    // two threads: same observables, convergence reported per point
    let solver = |method: SolveMethod| {
        let options = SteadyStateOptions {
            method,
            threads: 2,
            ..Default::default()
        };
        LmgSolver::with_ordering(80, options, LmgOrdering::NestedDissection).unwrap()
    };
    let (mut direct, mut gmres) = (solver(SolveMethod::Direct), solver(SolveMethod::Gmres));
    let st = gmres.factor_stats();
    assert_eq!(st.bytes_per_entry, 4);
    assert_eq!(st.nnz_lu, direct.factor_stats().nnz_lu);
    for h in [0.3, 0.989898, 1.4] {
        let p = LmgParams {
            n: 80,
            h,
            lambda: 1.0,
            gamma_a: 0.01,
            gamma_b: 0.2,
        };
        let d = direct.solve(&p).unwrap();
        let g = gmres.solve(&p).unwrap();
        assert_eq!(d.krylov_iterations, 0);
        assert!(
            (1..=60).contains(&g.krylov_iterations),
            "h = {h}: {} iterations",
            g.krylov_iterations
        );
        assert!(g.residual < 1e-14, "h = {h}: residual {}", g.residual);
        for (a, b) in [(d.jz, g.jz), (d.jx2, g.jx2), (d.jz2, g.jz2)] {
            assert!((a - b).abs() < 1e-12, "h = {h}: {a} vs {b}");
        }
        // C_R is a maximum over an angle of a difference of moments: it
        // amplifies the last digits of ρ near the critical point
        let dc = (d.concurrence - g.concurrence).abs();
        assert!(dc < 1e-9, "h = {h}: concurrence differs by {dc}");
    }
    // the method is only defined on the nd factor
    let colamd = SteadyStateOptions {
        method: SolveMethod::Gmres,
        ..Default::default()
    };
    assert!(LmgSolver::with_ordering(10, colamd, LmgOrdering::Colamd).is_err());
}
