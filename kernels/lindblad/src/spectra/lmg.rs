//! The spectra and slow modes of the dissipative LMG model (seed 001):
//! its operators by name, the geometric ordering of either parity block,
//! the plans the `qk spectrum` / `qk gap` workers use.
//!
//! Both blocks of `L` are 9-point stencils on the lattice `(u, v) =
//! ((k + l)/2, (k − l)/2)` of `ρ_kl` ([`crate::lmg::lmg_lattice_coords`]:
//! in the odd block `k + l` is odd and the floor keeps neighbours at
//! Chebyshev distance ≤ 1), so the complex multifrontal LU runs on the
//! geometric nested-dissection tree of either block.
//!
//! # Probe transmission (seed 001, Fig. 3)
//!
//! The seed drives cavity mode `b` with a weak probe `ε e^{−iνt}` (rotating
//! frame, `δ_b = 0`) and eliminates `b` adiabatically (`κ_b ≫` all atomic
//! rates), which gives the collective decay `(Γb/N) D[J+]` of eq. (5) with
//! `Γb = λ_b²/κ_b`. That dissipator fixes which collective operator the mode
//! follows: with `H_int = (λ_b/√N)(b†J+ + J−b)`,
//!
//! ```text
//! ḃ = −κ_b b − i(λ_b/√N) J+ − iε e^{−iνt}  ⇒  b ≈ −(i/κ_b) [(λ_b/√N) J+ + ε e^{−iνt}],
//! ```
//!
//! so `b ∝ J+` in the `|j, m⟩` basis of PHYSICS.md §1 (the issue's `b ∝ J−`
//! is the same statement with the opposite sign of `Jz`). The probe part of
//! `b` acts on the atoms as `H' = (λ_b/√N) J− b_probe = −f(t) J−` with
//! `f = i g e^{−iνt}`, `g = λ_b ε/(√N κ_b)`; linear response gives
//! `δ⟨J+⟩ = χ_{J+J−}(ν) f` (the Kubo `χ` of [`super`], `--kind response`), and
//! the coherent output at the probe frequency normalized by the empty
//! cavity's is
//!
//! ```text
//! T(ν) = |1 + i (Γb/N) χ_{J+J−}(ν)|²       ([`transmission`]).
//! ```
//!
//! Check, normal phase (`Z = 1`, linearized): `χ_{J+J−} ≈ iN/(Γb + i(2h − ν))`,
//! so `T = Δ²/(Γb² + Δ²)`, `Δ = ν − 2h`: a dip to zero of full width `2Γb` at
//! `ν = 2h` (for `λ → 0`; with `λ` the resonance moves to `2√(h(h − λ))`),
//! the seed's "dip of width 2Γb at ν ≃ 2h". The `N → ∞` reference
//! (`scripts/plot_spectra.py`): the eigenvalues `μ` of the semiclassical
//! equations (6) linearized at the stable fixed point (7) on the sphere's
//! tangent plane, resonances at `ν = −Im μ` with half-width `−Re μ`.

use super::correlation::CorrelationPlan;
use super::shifted::ShiftedBlock;
use crate::liouvillian::BlockLiouvillian;
use crate::lmg::{lmg_lattice_coords, spin_operators, LmgParams};
use crate::steady::ColumnOrdering;
use crate::LindbladError;
use faer::MatRef;
use num_complex::Complex64;
use sprs::CsMat;

/// A collective spin operator of the LMG model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LmgOperator {
    /// `Jx`.
    Jx,
    /// `Jy`.
    Jy,
    /// `Jz`.
    Jz,
    /// `J+`.
    Jp,
    /// `J−`.
    Jm,
}

impl std::str::FromStr for LmgOperator {
    type Err = LindbladError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jx" => Ok(Self::Jx),
            "jy" => Ok(Self::Jy),
            "jz" => Ok(Self::Jz),
            "jp" => Ok(Self::Jp),
            "jm" => Ok(Self::Jm),
            _ => Err(LindbladError::InvalidInput(format!(
                "unknown operator '{s}' (jx, jy, jz, jp, jm)"
            ))),
        }
    }
}

