//! Errors of the driver. Input errors (exit status 2) are kept apart from
//! failures of the machinery (HDF5, MPI, I/O: exit status 1). Numerical failure
//! at a grid point is not an error of the run: it is recorded per point.

use std::path::PathBuf;

/// Bad input: names the flag and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct InputError {
    pub flag: String,
    pub message: String,
}

impl InputError {
    pub fn new(flag: &str, message: impl Into<String>) -> Self {
        InputError {
            flag: flag.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("HDF5 file {path}: {source}")]
    Hdf5 {
        path: PathBuf,
        #[source]
        source: hdf5::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A new output file could not be laid out (typically a full filesystem); nothing
    /// was written at the path.
    #[error("--output: could not lay out {} ({why}; {free} free on its filesystem); nothing was written there", .path.display())]
    Layout {
        path: PathBuf,
        free: String,
        why: String,
    },
    #[error("MPI: {0}")]
    Mpi(String),
    /// A defect of a model's declarations (e.g. an observable over an unknown axis).
    #[error("model defect: {0}")]
    Model(String),
}

impl DriverError {
    /// Process exit status for this error: 2 for bad input, 1 otherwise.
    pub fn exit_status(&self) -> u8 {
        match self {
            DriverError::Input(_) => 2,
            _ => 1,
        }
    }
}

/// Why one grid point has no result (a numerical failure, never written as a number).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct PointError(pub String);

impl PointError {
    pub fn from_error(e: &dyn std::error::Error) -> Self {
        PointError(e.to_string())
    }
}
