//! SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before a time limit, Ctrl-C, what
//! `mpirun` forwards without ending the job): the first one asks the sweep to stop
//! handing out points; the points in flight finish, everything finished is written and
//! the run exits with [`EXIT_INTERRUPTED`] after one line
//! `interrupted: 412/1000 points done; rerun with --resume`. A second signal ends the
//! process at once (exit status 128 + the signal number), losing at most the points
//! finished since the last group commit.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Exit status of a run stopped by a signal after writing what it had (resumable).
pub const EXIT_INTERRUPTED: u8 = 3;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static FIRST: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(signo: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(128 + signo) };
    }
    FIRST.store(signo as usize, Ordering::SeqCst);
}

/// Install the handlers (every rank: under srun or mpirun all ranks get the signal; only
/// rank 0 acts on the first one, the others carry on until it tells them to stop).
pub fn install() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGUSR1] {
        // SAFETY: a handler that only touches atomics and calls _exit.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Whether a stopping signal has arrived.
pub fn interrupted() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// The name of the first signal received ("" if none).
pub fn first_signal() -> &'static str {
    match FIRST.load(Ordering::SeqCst) as libc::c_int {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGUSR1 => "SIGUSR1",
        _ => "",
    }
}
