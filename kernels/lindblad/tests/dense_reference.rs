//! Sparse LMG steady state vs the dense reference (SVD null vector of the
//! naively assembled dense Liouvillian), and the Z2 block solve vs the full
//! solve.

use qk_lindblad::{
    lmg_collapse_ops, lmg_hamiltonian, lmg_parity, spin_moments, steady_state, steady_state_dense,
    LmgParams, LmgSolver, SteadyStateOptions,
};

fn max_abs_diff(
    a: faer::MatRef<'_, qk_lindblad::Complex64>,
    b: faer::MatRef<'_, qk_lindblad::Complex64>,
) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).norm());
        }
    }
    m
}

#[test]
fn lmg_sparse_matches_dense_reference() {
    let mut worst = 0.0f64;
    for n in [1usize, 2, 3, 4, 7, 10, 20] {
        let mut solver = LmgSolver::new(n).unwrap();
        for &(h, lambda, ga, gb) in &[
            (-0.3, 1.0, 0.01, 0.2),
            (0.005, 1.0, 0.01, 0.2),
            (0.5, 1.0, 0.01, 0.2),
            (0.99, 1.0, 0.01, 0.2),
            (1.3, 1.0, 0.01, 0.2),
            (0.5, 1.0, 0.0, 0.2),
            (-0.8, 2.0, 0.0, 0.5),
            (0.4, 1.0, 0.3, 0.0),
        ] {
            let p = LmgParams {
                n,
                h,
                lambda,
                gamma_a: ga,
                gamma_b: gb,
            };
            let (obs, state) = solver.solve_with_state(&p).unwrap();
            let hm = lmg_hamiltonian(&p).unwrap();
            let c = lmg_collapse_ops(&p).unwrap();
            let dense = steady_state_dense(&hm, &c).unwrap();
            // unique steady state: a clear gap between the two smallest singular values
            assert!(
                dense.sigma_min < 1e-10 * dense.sigma_second,
                "N={n} {p:?}: sigma {} vs {}",
                dense.sigma_min,
                dense.sigma_second
            );
            let dev = max_abs_diff(state.rho.as_ref(), dense.rho.as_ref());
            assert!(dev < 1e-10, "N={n} {p:?}: max |rho - rho_dense| = {dev:e}");
            worst = worst.max(dev);
            // observables from the dense state agree as well
            let mo = spin_moments(n, dense.rho.as_ref()).unwrap();
            let j = n as f64 / 2.0;
            assert!((obs.jz - mo.jz / j).abs() < 1e-10);
            assert!((obs.jx2 - mo.jx2 / (j * j)).abs() < 1e-10);
            assert!((obs.jy2 - mo.jy2 / (j * j)).abs() < 1e-10);
            assert!((obs.jz2 - mo.jz2 / (j * j)).abs() < 1e-10);
            // quality figures
            assert!(obs.residual < 1e-13, "residual {}", obs.residual);
            assert!((obs.trace - 1.0).abs() < 1e-12);
            assert!(obs.hermiticity_error < 1e-11);
            assert!(obs.min_eigenvalue > -1e-12);
            assert!(obs.purity > 0.0 && obs.purity <= 1.0 + 1e-12);
        }
    }
    println!("max |rho_sparse - rho_dense| = {worst:e}");
}

#[test]
fn z2_block_equals_full_solve() {
    for n in [1usize, 4, 9, 16] {
        for h in [-0.3, 0.5, 1.3] {
            let p = LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            };
            let hm = lmg_hamiltonian(&p).unwrap();
            let c = lmg_collapse_ops(&p).unwrap();
            let parity = lmg_parity(n);
            let opts = SteadyStateOptions::default();
            let full = steady_state(&hm, &c, None, opts).unwrap();
            let block = steady_state(&hm, &c, Some(&parity), opts).unwrap();
            let dev = max_abs_diff(full.rho.as_ref(), block.rho.as_ref());
            assert!(dev < 1e-11, "N={n} h={h}: {dev:e}");
            // the full solve's odd block is zero to round-off
            for j in 0..=n {
                for i in 0..=n {
                    if (i + j) % 2 == 1 {
                        assert!(full.rho[(i, j)].norm() < 1e-12);
                    }
                }
            }
            // and the LMG plan agrees with the generic block solve
            let mut solver = LmgSolver::new(n).unwrap();
            let (_, st) = solver.solve_with_state(&p).unwrap();
            assert!(max_abs_diff(st.rho.as_ref(), block.rho.as_ref()) < 1e-11);
        }
    }
}

#[test]
fn plan_reuse_is_deterministic() {
    // Solving a point after other points (dirty workspaces) gives bit-identical
    // results to a fresh plan.
    let n = 30;
    let p = LmgParams {
        n,
        h: 0.7,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let fresh = LmgSolver::new(n).unwrap().solve(&p).unwrap();
    let mut s = LmgSolver::new(n).unwrap();
    for h in [-0.5, 1.4, 0.01] {
        s.solve(&LmgParams { h, ..p }).unwrap();
    }
    let reused = s.solve(&p).unwrap();
    assert_eq!(fresh, reused);
}

#[test]
fn result_is_independent_of_the_ordering() {
    use qk_lindblad::lmg::lmg_nested_dissection;
    use qk_lindblad::{BlockLiouvillian, ColumnOrdering, SteadyStatePlan};
    for n in [3usize, 12, 40] {
        for h in [-0.3, 0.5, 0.99] {
            let p = LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            };
            let hm = lmg_hamiltonian(&p).unwrap();
            let c = lmg_collapse_ops(&p).unwrap();
            let parity = lmg_parity(n);
            let block = BlockLiouvillian::assemble(&hm, &c, Some(&parity)).unwrap();
            let opts = SteadyStateOptions::default();
            let nd = ColumnOrdering::Custom(lmg_nested_dissection(n, block.vec_indices()));
            let natural = ColumnOrdering::Custom((0..block.len()).collect());
            let reference = SteadyStatePlan::new(&block, opts)
                .unwrap()
                .solve(&block)
                .unwrap();
            for ordering in [nd, natural] {
                let s = SteadyStatePlan::with_ordering(&block, opts, ordering)
                    .unwrap()
                    .solve(&block)
                    .unwrap();
                let dev = max_abs_diff(s.rho.as_ref(), reference.rho.as_ref());
                assert!(dev < 1e-11, "N={n} h={h}: {dev:e}");
                assert!(s.quality.residual < 1e-13);
            }
        }
    }
    // a bad custom ordering is rejected
    let p = LmgParams {
        n: 3,
        h: 0.5,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let block = BlockLiouvillian::assemble(
        &lmg_hamiltonian(&p).unwrap(),
        &lmg_collapse_ops(&p).unwrap(),
        Some(&lmg_parity(3)),
    )
    .unwrap();
    let bad = ColumnOrdering::Custom(vec![0; block.len()]);
    assert!(SteadyStatePlan::with_ordering(&block, SteadyStateOptions::default(), bad).is_err());
}
