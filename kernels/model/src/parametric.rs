//! A Lindblad model with named parameters: the form in which users bring
//! their own models and in which the built-in ones are described.
//!
//! ```text
//! H(θ) = Σ_p  f_p θ_{q(p)} H_p,        C_k(θ) = √(f_k θ_{q(k)}) · A_k,
//! ```
//!
//! every Hamiltonian term `H_p` Hermitian with a real factor `f_p` and an
//! optional parameter `θ_q` (a term without one is a constant part of `H`);
//! every collapse channel an operator `A_k` with rate `f_k θ_q ≥ 0` (QuTiP's
//! convention: the operator enters as `√rate · A`). The Liouvillian is then
//! linear in the coefficients, `L(θ) = Σ_p c_p L_H[H_p] + Σ_k r_k L_D[A_k]`,
//! so a solver can assemble each term once and form any point as a weighted
//! sum on one pattern; which coefficients are zero fixes that pattern
//! ([`ParametricModel::active_terms`]).
//!
//! Named observables are operators whose expectation values a solver
//! reports (real and imaginary parts where they are not Hermitian). An
//! optional parity is a weak Z2 symmetry ([`crate::system`]).

use crate::operator::{hermiticity_defect, parity_action, scaled, validate_operators, Operator};
use crate::system::LindbladSystem;
use crate::ModelError;

/// A named real parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Name (a flag `--name` of the driver, with `_` written `-`).
    pub name: String,
    /// Value used when the caller gives none.
    pub default: Option<f64>,
    /// One line for humans (units, meaning).
    pub description: String,
}

/// `f · θ_q · operator` (Hamiltonian) or rate `f · θ_q` (collapse channel).
#[derive(Clone, Debug)]
pub struct Term {
    /// Name of the term (for messages and metadata).
    pub name: String,
    /// Index of its parameter in [`ParametricModel::parameters`], or `None`
    /// for a constant term.
    pub parameter: Option<usize>,
    /// Real factor `f`.
    pub factor: f64,
    /// `H_p` or `A_k`.
    pub operator: Operator,
}

impl Term {
    /// `f θ_q` (or `f` for a constant term).
    pub fn coefficient(&self, values: &[f64]) -> f64 {
        self.factor * self.parameter.map_or(1.0, |q| values[q])
    }
}

/// An operator reported by expectation value.
#[derive(Clone, Debug)]
pub struct NamedOperator {
    /// Name (an HDF5 dataset name).
    pub name: String,
    /// One line for humans.
    pub description: String,
    /// The operator.
    pub operator: Operator,
}

impl NamedOperator {
    /// Whether the operator is Hermitian (to 1e-12 relative): its expectation
    /// value is then real.
    pub fn is_hermitian(&self) -> bool {
        hermiticity_defect(&self.operator) <= 1e-12
    }
}

/// A model `H(θ)`, `C_k(θ)` with named parameters, observables and an
/// optional parity, checked once at construction.
#[derive(Clone, Debug)]
pub struct ParametricModel {
    description: String,
    dim: usize,
    parameters: Vec<Parameter>,
    hamiltonian: Vec<Term>,
    collapse: Vec<Term>,
    observables: Vec<NamedOperator>,
    parity: Option<Vec<bool>>,
}

