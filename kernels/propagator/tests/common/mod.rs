//! Shared test helpers: MPI initialised once per test process (singleton, no
//! launcher), tests serialised around it.
#![allow(dead_code)]

use mpi::topology::SimpleCommunicator;
use num_complex::Complex64 as C64;
use qk_propagator::{Interaction, KickedParams};
use std::sync::{Mutex, MutexGuard, OnceLock};

struct Mpi(#[allow(dead_code)] mpi::environment::Universe);
// The universe is only touched under LOCK (MPI_THREAD_SERIALIZED).
unsafe impl Send for Mpi {}
unsafe impl Sync for Mpi {}

static UNIVERSE: OnceLock<Mpi> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::new(());

/// Hold the returned guard while using MPI; gives the self communicator.
pub fn mpi_self() -> (MutexGuard<'static, ()>, SimpleCommunicator) {
    let g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    UNIVERSE.get_or_init(|| {
        let (u, _) =
            mpi::initialize_with_threading(mpi::Threading::Serialized).expect("MPI initialisation");
        Mpi(u)
    });
    (g, SimpleCommunicator::self_comm())
}

pub fn params(n1: usize, n2: usize, interaction: Interaction) -> KickedParams {
    KickedParams {
        hbar: 0.3,
        mass: 0.6,
        eps: 2.0,
        k1: 1.8,
        k2: 0.7,
        lambda: 10.0,
        n1,
        n2,
        substeps: 3,
        interaction,
    }
}

pub fn max_diff(a: &[C64], b: &[C64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm())
        .fold(0.0, f64::max)
}

/// Relative-plus-absolute closeness.
pub fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// Deterministic pseudo-random normalised state (SplitMix64).
pub fn random_state(n: usize, seed: u64) -> Vec<C64> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut v: Vec<C64> = (0..n).map(|_| C64::new(next(), next())).collect();
    let norm = v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
    v.iter_mut().for_each(|c| *c /= norm);
    v
}
