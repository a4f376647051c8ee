//! The fast kernel on one rank against the naive serial reference, norm
//! conservation, and forward-then-backward propagation.

mod common;

use common::{close, max_diff, mpi_self, params, random_state};
use qk_propagator::reference::SerialReference;
use qk_propagator::{Interaction, KickedParams, Propagator, PropagatorError};

const SIZES: &[(usize, usize)] = &[(1, 1), (1, 4), (2, 3), (5, 4), (12, 12), (13, 11), (16, 17)];

#[test]
fn fast_matches_naive_reference() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        for &(n1, n2) in SIZES {
            let p = params(n1, n2, inter);
            let mut fast = Propagator::new(&p, &comm).unwrap();
            let mut slow = SerialReference::new(&p).unwrap();
            for kick in 0..4 {
                fast.period();
                slow.period();
                let (a, b) = (fast.observables(), slow.observables());
                let ctx = format!("{inter:?} {n1}x{n2} kick {kick}: {a:?} vs {b:?}");
                assert!(close(a.norm, b.norm, 1e-12, 1e-13), "{ctx}");
                assert!(close(a.p1_sq, b.p1_sq, 1e-11, 1e-13), "{ctx}");
                assert!(close(a.p2_sq, b.p2_sq, 1e-11, 1e-13), "{ctx}");
                assert!(close(a.purity, b.purity, 1e-11, 1e-13), "{ctx}");
                assert!(close(a.tail1, b.tail1, 1e-10, 1e-14), "{ctx} tail1");
                assert!(close(a.tail2, b.tail2, 1e-10, 1e-14), "{ctx} tail2");
                let (ma, mb) = (fast.momentum_p1(), slow.momentum_p1());
                for (x, y) in ma.iter().zip(&mb) {
                    assert!(close(*x, *y, 1e-10, 1e-13), "{ctx} momentum");
                }
            }
            let state = fast.gather_position_state().unwrap();
            let d = max_diff(&state, slow.state());
            assert!(d < 1e-12, "{inter:?} {n1}x{n2}: state differs by {d:e}");
        }
    }
}

#[test]
fn norm_conserved_each_period() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        let mut p = params(31, 29, inter);
        p.hbar = 0.05;
        p.mass = 0.01;
        p.substeps = 5;
        let mut prop = Propagator::new(&p, &comm).unwrap();
        let mut last = prop.observables().norm;
        assert!((last - 1.0).abs() < 1e-14);
        for _ in 0..30 {
            prop.period();
            let n = prop.observables().norm;
            assert!((n - last).abs() < 1e-12, "{inter:?}: norm {last} -> {n}");
            last = n;
        }
        // observing at every kick or not gives the same state
        let mut quiet = Propagator::new(&p, &comm).unwrap();
        for _ in 0..30 {
            quiet.period();
        }
        let a = prop.gather_position_state().unwrap();
        let b = quiet.gather_position_state().unwrap();
        assert!(max_diff(&a, &b) < 1e-12);
    }
}

#[test]
fn forward_then_backward_returns_initial_state() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        for &(n1, n2) in &[(1, 1), (7, 12), (33, 31)] {
            let p = params(n1, n2, inter);
            let mut prop = Propagator::new(&p, &comm).unwrap();
            // a dirty, non-product start as well as the ground state
            for start in 0..2 {
                let psi0 = if start == 0 {
                    prop.gather_position_state().unwrap()
                } else {
                    random_state(n1 * n2, 7)
                };
                prop.set_position_state(|i, j| psi0[i * n2 + j]);
                for k in 0..12 {
                    prop.period();
                    if k % 5 == 0 {
                        prop.observables(); // leaves the state in sine space
                    }
                }
                for _ in 0..12 {
                    prop.period_backward();
                }
                assert_eq!(prop.kicks(), 0);
                let back = prop.gather_position_state().unwrap();
                let d = max_diff(&back, &psi0);
                assert!(d < 1e-12, "{inter:?} {n1}x{n2}: back differs by {d:e}");
            }
        }
    }
}

