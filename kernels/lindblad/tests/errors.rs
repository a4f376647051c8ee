//! Bad input and numerical failure are errors, never numbers.

use qk_lindblad::{
    lmg_collapse_ops, lmg_hamiltonian, steady_state, BlockLiouvillian, Complex64, LindbladError,
    LmgParams, LmgSolver, SteadyStateOptions,
};
use sprs::{CsMat, TriMat};

fn op(d: usize, entries: &[(usize, usize, f64)]) -> CsMat<Complex64> {
    let mut t = TriMat::new((d, d));
    for &(i, j, v) in entries {
        t.add_triplet(i, j, Complex64::new(v, 0.0));
    }
    t.to_csc()
}

#[test]
fn invalid_lmg_parameters() {
    assert!(matches!(
        LmgSolver::new(0),
        Err(LindbladError::InvalidInput(_))
    ));
    let mut s = LmgSolver::new(4).unwrap();
    let good = LmgParams {
        n: 4,
        h: 0.5,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    assert!(s.solve(&good).is_ok());
    for bad in [
        LmgParams { n: 5, ..good },
        LmgParams {
            h: f64::NAN,
            ..good
        },
        LmgParams {
            lambda: f64::INFINITY,
            ..good
        },
        LmgParams {
            gamma_a: -0.1,
            ..good
        },
        LmgParams {
            gamma_b: -1e-3,
            ..good
        },
        LmgParams {
            gamma_a: 0.0,
            gamma_b: 0.0,
            ..good
        },
    ] {
        assert!(
            matches!(s.solve(&bad), Err(LindbladError::InvalidInput(_))),
            "{bad:?}"
        );
    }
    // the plan is still usable after rejected input
    assert!(s.solve(&good).is_ok());
}

#[test]
fn invalid_operators() {
    let h = op(2, &[(0, 0, 1.0)]);
    let c3 = op(3, &[(0, 1, 1.0)]);
    let opts = SteadyStateOptions::default();
    assert!(matches!(
        steady_state(&h, &[c3], None, opts),
        Err(LindbladError::InvalidInput(_))
    ));
    let non_herm = op(2, &[(0, 1, 1.0)]);
    let c = op(2, &[(1, 0, 1.0)]);
    assert!(matches!(
        steady_state(&non_herm, std::slice::from_ref(&c), None, opts),
        Err(LindbladError::InvalidInput(_))
    ));
    let nan = op(2, &[(0, 0, f64::NAN)]);
    assert!(matches!(
        steady_state(&nan, std::slice::from_ref(&c), None, opts),
        Err(LindbladError::InvalidInput(_))
    ));
    assert!(matches!(
        steady_state(&h, std::slice::from_ref(&c), Some(&[false]), opts),
        Err(LindbladError::InvalidInput(_))
    ));
}

#[test]
fn broken_symmetry_is_detected() {
    // driven two-level atom: the drive σx flips the parity inside H
    let h = op(2, &[(0, 1, 0.5), (1, 0, 0.5)]);
    let c = op(2, &[(1, 0, 1.0)]);
    let r = BlockLiouvillian::assemble(&h, std::slice::from_ref(&c), Some(&[false, true]));
    assert!(
        matches!(r, Err(LindbladError::SymmetryBroken { .. })),
        "{r:?}"
    );
    // LMG with a transverse field h_x Jx added also breaks it
    let p = LmgParams {
        n: 6,
        h: 0.5,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let ops = qk_lindblad::spin_operators(6).unwrap();
    let hm = &lmg_hamiltonian(&p).unwrap() + &ops.jx.map(|v| v * 0.1);
    let r = BlockLiouvillian::assemble(
        &hm,
        &lmg_collapse_ops(&p).unwrap(),
        Some(&qk_lindblad::lmg_parity(6)),
    );
    assert!(matches!(r, Err(LindbladError::SymmetryBroken { .. })));
}

#[test]
fn non_unique_steady_states_are_errors() {
    let opts = SteadyStateOptions::default();
    // pure Hamiltonian dynamics
    let h = op(3, &[(0, 0, 1.0), (1, 1, -0.5), (0, 1, 0.3), (1, 0, 0.3)]);
    assert!(steady_state(&h, &[], None, opts).is_err());
    // pure dephasing of a qubit: every diagonal state is stationary
    let sz = op(2, &[(0, 0, 1.0), (1, 1, -1.0)]);
    let r = steady_state(&sz, std::slice::from_ref(&sz), None, opts);
    assert!(r.is_err(), "{r:?}");
    // projector dephasing, structurally singular
    let p0 = op(2, &[(0, 0, 1.0)]);
    let r = steady_state(&op(2, &[]), std::slice::from_ref(&p0), None, opts);
    assert!(matches!(r, Err(LindbladError::Singular(_))), "{r:?}");
    // two decoupled decaying qubits with separate ground states (block diagonal
    // 4-level system with two absorbing states)
    let c1 = op(4, &[(0, 1, 1.0)]);
    let c2 = op(4, &[(2, 3, 1.0)]);
    let r = steady_state(&op(4, &[]), &[c1, c2], None, opts);
    assert!(r.is_err(), "{r:?}");
}
