//! The spectra and slow modes of the dissipative LMG model (seed 001):
//! its operators by name, the geometric ordering of either parity block,
//! the plans the `qk spectrum` / `qk gap` workers use.
//!
//! Both blocks of `L` are 9-point stencils on the lattice `(u, v) =
//! ((k + l)/2, (k − l)/2)` of `ρ_kl` ([`crate::lmg::lmg_lattice_coords`]:
//! in the odd block `k + l` is odd and the floor keeps neighbours at
//! Chebyshev distance ≤ 1), so the complex multifrontal LU runs on the
//! geometric nested-dissection tree of either block.

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
    let sys = p.system()?;
    let (am, bm) = (lmg_operator(p.n, a)?, lmg_operator(p.n, b)?);
    CorrelationPlan::new(
        sys.hamiltonian(),
        sys.collapse_ops(),
        sys.parity(),
        rho,
        &am,
        &bm,
        lmg_block_ordering(p.n),
        threads,
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
    let sys = p.system()?;
    let lb =
        BlockLiouvillian::assemble_block(sys.hamiltonian(), sys.collapse_ops(), sys.parity(), odd)?;
    let d = p.n + 1;
    let t: Vec<Complex64> = lb
        .vec_indices()
        .iter()
        .map(|&v| Complex64::new(if v % d == v / d { 1.0 } else { 0.0 }, 0.0))
        .collect();
    let order = lmg_block_ordering(p.n)(&lb);
    Ok((ShiftedBlock::new(&lb, &order, threads)?, t))
}
