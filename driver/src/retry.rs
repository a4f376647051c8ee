//! The retry chain of the Lindblad workers (`qk lmg`, `qk steady`): a point
//! whose solve fails numerically is solved again by the next, more robust
//! method, until one succeeds; a method whose memory estimate exceeds what
//! the rank may use is skipped (never the first); bad input is never
//! retried. The chains themselves are the models' (their module docs).

use qk_lindblad::LindbladError;

/// Bytes this rank may use (the process limit shared by the ranks of this
/// node), if known.
pub fn rank_memory_budget() -> Option<u64> {
    let limit = crate::limits::memory_limit()?.bytes;
    let ranks = crate::sysinfo::launcher_local_size().unwrap_or(1).max(1) as u64;
    Some(limit / ranks)
}

/// Runs `chain` in order until `solve` succeeds: a method whose `estimate`
/// exceeds `budget` is skipped (never the first), bad input is returned at
/// once. On success: the result, the number of methods that failed or were
/// skipped before it, and its method; otherwise every method's reason
/// (`label` names a method).
pub fn run_chain<R: Copy, T>(
    chain: &[R],
    label: impl Fn(&R) -> String,
    budget: Option<u64>,
    estimate: impl Fn(R) -> u64,
    mut solve: impl FnMut(R) -> Result<T, LindbladError>,
) -> Result<(T, usize, R), String> {
    let mut failures: Vec<String> = Vec::new();
    for (i, &rung) in chain.iter().enumerate() {
        if i > 0 {
            if let Some(b) = budget.filter(|&b| estimate(rung) > b) {
                failures.push(format!(
                    "{}: skipped (needs {}, {} left)",
                    label(&rung),
                    crate::sysinfo::format_bytes(estimate(rung)),
                    crate::sysinfo::format_bytes(b)
                ));
                continue;
            }
        }
        match solve(rung) {
            Ok(o) => return Ok((o, failures.len(), rung)),
            Err(e @ LindbladError::InvalidInput(_)) => return Err(e.to_string()),
            Err(e) => failures.push(format!("{}: {e}", label(&rung))),
        }
    }
    Err(failures.join("; "))
}
