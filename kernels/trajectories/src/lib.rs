//! # qk-trajectories
//!
//! Monte Carlo trajectory ensembles, distributed over the ranks that compute a
//! grid point and identical for any number of them:
//!
//! - [`rng`]: counter-based random streams, a pure function of (run seed,
//!   grid point, trajectory, draw counter) — ChaCha8;
//! - [`ensemble`]: streamed mean/standard-error/maximum reductions in a fixed
//!   pairwise order over batches of trajectories;
//! - [`integrator`]: symplectic, time-reversible splitting for two particles
//!   in the infinite well with exact free flight and adaptive substeps;
//! - [`classical`]: ensembles of the two kicked particles, interaction continuous or
//!   kicked (`qk classical`);
//! - [`initial`]: their initial positions (uniform, or the quantum ground
//!   state's `|φ1|²`);
//! - [`nojump`]: exact no-jump exponentials `exp(−i H_eff s)` (spectral or
//!   dyadic), planned once per point;
//! - [`jumps`]: quantum-jump (Monte Carlo wave-function) ensembles of any
//!   [`qk_model::LindbladSystem`] (`qk jumps`).
//!
//! # Example
//!
//! ```
//! use qk_trajectories::classical::{ClassicalParams, ClassicalRun, Interaction};
//! use qk_trajectories::initial::Start;
//! use qk_trajectories::integrator::IntegratorOptions;
//!
//! let universe = mpi::initialize().expect("MPI");
//! let run = ClassicalRun {
//!     params: ClassicalParams { mass: 1.0, eps: 0.0, k1: 1.8, k2: 0.0, lambda: 10.0, noise_width: 0.0, interaction: Interaction::Continuous, start: Start::Uniform },
//!     integrator: IntegratorOptions::default(),
//!     kicks: 10,
//!     observed: (1..=10).collect(),
//!     histogram: None,
//!     seed: qk_trajectories::rng::DEFAULT_SEED,
//!     point: 0,
//! };
//! let r = run.run(128, &universe.world())?;
//! assert_eq!(r.p1_sq.len(), 10);
//! assert!(r.p1_sq[9].mean > 0.0);
//! # Ok::<(), qk_trajectories::TrajectoryError>(())
//! ```

#![deny(missing_docs)]

pub mod classical;
pub mod ensemble;
pub mod expm;
pub mod initial;
pub mod integrator;
pub mod jumps;
pub mod lmg;
pub mod nojump;
pub mod rng;
#[cfg(test)]
mod testing;

/// Errors of the trajectory kernels.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TrajectoryError {
    /// Parameters or options out of range.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A trajectory failed numerically (the message says why).
    #[error("{0}")]
    Failed(String),
}
