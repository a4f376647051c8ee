//! # qk-model
//!
//! The physics of the Lindblad models, apart from any solver: what the
//! steady-state solver, the spectra and the quantum-jump ensembles take as
//! input, written once.
//!
//! - [`operator`]: sparse operators (`sprs`, `Complex64`) and their checks
//!   (square, finite, Hermitian, weak-Z2 parity action);
//! - [`system`]: [`LindbladSystem`], `H` and collapse operators `C_k` at one
//!   point, in QuTiP's convention `dρ/dt = −i[H, ρ] + Σ_k (C_k ρ C_k† − ½{C_k†C_k, ρ})`;
//! - [`parametric`]: [`ParametricModel`], `H(θ) = Σ_p f_p θ_p H_p` and
//!   channels of rate `f_k θ_k ≥ 0` with named parameters, observables and an
//!   optional parity (the form of models users bring, and of the built-in ones);
//! - [`lmg`]: the dissipative Lipkin–Meshkov–Glick model of seed 001 (spin
//!   operators, observables, concurrence, semiclassical limit).
//!
//! # Example
//!
//! ```
//! use qk_model::lmg::{parametric_model, LmgParams};
//!
//! let model = parametric_model(10)?;
//! let p = LmgParams { n: 10, h: 0.5, lambda: 1.0, gamma_a: 0.01, gamma_b: 0.2 };
//! let system = model.system(&[p.h, p.lambda, p.gamma_a, p.gamma_b])?;
//! assert_eq!(system.dim(), 11);
//! assert_eq!(system.collapse_ops().len(), 2);
//! assert_eq!(system.parity(), p.system()?.parity());
//! # Ok::<(), qk_model::ModelError>(())
//! ```

#![deny(missing_docs)]

mod error;
pub mod lmg;
pub mod operator;
pub mod parametric;
pub mod system;

pub use error::ModelError;
pub use operator::Operator;
pub use parametric::{NamedOperator, Parameter, ParametricModel, Term};
pub use system::LindbladSystem;

/// Re-exported so callers can name the complex type without a direct
/// dependency.
pub use num_complex::Complex64;
