//! The LMG observables of `qk jumps` (PHYSICS.md §1): `Jz/j`, `Jx²/j²`,
//! `Jy²/j²`, `Jz²/j²` as sparse Hermitian operators on the Dicke basis of
//! `qk_model::lmg` (index 0 is `m = +j`).

use qk_model::lmg::spin_operators;
use qk_model::operator::scaled;
use qk_model::{ModelError, Operator};

/// Names of [`observables`], in order.
pub const NAMES: [&str; 4] = ["jz", "jx2", "jy2", "jz2"];

/// `[Jz/j, Jx²/j², Jy²/j², Jz²/j²]` for `N` spins (`j = N/2`).
///
/// # Errors
/// [`ModelError::InvalidInput`] for `N = 0`.
pub fn observables(n: usize) -> Result<Vec<Operator>, ModelError> {
    let s = spin_operators(n)?;
    let j = n as f64 / 2.0;
    let jy2 = &s.jy * &s.jy;
    let jz2 = &s.jz * &s.jz;
    Ok(vec![
        scaled(&s.jz, 1.0 / j),
        scaled(&s.jx2, 1.0 / (j * j)),
        scaled(&jy2, 1.0 / (j * j)),
        scaled(&jz2, 1.0 / (j * j)),
    ])
}
