//! Test support: MPI initialised once per test process (no launcher: a
//! singleton), its use serialised by a lock; small sparse operators.

use mpi::topology::SimpleCommunicator;
use num_complex::Complex64;
use qk_model::Operator;
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

/// A `d × d` sparse operator from `(row, column, value)` entries.
pub fn operator(d: usize, entries: &[(usize, usize, Complex64)]) -> Operator {
    let mut t = sprs::TriMat::new((d, d));
    for &(i, j, v) in entries {
        t.add_triplet(i, j, v);
    }
    t.to_csc()
}
