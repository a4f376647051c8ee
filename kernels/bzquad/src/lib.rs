//! # qk-bzquad — Brillouin-zone quadrature with singular integrands
//!
//! Averages ⟨f⟩ = (2π)^(−d) ∫_{[−π,π]^d} f(q) d^dq of cubic-symmetric lattice functions
//! (d = 1, 2, 3) to a requested accuracy, with an error estimate and the number of
//! integrand evaluations, for integrands singular at Γ (and M):
//!
//! * [`lindemann`] — the phonon mean I_d(τ) = ⟨coth(s/2τ)/s⟩ of seed 003 (eq. 42),
//!   the Lindemann ratio r0/a, its Debye approximation and the stability thresholds;
//! * [`spinwave`] — linear spin-wave zero-point sums of the Heisenberg magnet (seed 004);
//! * [`cubature`] — the engines: Duffy/sub-cube tensor Gauss–Legendre and the periodic
//!   trapezoid on the irreducible wedge;
//! * [`reference`] — brute-force midpoint sums with Richardson extrapolation.
//!
//! Divergent cases (d = 1 at any T, d = 2 at T > 0) are results, not errors:
//! `diverges = true`, value NaN. Bad input is a [`BzError::InvalidInput`]; nothing here
//! panics on user input. No MPI, HDF5 or CLI: the `qk` driver wraps these functions.
//!
//! ```
//! use qk_bzquad::{lindemann_mean, lindemann_ratio, spin_wave, Lattice, WATSON};
//!
//! // I_3(τ) at τ = T/Ω = 0.5 to 1e-10, and its high-temperature asymptote 4Wτ.
//! let q = lindemann_mean(3, 0.5, 1e-10).unwrap();
//! assert!((q.value - 1.315591840308690).abs() < 1e-9);
//! assert!(q.error < 1e-9 && !q.diverges);
//! let hot = lindemann_mean(3, 50.0, 1e-10).unwrap();
//! assert!((hot.value / (4.0 * WATSON * 50.0) - 1.0).abs() < 1e-3);
//!
//! // A 2D crystal at T > 0 has no finite r0: flagged, not a number.
//! let p = lindemann_ratio(2, 0.3, 0.01, 1e-10).unwrap();
//! assert!(p.mean.diverges && p.ratio.is_nan() && !p.stable);
//!
//! // Square-lattice antiferromagnet: zero-point reduction of the sublattice moment.
//! let sw = spin_wave(Lattice::Square, 1e-10).unwrap();
//! assert!((sw.delta_s - 0.196602).abs() < 1e-6);
//! ```

pub mod cubature;
pub mod gauss;
pub mod lindemann;
pub mod reference;
pub mod spinwave;

pub use lindemann::{
    debye_integral, debye_temperature_over_omega, lindemann_diverges, lindemann_mean,
    lindemann_mean_with, lindemann_ratio, stability_boundary, thresholds, LindemannPoint, Method,
    Options, Regime, Threshold, WATSON,
};
pub use spinwave::{afm_energy_per_site, spin_wave, Lattice, SpinWave};

/// Result of one BZ average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quadrature {
    /// The average ⟨f⟩_BZ; NaN when `diverges`.
    pub value: f64,
    /// Absolute error estimate (difference of the last two refinement levels); NaN when
    /// `diverges`.
    pub error: f64,
    /// Integrand evaluations spent (0 for a divergent case, which is decided analytically).
    pub evaluations: u64,
    /// The integral is infinite.
    pub diverges: bool,
}

/// Errors of this crate: invalid input versus numerical failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BzError {
    /// A parameter is out of range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidInput {
        /// Parameter name.
        name: &'static str,
        /// The offending value, as text.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// The finest refinement level did not reach the tolerance.
    #[error("quadrature did not converge: value {value}, error estimate {error} after {evaluations} evaluations")]
    NotConverged {
        /// Best value.
        value: f64,
        /// Its error estimate.
        error: f64,
        /// Evaluations spent.
        evaluations: u64,
    },
}

pub(crate) fn validate_dim(dim: u32) -> Result<(), BzError> {
    if (1..=3).contains(&dim) {
        Ok(())
    } else {
        Err(BzError::InvalidInput {
            name: "dim",
            value: dim.to_string(),
            reason: "the dimension must be 1, 2 or 3",
        })
    }
}

pub(crate) fn validate_tol(rel_tol: f64, abs_tol: f64) -> Result<(), BzError> {
    if !(rel_tol.is_finite() && (1e-14..1.0).contains(&rel_tol)) {
        return Err(BzError::InvalidInput {
            name: "rel_tol",
            value: rel_tol.to_string(),
            reason: "the relative tolerance must lie in [1e-14, 1)",
        });
    }
    if !(abs_tol.is_finite() && abs_tol >= 0.0) {
        return Err(BzError::InvalidInput {
            name: "abs_tol",
            value: abs_tol.to_string(),
            reason: "the absolute tolerance must be finite and >= 0",
        });
    }
    Ok(())
}
