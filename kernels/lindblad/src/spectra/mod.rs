//! Correlation spectra, linear response and slow modes of a Lindblad
//! generator, by linear solves with `L − z` (quantum regression).
//!
//! # Equations and conventions
//!
//! For a Lindblad generator `L` (column-stacked `vec ρ`, QuTiP's convention,
//! [`crate::liouvillian`](mod@crate::liouvillian)) with unique steady state
//! `ρ_ss`, the quantum regression theorem gives, for `τ ≥ 0`,
//! `⟨A(τ) B(0)⟩ = Tr[A e^{Lτ}(B ρ_ss)]`, `⟨B(0) A(τ)⟩ = Tr[A e^{Lτ}(ρ_ss B)]`.
//! With `(L − z)⁻¹ = −∫₀^∞ e^{(L−z)τ} dτ` (`Re z ≥ 0`, `z` off the spectrum)
//! every one-sided transform is the resolvent functional
//!
//! ```text
//! F(z; X) = Tr[A Q (L − z)⁻¹ Q X],   Q X = X − ρ_ss Tr X,
//! ```
//!
//! the projector `Q` removing the steady-state part `⟨A⟩⟨B⟩` (QuTiP's `Q`).
//! The kinds ([`SpectrumKind`]), each a real and an imaginary part per `ω`:
//!
//! | kind | `X` | `z` | value |
//! |---|---|---|---|
//! | `spectrum` | `B ρ` | `iω` | `S_AB(ω) = −2 F = 2 ∫₀^∞ ⟨A(τ)B(0)⟩_c e^{−iωτ} dτ` |
//! | `symmetrized` | `½{B, ρ}` | `iω` | `C₊₊(ω) = 2 ∫₀^∞ ½⟨{A(τ), B(0)}⟩_c e^{−iωτ} dτ` |
//! | `commutator` | `[ρ, B]` | `iω` | `C₊₋(ω) = 2 ∫₀^∞ ⟨[B(0), A(τ)]⟩ e^{−iωτ} dτ` |
//! | `response` | `[B, ρ]` | `−iω` | `χ_AB(ω) = i ∫₀^∞ ⟨[A(τ), B(0)]⟩ e^{iωτ} dτ = −i F` |
//!
//! `re` of `spectrum` is exactly QuTiP 5's `spectrum(H, wlist, c_ops, A, B)`
//! (`−2 Re Tr[A Q (L − iω)⁻¹ Q B ρ]`, its `solver="pi"`); for `B = A†` it is
//! the full Fourier transform `∫ ⟨A(τ)A†(0)⟩_c e^{−iωτ} dτ` (for a mode
//! rotating as `e^{−iω₀τ}` the line sits at `ω = −ω₀`: QuTiP's sign). `im`
//! of the three spectra is `−2 Im F` (the one-sided transform's imaginary
//! part). `χ_AB` is the Kubo response of `⟨A⟩` to `H' = −f(t) B`
//! (`δ⟨A⟩(ω) = χ_AB(ω) f(ω)`, `f(t) = ∫ f(ω) e^{−iωt} dω/2π`): `re`, `im`
//! are `χ'` and `χ''`. Units: `[A][B]/[L]` (time × the operators' units).
//!
//! Sum rule: `∫ S_AB dω/2π = Re(⟨AB⟩ − ⟨A⟩⟨B⟩)` (one-sided transform at
//! `τ = 0`). Fluctuation–dissipation (seed 000, PHYSICS.md §4): in thermal
//! equilibrium `⟨B A(τ)⟩` is `⟨A(τ)B⟩` shifted by `iβ`, so in this frequency
//! convention (`B = A†`) `C₊₊(ω) = ½ coth(βω/2) C₊₋(ω)`; away from
//! equilibrium `T_eff(ω) = ω / (2 arcoth(2 C₊₊/C₊₋))`.
//!
//! # Blocks
//!
//! Under a weak Z2 parity ([`crate::liouvillian`](mod@crate::liouvillian))
//! `ρ_ss` is even; `B ρ_ss` lies in the odd block when `B` flips the parity
//! (`J±`, `Jx`, `Jy` of the LMG model) and in the even block otherwise
//! (`Jz`). Only that block of `L` is factorized; if `A` does not map it back
//! onto the even block every kind vanishes identically. In the odd block `Q`
//! is the identity (no diagonal).
//!
//! # Methods
//!
//! - [`CorrelationPlan::direct`]: pattern, ordering and symbolic analysis of
//!   `L_b − z` once for all frequencies ([`ShiftedBlock`]) and once for all
//!   parameter points of the same pattern ([`CorrelationPlan::new_reusing`],
//!   [`ShiftedBlock::refill`]: same `N`, same block), one numeric
//!   factorization and solve (one refinement step) per frequency, the
//!   backward error and amplification recorded per frequency, a shift on a
//!   pole a failure ([`shifted`]).
//! - [`krylov`]: shift-invert Arnoldi on `(L_b − σ)⁻¹` from `Q X`, a few
//!   factorizations for a whole frequency grid, with an a-posteriori
//!   residual per frequency and a check of the true residual.
//! - [`slow`]: the eigenvalues of `L_b` nearest a shift (Liouvillian gap).
//! - [`reference`]: dense eigendecomposition references for tests.
//!
//! Source: PHYSICS.md §4–5; QuTiP 5 `qutip/solver/spectrum.py` (convention
//! only); seed 001 Fig. 3 (transmission, [`lmg`]); seed 000 (FDT).

pub mod arnoldi;
pub mod correlation;
pub mod krylov;
pub mod lmg;
pub mod reference;
pub mod shifted;
pub mod slow;

pub use correlation::{CorrelationPlan, SpectrumValues};
pub use shifted::{ShiftedBlock, SolveQuality};

/// Which transform of the correlations (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpectrumKind {
    /// `S_AB(ω)`, QuTiP's `spectrum`.
    Spectrum,
    /// `C₊₊(ω)`, the symmetrized (anticommutator) spectrum.
    Symmetrized,
    /// `C₊₋(ω)`, the commutator spectrum.
    Commutator,
    /// `χ_AB(ω)`, the Kubo linear response function.
    Response,
}
