//! Error type of the propagator kernel.

use thiserror::Error;

/// Everything that can go wrong when building or running a [`crate::Propagator`].
///
/// Invalid input (a parameter out of range, a grid too large for the 32-bit
/// MPI counts) is separated from a failure of the numerics, so that a caller
/// (the `qk` driver) can map the first to exit status 2.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PropagatorError {
    /// A parameter is out of range or not finite.
    #[error("invalid input: {name} = {value}: {reason}")]
    InvalidInput {
        /// The parameter's name as the CLI spells it (`hbar`, `n1`, …).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What is required instead.
        reason: &'static str,
    },
    /// The state lost its normalisation (non-finite values appeared).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// An MPI call failed while setting up the exchange.
    #[error("MPI: {0}")]
    Mpi(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, PropagatorError>;