/// The operator `op` for `n` spins.
///
/// # Errors
/// `n = 0`.
pub fn lmg_operator(n: usize, op: LmgOperator) -> Result<CsMat<Complex64>, LindbladError> {
    let s = spin_operators(n)?;
    Ok(match op {
        LmgOperator::Jx => s.jx,
        LmgOperator::Jy => s.jy,
        LmgOperator::Jz => s.jz,
        LmgOperator::Jp => s.jp,
        LmgOperator::Jm => s.jm,
    })
}

/// The geometric ordering of an LMG block.
pub fn lmg_block_ordering(n: usize) -> impl FnOnce(&BlockLiouvillian) -> ColumnOrdering {
    move |b: &BlockLiouvillian| ColumnOrdering::Geometric(lmg_lattice_coords(n, b.vec_indices()))
}

/// The correlation plan of `⟨A(τ)B(0)⟩` at `p` with steady state `rho`.
///
/// # Errors
/// As [`CorrelationPlan::new`].
pub fn lmg_correlation_plan(
    p: &LmgParams,
    rho: MatRef<'_, Complex64>,
    a: LmgOperator,
    b: LmgOperator,
    threads: usize,
) -> Result<CorrelationPlan, LindbladError> {
    lmg_correlation_plan_reusing(p, rho, a, b, threads, None)
}

/// As [`lmg_correlation_plan`], reusing the shifted block of a previous
/// point's plan when the pattern is the same (same `N`, same block;
/// [`CorrelationPlan::new_reusing`]).
///
/// # Errors
/// As [`CorrelationPlan::new`].
pub fn lmg_correlation_plan_reusing(
    p: &LmgParams,
    rho: MatRef<'_, Complex64>,
    a: LmgOperator,
    b: LmgOperator,
    threads: usize,
    cached: Option<ShiftedBlock>,
) -> Result<CorrelationPlan, LindbladError> {
    let sys = p.system()?;
    let (am, bm) = (lmg_operator(p.n, a)?, lmg_operator(p.n, b)?);
    CorrelationPlan::new_reusing(
        sys.hamiltonian(),
        sys.collapse_ops(),
        sys.parity(),
        rho,
        &am,
        &bm,
        lmg_block_ordering(p.n),
        threads,
        cached,
    )
}

/// The even or odd block of `L` at `p` with its trace functional (all
/// zero for the odd block), for [`super::slow::slow_modes`].
///
/// # Errors
/// Invalid parameters; analysis failures.
pub fn lmg_shifted_block(
    p: &LmgParams,
    odd: bool,
    threads: usize,
) -> Result<(ShiftedBlock, Vec<Complex64>), LindbladError> {
    lmg_shifted_block_reusing(p, odd, threads, None)
}

/// As [`lmg_shifted_block`], reusing `cached` (a block of a previous point)
/// when the pattern is the same ([`ShiftedBlock::reuse_or_new`]).
///
/// # Errors
/// As [`lmg_shifted_block`].
pub fn lmg_shifted_block_reusing(
    p: &LmgParams,
    odd: bool,
    threads: usize,
    cached: Option<ShiftedBlock>,
) -> Result<(ShiftedBlock, Vec<Complex64>), LindbladError> {
    let sys = p.system()?;
    let lb =
        BlockLiouvillian::assemble_block(sys.hamiltonian(), sys.collapse_ops(), sys.parity(), odd)?;
    let d = p.n + 1;
    let t: Vec<Complex64> = lb
        .vec_indices()
        .iter()
        .map(|&v| Complex64::new(if v % d == v / d { 1.0 } else { 0.0 }, 0.0))
        .collect();
    let block = ShiftedBlock::reuse_or_new(cached, &lb, lmg_block_ordering(p.n), threads)?;
    Ok((block, t))
}

/// The probe transmission `T(ν) = |1 + i (Γb/N) χ_{J+J−}(ν)|²` of seed 001
/// Fig. 3 from the Kubo response `chi` (module docs).
pub fn transmission(gamma_b: f64, n: usize, chi: Complex64) -> f64 {
    (Complex64::new(1.0, 0.0) + Complex64::new(0.0, gamma_b / n as f64) * chi).norm_sqr()
}