#[test]
fn bad_input_is_rejected() {
    let (_g, comm) = mpi_self();
    let good = params(5, 5, Interaction::Continuous);
    let cases: Vec<(&str, KickedParams)> = vec![
        (
            "n1",
            KickedParams {
                n1: 0,
                ..good.clone()
            },
        ),
        (
            "n2",
            KickedParams {
                n2: 0,
                ..good.clone()
            },
        ),
        (
            "hbar",
            KickedParams {
                hbar: 0.0,
                ..good.clone()
            },
        ),
        (
            "hbar",
            KickedParams {
                hbar: -1.0,
                ..good.clone()
            },
        ),
        (
            "hbar",
            KickedParams {
                hbar: f64::NAN,
                ..good.clone()
            },
        ),
        (
            "mass",
            KickedParams {
                mass: 0.0,
                ..good.clone()
            },
        ),
        (
            "mass",
            KickedParams {
                mass: f64::INFINITY,
                ..good.clone()
            },
        ),
        (
            "eps",
            KickedParams {
                eps: f64::NAN,
                ..good.clone()
            },
        ),
        (
            "lambda",
            KickedParams {
                lambda: f64::INFINITY,
                ..good.clone()
            },
        ),
        (
            "substeps",
            KickedParams {
                substeps: 0,
                ..good.clone()
            },
        ),
    ];
    for (name, p) in cases {
        match Propagator::new(&p, &comm) {
            Err(PropagatorError::InvalidInput { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: expected InvalidInput, got {other:?}"),
        }
        assert!(SerialReference::new(&p).is_err());
    }
}

#[test]
fn memory_estimate_scales() {
    let one = qk_propagator::estimate_memory_bytes_per_rank(2047, 2047, 1);
    let two = qk_propagator::estimate_memory_bytes_per_rank(2047, 2047, 2);
    assert!(one > 4 * 16 * 2047 * 2047);
    assert!(two < one);
    assert_eq!(
        qk_propagator::estimate_memory_bytes_per_rank(usize::MAX, usize::MAX, 1),
        u64::MAX
    );
}

/// The purity holds blocks of the smaller Gram (≤ 2¹⁹ numbers for n ≤ 32768)
/// and, on several ranks unless n2 > 2 n1, two k2 slabs; nothing when it is not
/// computed. A very asymmetric grid costs its slabs, not an n1 × n1 Gram.
#[test]
fn memory_estimate_counts_the_smaller_gram() {
    use qk_propagator::estimate_memory_bytes_per_rank_with as est;
    let block = 16 * (1u64 << 19);
    for (n1, n2) in [
        (16383usize, 143usize),
        (143, 16383),
        (31103, 143),
        (2047, 2047),
    ] {
        for r in [1usize, 2, 3] {
            let with = est(n1, n2, r, true);
            let without = est(n1, n2, r, false);
            assert_eq!(
                with,
                qk_propagator::estimate_memory_bytes_per_rank(n1, n2, r)
            );
            let slab = 16 * (n1 * n2.div_ceil(r)) as u64;
            // the ring's two slabs on several ranks unless n2 > 2 n1 (then 4 blocks)
            let rows = r > 1 && 2 * n1 < n2;
            let extra = if r > 1 && !rows { 2 * slab } else { 0 };
            let blocks = if rows { 4 } else { 1 };
            assert!(with > without, "{n1}x{n2} R={r}");
            assert!(with - without <= blocks * block + extra, "{n1}x{n2} R={r}");
            // the state's slabs dominate: far below an n1 × n1 Gram when n1 > n2
            assert!(without >= 4 * 16 * (n1 * n2 / r) as u64);
        }
    }
    let gram = 16 * 31103u64 * 31103;
    assert!(est(31103, 143, 1, true) < gram / 20);
}

#[test]
fn reused_plan_gives_the_same_bits_as_a_fresh_one() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        let a = params(31, 29, inter);
        let b = KickedParams {
            hbar: 0.17,
            mass: 0.2,
            eps: -1.0,
            k1: 2.5,
            ..a.clone()
        };
        let mut reused = Propagator::new(&a, &comm).unwrap();
        for _ in 0..3 {
            reused.period();
        }
        reused.set_params(&b).unwrap();
        assert_eq!(reused.kicks(), 0);
        let mut fresh = Propagator::new(&b, &comm).unwrap();
        for _ in 0..5 {
            reused.period();
            fresh.period();
        }
        assert_eq!(reused.observables(), fresh.observables(), "{inter:?}");
        let other = KickedParams {
            n1: 33,
            ..b.clone()
        };
        assert!(matches!(
            reused.set_params(&other),
            Err(PropagatorError::InvalidInput { name: "n1", .. })
        ));
    }
}

#[test]
fn sine_state_carries_over_to_a_larger_grid() {
    let (_g, comm) = mpi_self();
    let p = params(15, 11, Interaction::Kicked);
    let mut small = Propagator::new(&p, &comm).unwrap();
    small.period();
    let c = small.gather_sine_state();
    let before = small.observables();
    let big_p = KickedParams {
        n1: 31,
        n2: 23,
        ..p
    };
    let mut big = Propagator::new(&big_p, &comm).unwrap();
    // zero-padding in the sine basis keeps every sine-basis observable
    big.set_sine_state(small.kicks(), |k1, k2| {
        if k1 < 15 && k2 < 11 {
            c[k2 * 15 + k1]
        } else {
            Default::default()
        }
    });
    let after = big.observables();
    assert_eq!(big.kicks(), 1);
    assert!(close(after.norm, before.norm, 1e-13, 0.0));
    assert!(close(after.p1_sq, before.p1_sq, 1e-12, 0.0));
    assert!(close(after.purity, before.purity, 1e-12, 0.0));
    let back = big.gather_sine_state();
    assert!((back[3 * 31 + 4] - c[3 * 15 + 4]).norm() < 1e-14);
}
