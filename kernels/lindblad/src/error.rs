//! Error type of the crate.

/// Everything that can go wrong when assembling a Liouvillian or solving for
/// its steady state.
///
/// [`LindbladError::InvalidInput`] and [`LindbladError::SymmetryBroken`] are
/// caller errors (fix the input); [`LindbladError::Singular`] and
/// [`LindbladError::Numerical`] are numerical failures of an otherwise valid
/// problem (e.g. a non-unique steady state, or a result that fails its quality
/// checks); [`LindbladError::OutOfMemory`] reports an allocation failure
/// inside the sparse factorization.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum LindbladError {
    /// Inconsistent dimensions, non-finite or out-of-range parameters, a
    /// Liouvillian whose pattern differs from the plan's, ...
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The caller's parity vector is not a symmetry of the Liouvillian: `L`
    /// couples the even and the odd block.
    #[error(
        "parity is not a weak symmetry: L couples vec index {row} (block {row_block}) \
         with vec index {col} (block {col_block}), |value| = {magnitude:e}"
    )]
    SymmetryBroken {
        /// Row (vec index `i + D*j`) of the offending entry.
        row: usize,
        /// Column (vec index) of the offending entry.
        col: usize,
        /// Block (0 = even, 1 = odd) of the row.
        row_block: u8,
        /// Block of the column.
        col_block: u8,
        /// Magnitude of the offending entry.
        magnitude: f64,
    },
    /// The (trace-constrained) Liouvillian is singular: the steady state is
    /// not unique, or the factorization broke down.
    #[error("singular system: {0}")]
    Singular(String),
    /// The solve completed but its result failed a check (NaN/Inf, residual
    /// above the tolerance, ...).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// An allocation inside the factorization failed.
    #[error("out of memory in the sparse factorization")]
    OutOfMemory,
}

impl From<faer::sparse::FaerError> for LindbladError {
    fn from(e: faer::sparse::FaerError) -> Self {
        match e {
            faer::sparse::FaerError::OutOfMemory => LindbladError::OutOfMemory,
            other => LindbladError::Numerical(format!("sparse factorization: {other:?}")),
        }
    }
}

impl From<qk_model::ModelError> for LindbladError {
    fn from(e: qk_model::ModelError) -> Self {
        match e {
            qk_model::ModelError::InvalidInput(message) => LindbladError::InvalidInput(message),
        }
    }
}