impl ParametricModel {
    /// Checks and builds a model.
    ///
    /// # Errors
    /// [`ModelError::InvalidInput`] for: no Hamiltonian term; duplicate or
    /// empty parameter names; a term naming a parameter that does not exist;
    /// a non-finite factor; operators of different or non-square dimensions;
    /// a non-Hermitian Hamiltonian term; an observable of the wrong dimension
    /// or a duplicate observable name; a parity of the wrong length or one
    /// that a term breaks (a Hamiltonian term must keep it, a collapse
    /// operator keep or flip it as a whole).
    pub fn new(
        description: impl Into<String>,
        parameters: Vec<Parameter>,
        hamiltonian: Vec<Term>,
        collapse: Vec<Term>,
        observables: Vec<NamedOperator>,
        parity: Option<Vec<bool>>,
    ) -> Result<Self, ModelError> {
        let first = hamiltonian
            .first()
            .ok_or_else(|| ModelError::new("the model has no Hamiltonian term"))?;
        let d = first.operator.rows();
        for (i, p) in parameters.iter().enumerate() {
            if p.name.is_empty() || parameters[..i].iter().any(|q| q.name == p.name) {
                return Err(ModelError::new(format!(
                    "parameter name '{}' is empty or repeated",
                    p.name
                )));
            }
            if p.default.is_some_and(|v| !v.is_finite()) {
                return Err(ModelError::new(format!(
                    "parameter '{}' has a non-finite default",
                    p.name
                )));
            }
        }
        for (kind, terms) in [
            ("Hamiltonian term", &hamiltonian),
            ("collapse operator", &collapse),
        ] {
            for t in terms.iter() {
                if t.parameter.is_some_and(|q| q >= parameters.len()) {
                    return Err(ModelError::new(format!(
                        "{kind} '{}' names parameter {} of {}",
                        t.name,
                        t.parameter.unwrap_or_default(),
                        parameters.len()
                    )));
                }
                if !t.factor.is_finite() {
                    return Err(ModelError::new(format!(
                        "{kind} '{}' has a non-finite factor",
                        t.name
                    )));
                }
                check_square(&format!("{kind} '{}'", t.name), &t.operator, d)?;
            }
        }
        for t in &hamiltonian {
            if hermiticity_defect(&t.operator) > 1e-12 {
                return Err(ModelError::new(format!(
                    "Hamiltonian term '{}' is not Hermitian (to 1e-12 relative)",
                    t.name
                )));
            }
        }
        for (i, o) in observables.iter().enumerate() {
            check_square(&format!("observable '{}'", o.name), &o.operator, d)?;
            if o.name.is_empty() || observables[..i].iter().any(|q| q.name == o.name) {
                return Err(ModelError::new(format!(
                    "observable name '{}' is empty or repeated",
                    o.name
                )));
            }
        }
        if let Some(p) = &parity {
            if p.len() != d {
                return Err(ModelError::new(format!(
                    "parity has {} entries, expected the dimension {d}",
                    p.len()
                )));
            }
            for t in &hamiltonian {
                if parity_action(&t.operator, p) != Some(false) {
                    return Err(ModelError::new(format!(
                        "Hamiltonian term '{}' does not keep the parity",
                        t.name
                    )));
                }
            }
            for t in &collapse {
                if parity_action(&t.operator, p).is_none() {
                    return Err(ModelError::new(format!(
                        "collapse operator '{}' mixes parity-keeping and parity-flipping entries",
                        t.name
                    )));
                }
            }
        }
        Ok(Self {
            description: description.into(),
            dim: d,
            parameters,
            hamiltonian,
            collapse,
            observables,
            parity,
        })
    }

    /// One line for humans.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Hilbert-space dimension `D`.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The parameters, in the order [`system`](Self::system) takes values.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }
    /// Index of the parameter called `name`.
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.name == name)
    }
    /// The Hamiltonian terms.
    pub fn hamiltonian_terms(&self) -> &[Term] {
        &self.hamiltonian
    }
    /// The collapse channels.
    pub fn collapse_terms(&self) -> &[Term] {
        &self.collapse
    }
    /// The named observables.
    pub fn observables(&self) -> &[NamedOperator] {
        &self.observables
    }
    /// The weak-Z2 parity, if any.
    pub fn parity(&self) -> Option<&[bool]> {
        self.parity.as_deref()
    }

    /// Checks `values` (one finite value per parameter; every rate `f θ ≥ 0`)
    /// and returns the Hamiltonian coefficients `c_p` and the rates `r_k`.
    ///
    /// # Errors
    /// [`ModelError::InvalidInput`] naming the parameter or channel.
    pub fn coefficients(&self, values: &[f64]) -> Result<(Vec<f64>, Vec<f64>), ModelError> {
        if values.len() != self.parameters.len() {
            return Err(ModelError::new(format!(
                "{} parameter values given, the model has {}",
                values.len(),
                self.parameters.len()
            )));
        }
        if let Some((p, v)) = self
            .parameters
            .iter()
            .zip(values)
            .find(|(_, v)| !v.is_finite())
        {
            return Err(ModelError::new(format!("{} = {v} is not finite", p.name)));
        }
        let c: Vec<f64> = self
            .hamiltonian
            .iter()
            .map(|t| t.coefficient(values))
            .collect();
        let r: Vec<f64> = self
            .collapse
            .iter()
            .map(|t| t.coefficient(values))
            .collect();
        if let Some((t, rate)) = self.collapse.iter().zip(&r).find(|(_, &x)| x < 0.0) {
            let via = t
                .parameter
                .map(|q| format!(" ({} = {})", self.parameters[q].name, values[q]))
                .unwrap_or_default();
            return Err(ModelError::new(format!(
                "collapse operator '{}' has the negative rate {rate}{via}",
                t.name
            )));
        }
        Ok((c, r))
    }

    /// Which terms have a nonzero coefficient at `values`: Hamiltonian terms,
    /// then collapse channels. Two points with the same answer have the same
    /// Liouvillian sparsity pattern.
    ///
    /// # Errors
    /// As [`coefficients`](Self::coefficients).
    pub fn active_terms(&self, values: &[f64]) -> Result<Vec<bool>, ModelError> {
        let (c, r) = self.coefficients(values)?;
        Ok(c.iter().chain(&r).map(|&x| x != 0.0).collect())
    }

    /// `H(θ)` and `C_k(θ)` at `values` (every channel kept, in order, so
    /// channel indices are stable; a zero rate gives a zero operator).
    ///
    /// # Errors
    /// As [`coefficients`](Self::coefficients).
    pub fn system(&self, values: &[f64]) -> Result<LindbladSystem, ModelError> {
        let (c, r) = self.coefficients(values)?;
        let mut h = zero_like(self.dim);
        for (t, &ci) in self.hamiltonian.iter().zip(&c) {
            if ci != 0.0 {
                h = &h + &scaled(&t.operator, ci);
            }
        }
        let c_ops = self
            .collapse
            .iter()
            .zip(&r)
            .map(|(t, &ri)| scaled(&t.operator, ri.sqrt()))
            .collect();
        LindbladSystem::new(h, c_ops, self.parity.clone())
    }
}

