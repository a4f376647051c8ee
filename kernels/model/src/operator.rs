//! Sparse operators on a `D`-dimensional Hilbert space and their checks.
//!
//! Operators are `sprs` matrices of `Complex64` (`D × D`, any storage). The
//! checks here are the ones every Lindblad solver needs before it builds a
//! generator: square and equal dimensions, finite entries, a Hermitian
//! Hamiltonian, and operators that respect a weak Z2 parity of the basis.

use crate::ModelError;
use num_complex::Complex64;
use sprs::CsMat;

/// A sparse operator `D × D`.
pub type Operator = CsMat<Complex64>;

/// Largest entry modulus of `op` (0 for an empty operator).
pub fn max_modulus(op: &Operator) -> f64 {
    op.data().iter().map(|z| z.norm()).fold(0.0, f64::max)
}

/// `s · op`.
pub fn scaled(op: &Operator, s: f64) -> Operator {
    op.map(|z| z * s)
}

/// `op†` in CSC storage.
pub fn adjoint(op: &Operator) -> Operator {
    op.transpose_view().to_owned().map(|z| z.conj()).to_csc()
}

/// `max |op − op†|`, relative to `max |op|` (0 for the zero operator).
pub fn hermiticity_defect(op: &Operator) -> f64 {
    let scale = max_modulus(op);
    if scale == 0.0 {
        return 0.0;
    }
    let diff = &op.to_csc() - &adjoint(op);
    max_modulus(&diff) / scale
}

fn is_finite(op: &Operator) -> bool {
    op.data()
        .iter()
        .all(|z| z.re.is_finite() && z.im.is_finite())
}

/// Checks `h` and `c_ops` (square, equal dimension `D ≥ 1`, `D²` within
/// `usize`, finite entries, `h` Hermitian to `1e-12` relative) and returns `D`.
///
/// # Errors
/// [`ModelError::InvalidInput`] naming the first offending operator.
pub fn validate_operators(h: &Operator, c_ops: &[Operator]) -> Result<usize, ModelError> {
    let d = h.rows();
    if d == 0 {
        return Err(ModelError::new("Hamiltonian has dimension 0"));
    }
    if h.cols() != d {
        return Err(ModelError::new(format!(
            "Hamiltonian is {}x{}, not square",
            h.rows(),
            h.cols()
        )));
    }
    if d.checked_mul(d).is_none() {
        return Err(ModelError::new(format!(
            "dimension {d} too large: D² overflows usize"
        )));
    }
    for (k, c) in c_ops.iter().enumerate() {
        if c.rows() != d || c.cols() != d {
            return Err(ModelError::new(format!(
                "collapse operator {k} is {}x{}, expected {d}x{d}",
                c.rows(),
                c.cols()
            )));
        }
        if !is_finite(c) {
            return Err(ModelError::new(format!(
                "collapse operator {k} has a non-finite entry"
            )));
        }
    }
    if !is_finite(h) {
        return Err(ModelError::new("Hamiltonian has a non-finite entry"));
    }
    if hermiticity_defect(h) > 1e-12 {
        return Err(ModelError::new(
            "Hamiltonian is not Hermitian (to 1e-12 relative)",
        ));
    }
    Ok(d)
}

/// How `op` acts on a parity `p` of the basis (`true` = odd): `Some(false)`
/// if every entry above `1e-14 · max |op|` keeps the parity (`p_r = p_c`),
/// `Some(true)` if every such entry flips it, `None` if it mixes both (the
/// parity is then not a weak symmetry of a model containing `op`). The zero
/// operator keeps the parity.
///
/// # Panics
/// If `parity.len()` differs from the operator's dimension.
pub fn parity_action(op: &Operator, parity: &[bool]) -> Option<bool> {
    assert_eq!(parity.len(), op.rows(), "parity length");
    let tol = 1e-14 * max_modulus(op);
    let mut flip = None;
    for (v, (r, c)) in op.iter() {
        if v.norm() <= tol {
            continue;
        }
        let f = parity[r] ^ parity[c];
        match flip {
            None => flip = Some(f),
            Some(g) if g != f => return None,
            _ => {}
        }
    }
    Some(flip.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sprs::TriMat;

    fn op(d: usize, entries: &[(usize, usize, Complex64)]) -> Operator {
        let mut t = TriMat::new((d, d));
        for &(r, c, v) in entries {
            t.add_triplet(r, c, v);
        }
        t.to_csc()
    }

    #[test]
    fn hermiticity_and_validation() {
        let i = Complex64::new(0.0, 1.0);
        let one = Complex64::new(1.0, 0.0);
        let sy = op(2, &[(0, 1, -i), (1, 0, i)]);
        assert_eq!(hermiticity_defect(&sy), 0.0);
        let not = op(2, &[(0, 1, one)]);
        assert!(hermiticity_defect(&not) > 0.5);
        assert_eq!(
            validate_operators(&sy, std::slice::from_ref(&not)).unwrap(),
            2
        );
        let e = validate_operators(&not, &[]).unwrap_err();
        assert!(e.to_string().contains("not Hermitian"), "{e}");
        let big = op(3, &[(0, 0, one)]);
        let e = validate_operators(&sy, &[big]).unwrap_err();
        assert!(e.to_string().contains("collapse operator 0 is 3x3"), "{e}");
        let nan = op(2, &[(0, 0, Complex64::new(f64::NAN, 0.0))]);
        assert!(validate_operators(&nan, &[]).is_err());
    }

    #[test]
    fn parity_actions() {
        let one = Complex64::new(1.0, 0.0);
        let p = [false, true, false];
        let keep = op(3, &[(0, 0, one), (0, 2, one), (1, 1, one)]);
        let flip = op(3, &[(0, 1, one), (1, 2, one)]);
        let mixed = op(3, &[(0, 1, one), (0, 2, one)]);
        assert_eq!(parity_action(&keep, &p), Some(false));
        assert_eq!(parity_action(&flip, &p), Some(true));
        assert_eq!(parity_action(&mixed, &p), None);
        assert_eq!(parity_action(&op(3, &[]), &p), Some(false));
    }
}
