//! Quantum jumps against the dense master equation (ρ(t) = exp(L t) ρ0 from
//! the dense Liouvillian of qk-lindblad) for the LMG model at small N, and
//! the long-time average against its steady state. `QK_HEAVY=1` adds N = 10
//! in the ordered phase (h = 0.9) with 40 000 trajectories.

use faer::Mat;
use num_complex::Complex64 as C;
use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
use qk_model::LindbladSystem;
use qk_trajectories::expm::expm;
use qk_trajectories::jumps::{JumpPlan, JumpRun};

fn expect(op: &qk_model::Operator, rho: &[C], d: usize) -> f64 {
    // Tr(O ρ) with vec(ρ) column-stacked
    let mut s = C::new(0.0, 0.0);
    for (v, (i, j)) in op.iter() {
        s += *v * rho[j + i * d];
    }
    s.re
}

#[test]
fn lmg_jumps_match_the_master_equation_and_the_steady_state() {
    let universe = mpi::initialize().expect("MPI");
    let comm = universe.world();
    let p = LmgParams {
        n: 4,
        h: 0.6,
        lambda: 1.0,
        gamma_a: 0.3,
        gamma_b: 0.5,
    };
    compare(&p, 0.5, 31, 3000, &comm);
    if std::env::var("QK_HEAVY").unwrap_or_default().is_empty() {
        eprintln!("N = 10 skipped: set QK_HEAVY=1 to run");
        return;
    }
    let p = LmgParams {
        n: 10,
        h: 0.9,
        lambda: 1.0,
        gamma_a: 0.1,
        gamma_b: 0.4,
    };
    compare(&p, 1.0, 41, 40_000, &comm);
}

/// Jumps against `exp(L t) ρ0` at every output time (5 standard errors) and
/// the average of the last third of the times against the steady state.
fn compare(
    p: &LmgParams,
    dt: f64,
    times: usize,
    trajectories: u64,
    comm: &mpi::topology::SimpleCommunicator,
) {
    let (h, c) = (lmg_hamiltonian(p).unwrap(), lmg_collapse_ops(p).unwrap());
    let d = p.n + 1;
    let sys = LindbladSystem::new(h.clone(), c.clone(), None).unwrap();
    let plan = JumpPlan::new(&sys, dt).unwrap();
    let obs = qk_trajectories::lmg::observables(p.n).unwrap();
    let mut init = vec![C::new(0.0, 0.0); d];
    init[0] = C::new(1.0, 0.0);
    let run = JumpRun {
        plan: &plan,
        initial: &init,
        observables: &obs,
        times,
        seed: 1,
        point: 0,
    };
    let res = run.run(trajectories, comm).unwrap();

    let l = qk_lindblad::dense::liouvillian_dense(&h, &c).unwrap();
    let mut worst: f64 = 0.0;
    for k in 0..times {
        let e = expm(&l, dt * k as f64);
        let rho: Vec<C> = (0..d * d).map(|i| e[(i, 0)]).collect();
        for (o, op) in obs.iter().enumerate() {
            let want = expect(op, &rho, d);
            let (m, err) = (res.mean[o * times + k], res.err[o * times + k]);
            let z = (m - want).abs() / err.max(1e-4);
            worst = worst.max(z);
            assert!(
                z < 5.0,
                "t = {} obs {o}: {m} ± {err} vs {want}",
                dt * k as f64
            );
        }
    }
    println!(
        "N = {}, {trajectories} trajectories: largest deviation {worst:.2} standard errors",
        p.n
    );
    assert!(res.jumps[times - 1] > 1.0);

    // long-time average over t ∈ [10, 15] vs the steady state (errors of a
    // time average of correlated samples: bounded by the largest stderr)
    let ss = qk_lindblad::dense::steady_state_dense(&h, &c).unwrap();
    let rho: Vec<C> = {
        let m: &Mat<C> = &ss.rho;
        (0..d * d).map(|i| m[(i % d, i / d)]).collect()
    };
    for (o, op) in obs.iter().enumerate() {
        let want = expect(op, &rho, d);
        let late = (2 * times / 3)..times;
        let avg = late.clone().map(|k| res.mean[o * times + k]).sum::<f64>() / late.len() as f64;
        let err = late.map(|k| res.err[o * times + k]).fold(0.0, f64::max);
        assert!(
            (avg - want).abs() < 4.0 * err + 2e-3,
            "obs {o}: {avg} ± {err} vs steady {want}"
        );
    }
}
