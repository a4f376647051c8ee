//! Distributed = serial: the `propagator-check` binary runs under
//! `mpirun -n P --oversubscribe` for P = 1, 2, 3, 4 on grids whose sizes are
//! not divisible by P (one with fewer rows than ranks), and its observables
//! per kick, final momentum distribution and gathered state must match the
//! naive serial reference to 1e-12, and propagating back returns the initial
//! state to 1e-12. On 2–4 ranks it runs twice: with the exchange the
//! propagator picks (shared-memory window on one node) and with the message
//! path forced (`QK_PROPAGATOR_EXCHANGE=messages`). Skipped (with a message)
//! when `mpirun` is not on PATH.

use num_complex::Complex64 as C64;
use qk_propagator::reference::SerialReference;
use qk_propagator::{Interaction, KickedParams};
use std::path::PathBuf;
use std::process::Command;

fn have_mpirun() -> bool {
    Command::new("mpirun")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Run {
    /// the exchange mode the run used
    mode: String,
    /// max |ψ − ψ0| after the same number of backward periods
    back: f64,
    obs: Vec<[f64; 4]>,
    /// tail1, tail2 of the observables and of the watched period (NaN unwatched)
    tails: Vec<[f64; 4]>,
    mom: Vec<f64>,
    state: Vec<C64>,
}

fn parse(text: &str) -> Run {
    let mut run = Run {
        mode: String::new(),
        back: f64::NAN,
        obs: vec![],
        tails: vec![],
        mom: vec![],
        state: vec![],
    };
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let tag = it.next().unwrap();
        if tag == "mode" {
            run.mode = it.next().unwrap().to_string();
            continue;
        }
        let v: Vec<f64> = it.map(|s| s.parse().unwrap()).collect();
        match tag {
            "obs" => {
                run.obs.push([v[0], v[1], v[2], v[3]]);
                run.tails.push([v[4], v[5], v[6], v[7]]);
            }
            "mom" => run.mom = v,
            "back" => run.back = v[0],
            "state" => run.state = v.chunks(2).map(|c| C64::new(c[0], c[1])).collect(),
            _ => panic!("unexpected line {tag}"),
        }
    }
    run
}

/// Run on `ranks` ranks; `messages`: force the point-to-point exchange.
fn run_mpi(ranks: usize, p: &KickedParams, kicks: usize, tag: &str, messages: bool) -> Run {
    run_mpi_with(ranks, p, kicks, tag, messages, &[])
}

