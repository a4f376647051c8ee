//! Error type of the crate.

/// A model that cannot be built: inconsistent dimensions, a non-Hermitian
/// Hamiltonian term, a negative rate, a parity the operators break, ...
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum ModelError {
    /// What is wrong, in words that name the offending operator or parameter.
    #[error("{0}")]
    InvalidInput(String),
}

impl ModelError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ModelError::InvalidInput(message.into())
    }
}
