//! Stress test of the default solver (nested dissection, real arithmetic,
//! multifrontal LU with threshold pivoting and delayed pivots): every point
//! of a dense grid of (N, h, Γa, Γb, λ) over both phases and the critical
//! fields is solved, and agrees with an independent method to 1e-10: the
//! dense null vector of the full Liouvillian where N is small, faer's
//! COLAMD + supernodal LU (pivots chosen in whole columns) up to N = 400.
//!
//! The LU restricted to each front's fully summed block (no delayed pivots)
//! failed on 5 of 41 points at N = 200 and 9 of 41 at N = 400 over
//! h ∈ [−0.5, 1.5] (λ = 1, Γa = 0.01, Γb = 0.2), and on 39 of 164 points at
//! N = 400 with Γb ∈ {0.05, 0.5}, λ ∈ {0.5, 2}: the broken-phase fields of
//! this grid (h = 0.05, 0.2, 0.5 among them) are those points.
//!
//! `QK_HEAVY=1` adds N = 600 and 1000 over 41 fields, against the complex
//! formulation (a different system and elimination tree).

use qk_lindblad::{
    critical_fields, lmg_collapse_ops, lmg_hamiltonian, spin_moments, steady_state_dense,
    Arithmetic, LmgObservables, LmgOrdering, LmgParams, LmgSolver, SteadyStateOptions,
};

/// (λ, Γa, Γb): the seed's rates, a wide and a narrow ordered phase, strong
/// dephasing, no dephasing, and no ordered phase at all (Γb > λ).
const RATES: [(f64, f64, f64); 6] = [
    (1.0, 0.01, 0.2),
    (2.0, 0.01, 0.05),
    (0.5, 0.01, 0.05),
    (1.0, 0.1, 0.5),
    (1.0, 0.0, 0.2),
    (0.5, 0.01, 0.5),
];

/// Fields: both sides of each phase boundary, the critical fields
/// themselves, deep in the ordered phase and far outside.
fn fields(lambda: f64, gamma_b: f64, count: usize) -> Vec<f64> {
    let mut h = vec![-0.5, 0.0];
    if let Some((lo, hi)) = critical_fields(lambda, gamma_b) {
        h.extend([lo, 0.5 * (lo + hi), hi, 0.05, 0.2 * lambda, 0.5 * lambda]);
    }
    h.extend([0.9, 1.5 * lambda]);
    // a uniform sweep of the seed's range on top
    h.extend((0..count).map(|i| -0.5 + 2.0 * i as f64 / (count.max(2) - 1) as f64));
    h
}

fn observables(o: &LmgObservables) -> [f64; 6] {
    [o.jz, o.jx2, o.jy2, o.jz2, o.concurrence, o.purity]
}

fn default_solver(n: usize) -> LmgSolver {
    LmgSolver::with_options(
        n,
        SteadyStateOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .expect("plan")
}

/// Solves every point of `fields × RATES` at `n` with the default solver
/// and with `reference`, asserting agreement to `tol`; returns (points,
/// points with delayed pivots).
fn sweep(
    n: usize,
    rates: &[(f64, f64, f64)],
    reference: &mut dyn FnMut(&LmgParams) -> [f64; 6],
    count: usize,
    tol: f64,
) -> (usize, usize) {
    let mut solver = default_solver(n);
    let (mut points, mut delayed) = (0, 0);
    for &(lambda, gamma_a, gamma_b) in rates {
        for h in fields(lambda, gamma_b, count) {
            let p = LmgParams {
                n,
                h,
                lambda,
                gamma_a,
                gamma_b,
            };
            let o = solver
                .solve(&p)
                .unwrap_or_else(|e| panic!("default solver failed at {p:?}: {e}"));
            assert!(o.residual < 1e-12, "{p:?}: residual {:e}", o.residual);
            assert_eq!(o.perturbed_pivots, 0, "{p:?}");
            let want = reference(&p);
            for (k, (a, b)) in observables(&o).iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() <= tol,
                    "{p:?}: observable {k}: {a} against {b} (delayed pivots {})",
                    o.delayed_pivots
                );
            }
            points += 1;
            delayed += (o.delayed_pivots > 0) as usize;
        }
    }
    (points, delayed)
}

/// Small N against the dense null vector of the full Liouvillian.
#[test]
fn small_n_against_the_dense_reference() {
    for n in [4usize, 9, 16] {
        let mut dense = |p: &LmgParams| {
            let s = steady_state_dense(&lmg_hamiltonian(p).unwrap(), &lmg_collapse_ops(p).unwrap())
                .expect("dense reference");
            let m = spin_moments(p.n, s.rho.as_ref()).unwrap();
            let j = p.n as f64 / 2.0;
            let purity = s
                .rho
                .col_iter()
                .flat_map(|c| c.iter().map(|z| z.norm_sqr()).collect::<Vec<_>>())
                .sum();
            [
                m.jz / j,
                m.jx2 / (j * j),
                m.jy2 / (j * j),
                m.jz2 / (j * j),
                qk_lindblad::concurrence_from_moments(p.n, &m),
                purity,
            ]
        };
        sweep(n, &RATES, &mut dense, 9, 1e-10);
    }
}