/// [`run_mpi`] with extra `key=value` arguments.
fn run_mpi_with(
    ranks: usize,
    p: &KickedParams,
    kicks: usize,
    tag: &str,
    messages: bool,
    extra: &[String],
) -> Run {
    let out: PathBuf = std::env::temp_dir().join(format!(
        "qk_prop_dist_{}_{tag}_{ranks}_{messages}.txt",
        std::process::id()
    ));
    let exchange = if messages { "messages" } else { "auto" };
    let inter = match p.interaction {
        Interaction::Continuous => "continuous",
        Interaction::Kicked => "kicked",
    };
    let status = Command::new("mpirun")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .args(["-n", &ranks.to_string(), "--oversubscribe"])
        .args(["-x", &format!("QK_PROPAGATOR_EXCHANGE={exchange}")])
        .arg(env!("CARGO_BIN_EXE_propagator-check"))
        .arg("dist")
        .arg(format!("hbar={}", p.hbar))
        .arg(format!("mass={}", p.mass))
        .arg(format!("eps={}", p.eps))
        .arg(format!("k1={}", p.k1))
        .arg(format!("k2={}", p.k2))
        .arg(format!("lambda={}", p.lambda))
        .arg(format!("n1={}", p.n1))
        .arg(format!("n2={}", p.n2))
        .arg(format!("substeps={}", p.substeps))
        .arg(format!("interaction={inter}"))
        .arg(format!("kicks={kicks}"))
        .arg(format!("out={}", out.display()))
        .args(extra)
        .status()
        .expect("mpirun");
    assert!(status.success(), "mpirun -n {ranks} failed: {status}");
    let text = std::fs::read_to_string(&out).expect("output of the MPI run");
    let _ = std::fs::remove_file(&out);
    parse(&text)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn distributed_equals_serial_on_1_to_4_ranks() {
    if !have_mpirun() {
        eprintln!("mpirun not found: distributed test skipped");
        return;
    }
    let kicks = 3;
    let cases = [
        (13usize, 11usize, Interaction::Continuous),
        (13, 11, Interaction::Kicked),
        (3, 5, Interaction::Continuous),
        (7, 7, Interaction::Kicked), // square: Toeplitz interaction table
    ];
    for (n1, n2, inter) in cases {
        let p = KickedParams {
            hbar: 0.25,
            mass: 0.4,
            eps: 3.0,
            k1: 1.8,
            k2: 0.5,
            lambda: 10.0,
            n1,
            n2,
            substeps: 3,
            interaction: inter,
        };
        let mut reference = SerialReference::new(&p).unwrap();
        let mut ref_obs = vec![];
        for _ in 0..kicks {
            reference.period();
            let o = reference.observables();
            ref_obs.push([o.p1_sq, o.p2_sq, o.norm, o.purity]);
        }
        let ref_mom = reference.momentum_p1();
        let mut states = vec![];
        let runs = (1..=4).flat_map(|r| [(r, false), (r, true)].into_iter().take(r.min(2)));
        for (ranks, messages) in runs {
            let tag = format!("{n1}x{n2}{inter:?} messages={messages}");
            let run = run_mpi(ranks, &p, kicks, &tag, messages);
            if ranks == 1 {
                assert_eq!(run.mode, "Local", "{tag}");
            } else if messages {
                assert_eq!(run.mode, "Messages", "{tag} P={ranks}");
            }
            assert_eq!(run.obs.len(), kicks);
            for (k, (a, b)) in run.obs.iter().zip(&ref_obs).enumerate() {
                for q in 0..4 {
                    assert!(
                        close(a[q], b[q]),
                        "{tag} P={ranks} kick {k} obs {q}: {} vs {}",
                        a[q],
                        b[q]
                    );
                }
            }
            for (a, b) in run.mom.iter().zip(&ref_mom) {
                assert!(close(*a, *b), "{tag} P={ranks} momentum");
            }
            let d = run
                .state
                .iter()
                .zip(reference.state())
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert_eq!(run.state.len(), n1 * n2);
            assert!(
                d < 1e-12,
                "{tag} P={ranks}: state differs from serial by {d:e}"
            );
            assert!(
                run.back < 1e-12,
                "{tag} P={ranks}: forward-then-backward differs by {:e}",
                run.back
            );
            states.push(run.state);
        }
        // the state itself is the same for every rank count
        for s in &states[1..] {
            let d = s
                .iter()
                .zip(&states[0])
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(d < 1e-14, "rank counts disagree by {d:e}");
        }
    }
}

#[test]
fn growing_mid_run_equals_the_large_grid_from_the_start_on_1_to_3_ranks() {
    if !have_mpirun() {
        eprintln!("mpirun not found: distributed growth test skipped");
        return;
    }
    // Weak kicks: after 3 kicks the state holds ~10 modes per axis. Without
    // the interaction the coefficients fall off faster than exponentially,
    // the tail of the 31 × 23 grid is below round-off and the grown run must
    // equal the 63 × 47 run from the start to round-off. With it (ε = 0.3:
    // U(x1 − x2) is not odd-symmetric at the walls, so the coefficients fall
    // off algebraically) the difference is bounded by the amplitude of the
    // tail at growth, sqrt(tail).
    let kicks = 6;
    for (inter, eps) in [
        (Interaction::Kicked, 0.0),
        (Interaction::Continuous, 0.0),
        (Interaction::Kicked, 0.3),
        (Interaction::Continuous, 0.3),
    ] {
        let small = KickedParams {
            hbar: 0.25,
            mass: 0.4,
            eps,
            k1: 0.4,
            k2: 0.3,
            lambda: 2.0,
            n1: 31,
            n2: 23,
            substeps: 3,
            interaction: inter,
        };
        let big = KickedParams {
            n1: 63,
            n2: 47,
            ..small.clone()
        };
        let tag = format!("grow{inter:?}eps{eps}");
        let reference = run_mpi(1, &big, kicks, &format!("big{tag}"), false);
        let grow: Vec<String> = ["grow_at=3", "grow_n1=63", "grow_n2=47"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut states = vec![];
        for ranks in 1..=3 {
            let run = run_mpi_with(ranks, &small, kicks, &tag, ranks == 3, &grow);
            assert_eq!(run.state.len(), 63 * 47, "{tag} P={ranks}");
            let mut tail_at_growth = 0.0f64;
            for (k, t) in run.tails.iter().enumerate() {
                // the watched tail is the observables' one (kicked: the same
                // state; continuous: half an interaction step earlier, within
                // a factor of 10)
                for q in 0..2 {
                    let (obs, watched) = (t[q], t[2 + q]);
                    let ok = if inter == Interaction::Kicked || eps == 0.0 {
                        (watched - obs).abs() <= 1e-10 * obs + 1e-25
                    } else {
                        watched > obs / 10.0 && watched < obs * 10.0
                    };
                    assert!(ok, "{tag} P={ranks} kick {k}: watched tail {t:?}");
                }
                if k < 3 {
                    tail_at_growth = tail_at_growth.max(t[0] + t[1]);
                }
            }
            if eps == 0.0 {
                assert!(tail_at_growth < 1e-28, "{tag}: tail {tail_at_growth:e}");
            } else {
                assert!(tail_at_growth > 1e-20, "{tag}: tail {tail_at_growth:e}");
            }
            let tol = 1e-12 + 10.0 * tail_at_growth.sqrt();
            for (k, (a, b)) in run.obs.iter().zip(&reference.obs).enumerate() {
                assert!(
                    (a[2] - 1.0).abs() < 1e-12,
                    "{tag} P={ranks} kick {k}: norm {}",
                    a[2]
                );
                for q in 0..4 {
                    let d = (a[q] - b[q]).abs() / (1.0 + a[q].abs().max(b[q].abs()));
                    assert!(
                        d <= tol,
                        "{tag} P={ranks} kick {k} obs {q}: {} vs {}",
                        a[q],
                        b[q]
                    );
                }
            }
            let d = run
                .state
                .iter()
                .zip(&reference.state)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            eprintln!("{tag} P={ranks}: tail at growth {tail_at_growth:e}, state difference {d:e}");
            assert!(
                d <= tol,
                "{tag} P={ranks}: grown state differs from the big grid by {d:e}"
            );
            states.push(run.state);
        }
        for s in &states[1..] {
            assert!(
                s == &states[0],
                "{tag}: grown state depends on the rank count"
            );
        }
    }
}

/// The purity from the Gram of either side (`n1 × n1` from blocks reduced
/// one after another, or `n2 × n2` from slab pairs around a ring; see
/// `qk_propagator::purity`, several blocks each here) matches the
/// reference's explicit `ρ1 = C C†` on odd asymmetric grids on 1–3 ranks
/// (and 4 where one rank has no k2 row), both exchanges; ε = 0 keeps the
/// product state: purity 1 to round-off.
#[test]
fn purity_from_either_gram_on_asymmetric_grids() {
    if !have_mpirun() {
        eprintln!("mpirun not found: distributed test skipped");
        return;
    }
    let kicks = 2;
    let cases = [
        (131usize, 69usize, 3usize),
        (69, 131, 3),
        (151, 3, 4),
        (3, 151, 4),
        (257, 601, 3), // n1 × n1 Gram in two pipelined blocks on several ranks
    ];
    for (n1, n2, max_ranks) in cases {
        for eps in [3.0, 0.0] {
            let p = KickedParams {
                hbar: 0.25,
                mass: 0.4,
                eps,
                k1: 1.8,
                k2: 0.5,
                lambda: 10.0,
                n1,
                n2,
                substeps: 1,
                interaction: Interaction::Kicked,
            };
            let mut reference = SerialReference::new(&p).unwrap();
            let mut want = vec![];
            for _ in 0..kicks {
                reference.period();
                want.push(reference.observables().purity);
            }
            if eps == 0.0 {
                assert!(want.iter().all(|w| (w - 1.0).abs() < 1e-12), "{want:?}");
            } else {
                // entangled: the check is not 1 = 1
                assert!(want.iter().all(|w| *w < 0.999), "{n1}x{n2}: {want:?}");
            }
            for ranks in 1..=max_ranks {
                for messages in [false, true].into_iter().take(ranks.min(2)) {
                    let tag = format!("purity{n1}x{n2}e{eps}m{messages}");
                    let run = run_mpi(ranks, &p, kicks, &tag, messages);
                    for (k, (a, b)) in run.obs.iter().zip(&want).enumerate() {
                        assert!(close(a[3], *b), "{tag} P={ranks} kick {k}: {} vs {b}", a[3]);
                        if eps == 0.0 {
                            assert!((a[3] - 1.0).abs() < 1e-12, "{tag} P={ranks}: {}", a[3]);
                        }
                    }
                }
            }
        }
    }
}
