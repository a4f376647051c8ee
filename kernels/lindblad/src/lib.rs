//! Sparse Lindblad Liouvillians and their steady states.
//!
//! - [`liouvillian()`] / [`BlockLiouvillian`]: generic sparse assembly of
//!   `L = −i(I⊗H − Hᵀ⊗I) + Σ_k [C̄_k⊗C_k − ½ I⊗C_k†C_k − ½ (C_k†C_k)ᵀ⊗I]`
//!   (column-stacked `vec(ρ)`, `ρ_ij ↦ i + D*j`), optionally restricted to
//!   the even block of a weak Z2 symmetry ([`liouvillian`](mod@liouvillian)).
//! - [`SteadyStatePlan`] / [`steady_state`]: `Lρ = 0, Tr ρ = 1` by sparse
//!   LU with a trace row, symbolic analysis once per pattern, iterative
//!   refinement and GMRES, quality figures ([`steady`], one stage per file).
//! - [`multifrontal`]: the multifrontal LU on an elimination tree (symbolic,
//!   numeric with threshold pivoting and delayed pivots, substitution),
//!   generic over `f64`, `Complex64` and their single-precision
//!   counterparts; [`ordering`]: geometric nested-dissection trees;
//!   [`graph_ordering`]: METIS nested dissection of any pattern;
//!   [`krylov`]: GMRES with a factorization as preconditioner.
//! - [`spectra`]: correlation spectra `S_AB(ω)`, symmetrized and commutator
//!   spectra and the Kubo response `χ_AB(ω)` by quantum regression (solves
//!   with `L − iω` on one parity block; direct per frequency or a
//!   shift-invert Krylov sweep), and the slow modes / Liouvillian gap by
//!   shift-invert Arnoldi on the same factorization.
//! - [`parametric`]: [`ParametricSolver`], the plan of any
//!   [`qk_model::ParametricModel`] (model files), once per pattern.
//! - [`dense`]: naive dense reference (Kronecker products + SVD null vector).
//! - [`lmg`]: the per-N plan [`LmgSolver`] of the dissipative LMG model of
//!   seed 001 used by the `qk` driver; the model's physics (operators,
//!   observables of eq. 9, semiclassical limit of eqs. 6–7) lives in the
//!   solver-independent crate [`qk_model`] and is re-exported here.
//!
//! Dense kernels run with `faer::Par::Seq`. The multifrontal LU can deal
//! independent subtrees of its elimination tree to threads
//! ([`SteadyStateOptions::threads`]); every front is summed in the same
//! order, so results are bit-identical whatever the number of threads or
//! ranks.
//!
//! # Example
//!
//! ```
//! use qk_lindblad::{LmgParams, LmgSolver, semiclassical_fixed_point};
//!
//! let mut solver = LmgSolver::new(20)?; // plan once per N
//! let p = LmgParams { n: 20, h: 0.5, lambda: 1.0, gamma_a: 0.01, gamma_b: 0.2 };
//! let obs = solver.solve(&p)?;
//! assert!(obs.residual < 1e-12);
//! assert!((obs.trace - 1.0).abs() < 1e-10);
//! assert!(obs.min_eigenvalue > -1e-10);
//! // inside the ordered phase the inversion is close to the mean-field Z = 2h/Λ
//! let [_, _, z] = semiclassical_fixed_point(p.h, p.lambda, p.gamma_b);
//! assert!((obs.jz - z).abs() < 0.2);
//! # Ok::<(), qk_lindblad::LindbladError>(())
//! ```
//!
//! # Memory model
//!
//! [`estimate_memory_bytes`] bounds the peak resident memory of
//! [`LmgSolver::new`] + [`LmgSolver::solve`]; see its documentation for the
//! calibration.

#![deny(missing_docs)]

pub mod dense;
mod error;
pub mod graph_ordering;
pub mod krylov;
pub mod liouvillian;
pub mod lmg;
pub mod multifrontal;
pub mod ordering;
pub mod parametric;
pub mod scalar;
pub mod spectra;
pub mod steady;

pub use dense::{liouvillian_dense, steady_state_dense, DenseSteadyState};
pub use error::LindbladError;
pub use liouvillian::{liouvillian, BlockLiouvillian};
pub use lmg::{
    concurrence_from_moments, concurrence_phi, critical_fields, estimate_memory_bytes,
    estimate_memory_bytes_for, lmg_collapse_ops, lmg_hamiltonian, lmg_parity,
    semiclassical_fixed_point, spin_moments, spin_operators, LmgObservables, LmgOrdering,
    LmgParams, LmgSolver, SpinMoments, SpinOperators,
};
pub use multifrontal::{PivotReport, Pivoting};
pub use parametric::{ParametricSolver, ParametricSteadyState};
pub use steady::{
    steady_state, Arithmetic, ColumnOrdering, FactorStats, Quality, SolveMethod, SteadyState,
    SteadyStateOptions, SteadyStatePlan,
};

/// Re-exported so callers can name the complex type without a direct
/// dependency.
pub use num_complex::Complex64;