/// N = 100, 200 and 400 against COLAMD + supernodal LU (at N = 400 the
/// rates of the failures listed in the module docs, at the phase-boundary
/// fields); the delayed pivots of the broken phase must have been
/// exercised.
#[test]
fn default_solver_against_colamd_up_to_n400() {
    let mut total_delayed = 0;
    for (n, rates, count) in [
        (100usize, &RATES[..], 11usize),
        (200, &RATES[..], 3),
        (400, &RATES[..3], 0),
    ] {
        let mut colamd =
            LmgSolver::with_ordering(n, SteadyStateOptions::default(), LmgOrdering::Colamd)
                .expect("plan");
        let mut reference = |p: &LmgParams| observables(&colamd.solve(p).expect("colamd"));
        let (points, delayed) = sweep(n, rates, &mut reference, count, 1e-10);
        eprintln!("N = {n}: {points} points, {delayed} with delayed pivots");
        total_delayed += delayed;
    }
    assert!(total_delayed > 0, "no point needed a delayed pivot");
}

/// The factors, delays included, are the same for any thread count.
#[test]
fn delayed_pivots_are_bit_identical_across_threads() {
    let p = LmgParams {
        n: 200,
        h: 0.2,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.2,
    };
    let state = |threads: usize| {
        let mut s = LmgSolver::with_options(
            200,
            SteadyStateOptions {
                threads,
                ..Default::default()
            },
        )
        .unwrap();
        s.solve_with_state(&p).unwrap()
    };
    let (o1, s1) = state(1);
    assert!(o1.delayed_pivots > 0, "h = 0.2 should need a delayed pivot");
    for threads in [2, 3] {
        let (o, s) = state(threads);
        assert_eq!(o, o1, "threads = {threads}");
        assert!(s.rho == s1.rho, "threads = {threads}: rho differs");
    }
}

/// Static pivoting (no delays, perturbed pivots corrected by GMRES on the
/// perturbed factor) gives the same steady states where it perturbs.
#[test]
fn static_pivoting_with_gmres_agrees() {
    let n = 200;
    let mut delayed = default_solver(n);
    let mut stat = LmgSolver::with_options(
        n,
        SteadyStateOptions {
            threads: 2,
            pivoting: qk_lindblad::Pivoting::Static,
            ..Default::default()
        },
    )
    .unwrap();
    let mut perturbed = 0;
    for h in [0.05, 0.2, 0.4, 0.9] {
        let p = LmgParams {
            n,
            h,
            lambda: 1.0,
            gamma_a: 0.01,
            gamma_b: 0.2,
        };
        let a = delayed.solve(&p).unwrap();
        let b = stat.solve(&p).unwrap();
        assert_eq!(b.delayed_pivots, 0);
        if b.perturbed_pivots > 0 {
            perturbed += 1;
            assert!(b.krylov_iterations > 0, "h = {h}: perturbed but no GMRES");
        }
        for (x, y) in observables(&a).iter().zip(&observables(&b)) {
            assert!((x - y).abs() < 1e-10, "h = {h}: {x} vs {y}");
        }
    }
    assert!(perturbed > 0, "static pivoting never perturbed a pivot");
}

/// `QK_HEAVY=1`: N = 600 and 1000 over 41 fields in [−0.5, 1.5] at the
/// seed's rates, against the complex formulation.
#[test]
fn heavy_up_to_n1000() {
    if std::env::var("QK_HEAVY").unwrap_or_default().is_empty() {
        eprintln!("skipped: set QK_HEAVY=1 to run");
        return;
    }
    for n in [600usize, 1000] {
        let mut solver = default_solver(n);
        let mut complex = LmgSolver::with_options(
            n,
            SteadyStateOptions {
                threads: 2,
                arithmetic: Arithmetic::Complex,
                ..Default::default()
            },
        )
        .expect("plan");
        let mut delayed = 0;
        for i in 0..41 {
            let h = -0.5 + 0.05 * i as f64;
            let p = LmgParams {
                n,
                h,
                lambda: 1.0,
                gamma_a: 0.01,
                gamma_b: 0.2,
            };
            let o = solver
                .solve(&p)
                .unwrap_or_else(|e| panic!("N = {n}, h = {h}: {e}"));
            let c = complex
                .solve(&p)
                .unwrap_or_else(|e| panic!("complex N = {n}, h = {h}: {e}"));
            for (x, y) in observables(&o).iter().zip(&observables(&c)) {
                assert!((x - y).abs() < 1e-10, "N = {n}, h = {h}: {x} vs {y}");
            }
            delayed += (o.delayed_pivots > 0) as usize;
        }
        eprintln!("N = {n}: 41 points solved, {delayed} with delayed pivots");
    }
}
