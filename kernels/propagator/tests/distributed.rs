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
    mom: Vec<f64>,
    state: Vec<C64>,
}

fn parse(text: &str) -> Run {
    let mut run = Run {
        mode: String::new(),
        back: f64::NAN,
        obs: vec![],
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
            "obs" => run.obs.push([v[0], v[1], v[2], v[3]]),
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
