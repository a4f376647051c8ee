//! A Lindblad system at one parameter point: `H`, collapse operators, parity.
//!
//! ```text
//! dρ/dt = −i[H, ρ] + Σ_k ( C_k ρ C_k† − ½ {C_k†C_k, ρ} )
//! ```
//!
//! QuTiP's convention: a channel of rate `γ` and operator `A` enters as
//! `C = √γ · A`; the seed-001 dissipator `D[A]ρ = 2AρA† − A†Aρ − ρA†A` with
//! rate `κ` is `C = √(2κ) · A`. Units are those of `H` (ħ = 1).
//!
//! The optional parity `p` (one flag per basis state, `true` = odd) is a weak
//! Z2 symmetry when `H` keeps it and every `C_k` keeps or flips it as a
//! whole; then the Liouvillian does not mix `{ρ_ij : p_i = p_j}` (the even
//! block, which holds the steady state) with the odd block.

use crate::operator::{parity_action, validate_operators, Operator};
use crate::ModelError;

/// `H`, `C_k` and an optional weak-Z2 parity, checked to be consistent.
#[derive(Clone, Debug)]
pub struct LindbladSystem {
    h: Operator,
    c_ops: Vec<Operator>,
    parity: Option<Vec<bool>>,
}

impl LindbladSystem {
    /// Checks the operators ([`validate_operators`]) and, when given, that
    /// `parity` has length `D`, that `H` keeps it and that each `C_k` keeps or
    /// flips it.
    ///
    /// # Errors
    /// [`ModelError::InvalidInput`] naming the offending operator.
    pub fn new(
        h: Operator,
        c_ops: Vec<Operator>,
        parity: Option<Vec<bool>>,
    ) -> Result<Self, ModelError> {
        let d = validate_operators(&h, &c_ops)?;
        if let Some(p) = &parity {
            check_parity(d, p, &h, &c_ops)?;
        }
        Ok(Self { h, c_ops, parity })
    }

    /// Hilbert-space dimension `D`.
    pub fn dim(&self) -> usize {
        self.h.rows()
    }
    /// The Hamiltonian.
    pub fn hamiltonian(&self) -> &Operator {
        &self.h
    }
    /// The collapse operators `C_k` (rates included).
    pub fn collapse_ops(&self) -> &[Operator] {
        &self.c_ops
    }
    /// The weak-Z2 parity, if the model has one.
    pub fn parity(&self) -> Option<&[bool]> {
        self.parity.as_deref()
    }
    /// `(H, C_k, parity)`.
    pub fn into_parts(self) -> (Operator, Vec<Operator>, Option<Vec<bool>>) {
        (self.h, self.c_ops, self.parity)
    }
}

/// `parity` has length `d`, `h` keeps it, each `c_ops[k]` keeps or flips it.
pub(crate) fn check_parity(
    d: usize,
    parity: &[bool],
    h: &Operator,
    c_ops: &[Operator],
) -> Result<(), ModelError> {
    if parity.len() != d {
        return Err(ModelError::new(format!(
            "parity has {} entries, expected the dimension {d}",
            parity.len()
        )));
    }
    if parity_action(h, parity) != Some(false) {
        return Err(ModelError::new(
            "the Hamiltonian does not keep the parity (not a weak symmetry)",
        ));
    }
    for (k, c) in c_ops.iter().enumerate() {
        if parity_action(c, parity).is_none() {
            return Err(ModelError::new(format!(
                "collapse operator {k} mixes parity-keeping and parity-flipping entries"
            )));
        }
    }
    Ok(())
}