/// `op` is `d × d` with finite entries (and `d ≥ 1`).
fn check_square(what: &str, op: &Operator, d: usize) -> Result<(), ModelError> {
    if d == 0 || op.rows() != d || op.cols() != d {
        return Err(ModelError::new(format!(
            "{what} is {}x{}, expected {d}x{d} (a nonempty square operator)",
            op.rows(),
            op.cols()
        )));
    }
    validate_operators(&zero_like(d), std::slice::from_ref(op))
        .map(|_| ())
        .map_err(|_| ModelError::new(format!("{what} has a non-finite entry")))
}

fn zero_like(d: usize) -> Operator {
    Operator::zero((d, d)).to_csc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;
    use sprs::TriMat;

    fn op(d: usize, entries: &[(usize, usize, f64)]) -> Operator {
        let mut t = TriMat::new((d, d));
        for &(r, c, v) in entries {
            t.add_triplet(r, c, Complex64::new(v, 0.0));
        }
        t.to_csc()
    }

    fn qubit() -> Result<ParametricModel, ModelError> {
        let p = |name: &str| Parameter {
            name: name.into(),
            default: None,
            description: String::new(),
        };
        ParametricModel::new(
            "driven qubit",
            vec![p("delta"), p("omega"), p("gamma")],
            vec![
                Term {
                    name: "sz".into(),
                    parameter: Some(0),
                    factor: 0.5,
                    operator: op(2, &[(0, 0, 1.0), (1, 1, -1.0)]),
                },
                Term {
                    name: "sx".into(),
                    parameter: Some(1),
                    factor: 1.0,
                    operator: op(2, &[(0, 1, 1.0), (1, 0, 1.0)]),
                },
            ],
            vec![Term {
                name: "sm".into(),
                parameter: Some(2),
                factor: 1.0,
                operator: op(2, &[(1, 0, 1.0)]),
            }],
            vec![],
            None,
        )
    }

    #[test]
    fn system_sums_terms_and_scales_rates() {
        let m = qubit().unwrap();
        let s = m.system(&[2.0, 0.5, 4.0]).unwrap();
        let h = s.hamiltonian().to_dense();
        assert_eq!(h[[0, 0]].re, 1.0);
        assert_eq!(h[[1, 1]].re, -1.0);
        assert_eq!(h[[0, 1]].re, 0.5);
        assert_eq!(s.collapse_ops()[0].to_dense()[[1, 0]].re, 2.0);
        assert_eq!(
            m.active_terms(&[0.0, 0.5, 4.0]).unwrap(),
            vec![false, true, true]
        );
    }

    #[test]
    fn bad_values_and_models_are_refused() {
        let m = qubit().unwrap();
        let e = m.system(&[0.0, 0.0, -1.0]).unwrap_err().to_string();
        assert!(e.contains("'sm'") && e.contains("gamma = -1"), "{e}");
        assert!(m.system(&[0.0, 0.0]).is_err());
        assert!(m.system(&[f64::NAN, 0.0, 1.0]).is_err());
        let bad = ParametricModel::new(
            "x",
            vec![],
            vec![Term {
                name: "up".into(),
                parameter: None,
                factor: 1.0,
                operator: op(2, &[(0, 1, 1.0)]),
            }],
            vec![],
            vec![],
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(bad.contains("'up'") && bad.contains("Hermitian"), "{bad}");
        let broken = ParametricModel::new(
            "x",
            vec![],
            vec![Term {
                name: "sx".into(),
                parameter: None,
                factor: 1.0,
                operator: op(2, &[(0, 1, 1.0), (1, 0, 1.0)]),
            }],
            vec![],
            vec![],
            Some(vec![false, true]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            broken.contains("'sx'") && broken.contains("parity"),
            "{broken}"
        );
    }
}
