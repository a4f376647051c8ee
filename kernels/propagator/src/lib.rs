//! # qk-propagator
//!
//! Split-operator propagation of two interacting kicked particles in an
//! infinite square well (PHYSICS.md §2, seed 002) on a 2D grid distributed
//! over the ranks of an MPI communicator.
//!
//! * [`dst`]: the DST-I (unnormalised `S_k = Σ_j x_j sin(πjk/(n+1))`) through
//!   a length-(n+1) complex FFT (RustFFT) with O(n) pre/post-processing, and
//!   the naive O(n²) reference.
//! * [`propagator`]: [`Propagator`] — slab-decomposed 2D transforms with the
//!   transpose written straight into the destination rows, sine space kept
//!   transposed, plans and buffers built once, allocation-free periods,
//!   observables (⟨p1²⟩, ⟨p2²⟩, norm, purity).
//! * [`purity`]: `Tr ρ1²` from the smaller of the two Gram matrices (faer
//!   rank-k updates in column blocks, the reduction over ranks overlapped
//!   with the next block).
//! * [`gridsize`]: fast DST sizes, grids from the classical momentum reach,
//!   the Strang-step error bound.
//! * [`exchange`]: the two slab buffers per rank and the transpose between
//!   the slab layouts (a buffer switch on one rank, an MPI-3 shared-memory
//!   window and a barrier on one node, point-to-point messages otherwise).
//! * [`single`]: [`single::Propagator1`] — one kicked particle (1D, serial,
//!   per-kick strength: the noise ensembles of seed Fig. 3).
//! * [`reference`](mod@reference): naive serial 2D and 1D propagators used by the tests.
//!
//! ## Example
//!
//! ```
//! use qk_propagator::{Interaction, KickedParams, Propagator};
//! let universe = mpi::initialize().expect("MPI");
//! let comm = mpi::topology::SimpleCommunicator::self_comm();
//! let params = KickedParams {
//!     hbar: 0.05, mass: 0.01, eps: 2.0, k1: 1.8, k2: 0.0, lambda: 10.0,
//!     n1: 63, n2: 63, substeps: 10, interaction: Interaction::Continuous,
//! };
//! let mut prop = Propagator::new(&params, &comm).expect("valid parameters");
//! for _ in 0..3 {
//!     prop.period();
//! }
//! let obs = prop.observables();
//! assert!((obs.norm - 1.0).abs() < 1e-12);
//! assert!(obs.purity <= 1.0 + 1e-12);
//! drop(prop); // free the duplicated communicator before MPI finalises
//! drop(universe);
//! ```

pub mod decomp;
pub mod dst;
pub mod error;
pub mod exchange;
pub mod gridsize;
pub mod propagator;
pub mod purity;
pub mod reference;
pub mod single;

pub use error::{PropagatorError, Result};
pub use propagator::{
    estimate_memory_bytes_per_rank, estimate_memory_bytes_per_rank_with, flops_dst_pair,
    tail_modes, Interaction, KickedParams, Observables, Propagator,
};
