//! Steady states of any [`ParametricModel`] (a model file, a built-in
//! model): the plan-once-per-pattern solver behind `qk steady --model`.
//!
//! The Liouvillian is linear in the parameters. The terms of the model are
//! grouped into *components*, one per (parameter, sign of the factor) and
//! one for the constant terms:
//!
//! ```text
//! L(θ) = Σ_g w_g(θ) L_g,   L_g = L_H[Σ_{p∈g} f_p H_p] + Σ_{k∈g} L_D[√|f_k| A_k],
//! w_g(θ) = ±θ_q(g)  (1 for the constant component)
//! ```
//!
//! (`L_D[√r A] = r L_D[A]`, so a collapse channel of rate `f_k θ_q` is
//! linear in `θ_q` too). [`ParametricSolver::new`] assembles every *active*
//! component (`w_g ≠ 0`) once on the union of their patterns
//! ([`BlockLiouvillian`], the even block when the model has a parity), and
//! builds the trace-constrained system, its ordering and the symbolic
//! factorization ([`SteadyStatePlan`]). The active components fix the
//! pattern; a point whose active components are among the plan's has its
//! Liouvillian inside that pattern (the others' entries are explicit
//! zeros, which the threshold-pivoting LU handles as any small entry), so
//! [`ParametricSolver::accepts`] it: a sweep through zero (a detuning
//! `−1, 0, 1`) keeps its plan instead of ordering the system again at the
//! zero and after it. [`ParametricSolver::solve`] forms `Σ w_g L_g` on the
//! plan's pattern and refactorizes numerically only.
//!
//! The default ordering is [`ColumnOrdering::Metis`] (graph nested
//! dissection, multifrontal LU) in the real formulation on the Hermitian
//! half of ρ (every Lindblad Liouvillian preserves Hermiticity).
//! Observables are `Tr(O ρ)`, complex in general.

use crate::liouvillian::BlockLiouvillian;
use crate::steady::{
    ColumnOrdering, FactorStats, SteadyState, SteadyStateOptions, SteadyStatePlan,
};
use crate::LindbladError;
use num_complex::Complex64;
use qk_model::operator::{scaled, Operator};
use qk_model::ParametricModel;
use sprs::CsMat;

/// One component: its weight `sign · θ_parameter` (or `sign` when
/// constant) and its operators.
struct Component {
    parameter: Option<usize>,
    sign: f64,
    h: Operator,
    c_ops: Vec<Operator>,
}

impl Component {
    fn weight(&self, values: &[f64]) -> f64 {
        self.sign * self.parameter.map_or(1.0, |q| values[q])
    }
}

/// The components of `model` (module docs), in a fixed order.
fn components(model: &ParametricModel) -> Vec<Component> {
    let d = model.dim();
    let zero = || CsMat::<Complex64>::zero((d, d)).to_csc();
    let mut out: Vec<Component> = Vec::new();
    let slot = |out: &mut Vec<Component>, parameter: Option<usize>, sign: f64| -> usize {
        match out
            .iter()
            .position(|c| c.parameter == parameter && c.sign == sign)
        {
            Some(i) => i,
            None => {
                out.push(Component {
                    parameter,
                    sign,
                    h: zero(),
                    c_ops: Vec::new(),
                });
                out.len() - 1
            }
        }
    };
    for t in model.hamiltonian_terms() {
        let i = slot(&mut out, t.parameter, 1.0);
        let c = &mut out[i];
        c.h = &c.h + &scaled(&t.operator, t.factor);
    }
    for t in model.collapse_terms() {
        let sign = if t.factor < 0.0 { -1.0 } else { 1.0 };
        let i = slot(&mut out, t.parameter, sign);
        out[i]
            .c_ops
            .push(scaled(&t.operator, t.factor.abs().sqrt()));
    }
    out
}

/// A steady state of the model at one point: ρ, its quality figures and
/// the expectation values of the model's observables (in their order).
#[derive(Clone, Debug)]
pub struct ParametricSteadyState {
    /// ρ and the quality figures.
    pub state: SteadyState,
    /// `Tr(O ρ)` per observable of the model.
    pub observables: Vec<Complex64>,
}

/// The plan of a [`ParametricModel`] for one set of active components
/// (module docs).
pub struct ParametricSolver {
    model: ParametricModel,
    components: Vec<Component>,
    /// Which components the plan holds.
    active: Vec<bool>,
    /// Values of each active component on the plan's pattern.
    parts: Vec<(usize, Vec<Complex64>)>,
    plan: SteadyStatePlan,
    values: Vec<Complex64>,
}

impl std::fmt::Debug for ParametricSolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParametricSolver")
            .field("active", &self.active)
            .field("plan", &self.plan)
            .finish()
    }
}

impl ParametricSolver {
    /// The plan for the pattern of `model` at `values` (one per parameter;
    /// any point whose nonzero terms are among this point's reuses it).
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] for invalid values (as
    /// [`ParametricModel::coefficients`]) or no active component;
    /// plan failures as [`SteadyStatePlan::with_ordering`].
    pub fn new(
        model: &ParametricModel,
        values: &[f64],
        options: SteadyStateOptions,
        ordering: ColumnOrdering,
    ) -> Result<Self, LindbladError> {
        model
            .coefficients(values)
            .map_err(|e| LindbladError::InvalidInput(e.to_string()))?;
        let components = components(model);
        let active: Vec<bool> = components.iter().map(|c| c.weight(values) != 0.0).collect();
        let used: Vec<usize> = (0..components.len()).filter(|&g| active[g]).collect();
        if used.is_empty() {
            return Err(LindbladError::Singular(
                "every term of the model is zero at this point: every state is stationary".into(),
            ));
        }
        let ops: Vec<(&Operator, &[Operator])> = used
            .iter()
            .map(|&g| (&components[g].h, components[g].c_ops.as_slice()))
            .collect();
        let (pattern, parts) = BlockLiouvillian::assemble_components(&ops, model.parity(), false)?;
        let plan = SteadyStatePlan::with_ordering(&pattern, options, ordering)?;
        let values = vec![Complex64::new(0.0, 0.0); pattern.nnz()];
        Ok(Self {
            model: model.clone(),
            components,
            active,
            parts: used.into_iter().zip(parts).collect(),
            plan,
            values,
        })
    }

    /// Whether a point's Liouvillian lies in the plan's pattern: every
    /// component active at the point is active in the plan.
    pub fn accepts(&self, values: &[f64]) -> bool {
        values.len() == self.model.parameters().len()
            && self
                .components
                .iter()
                .zip(&self.active)
                .all(|(c, &a)| a || c.weight(values) == 0.0)
    }

    /// Unknowns of the solved block (complex `ρ_ij` of the even block).
    pub fn unknowns(&self) -> usize {
        self.plan.pattern().len()
    }

    /// Stored entries of the block Liouvillian.
    pub fn nnz(&self) -> usize {
        self.plan.pattern().nnz()
    }

    /// Number of components held by the plan.
    pub fn active_components(&self) -> usize {
        self.parts.len()
    }

    /// Fill and flops of the factorization.
    pub fn factor_stats(&self) -> FactorStats {
        self.plan.factor_stats()
    }

    /// Estimated peak bytes of this plan and a solve: the factors (with a
    /// quarter for delayed pivots and the frontal work), the component
    /// values and the system (24 bytes an entry per component and for the
    /// point's values, 40 for the real or complex system with its
    /// assembly map), and the dense ρ with its quality work (`6 D²`
    /// complex entries), plus 16 MiB.
    pub fn estimate_memory_bytes(&self) -> u64 {
        let s = self.factor_stats();
        let factors = 1.25 * s.nnz_lu as f64 * s.bytes_per_entry as f64;
        let block = self.nnz() as f64 * 24.0 * (self.parts.len() as f64 + 1.0);
        let system = s.nnz_a as f64 * 40.0;
        Self::memory_lower_bound(&self.model).saturating_add((factors + block + system) as u64)
    }

    /// The part of [`estimate_memory_bytes`](Self::estimate_memory_bytes)
    /// known without a plan: the dense ρ with its quality work (`6 D²`
    /// complex entries) and 16 MiB. A model whose bound exceeds the memory
    /// can be refused before anything is assembled (for a large dimension
    /// the assembly and ordering alone outgrow the node).
    pub fn memory_lower_bound(model: &ParametricModel) -> u64 {
        let d = model.dim() as f64;
        (16.0 * 1024.0 * 1024.0 + 6.0 * 16.0 * d * d) as u64
    }

    /// The steady state at `values` (which must lie in the plan's pattern,
    /// see [`accepts`](Self::accepts)).
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] for invalid values or a point
    /// outside the pattern; otherwise as [`SteadyStatePlan::solve_values`], and
    /// [`LindbladError::Numerical`] for a non-finite observable.
    pub fn solve(&mut self, values: &[f64]) -> Result<ParametricSteadyState, LindbladError> {
        self.model
            .coefficients(values)
            .map_err(|e| LindbladError::InvalidInput(e.to_string()))?;
        if !self.accepts(values) {
            return Err(LindbladError::InvalidInput(
                "the point has nonzero terms the plan does not hold: build a new plan".into(),
            ));
        }
        self.values.fill(Complex64::new(0.0, 0.0));
        for (g, part) in &self.parts {
            let w = self.components[*g].weight(values);
            for (v, p) in self.values.iter_mut().zip(part) {
                *v += p * w;
            }
        }
        let state = self.plan.solve_values(&self.values)?;
        let observables: Vec<Complex64> = self
            .model
            .observables()
            .iter()
            .map(|o| expectation(&o.operator, &state))
            .collect();
        if !observables
            .iter()
            .all(|z| z.re.is_finite() && z.im.is_finite())
        {
            return Err(LindbladError::Numerical("non-finite observable".into()));
        }
        Ok(ParametricSteadyState { state, observables })
    }
}

/// `Tr(O ρ) = Σ_ij O_ij ρ_ji`.
fn expectation(o: &Operator, s: &SteadyState) -> Complex64 {
    o.iter().map(|(v, (i, j))| v * s.rho[(j, i)]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LmgParams, LmgSolver};
    use qk_model::lmg::parametric_model;

    /// The LMG model through the generic path equals the dedicated solver,
    /// for each ordering; a zero rate reuses the plan (and agrees with a
    /// plan of its own), a rate the plan does not hold needs another.
    #[test]
    fn lmg_through_the_generic_path() {
        let n = 12;
        let model = parametric_model(n).unwrap();
        let mut lmg = LmgSolver::new(n).unwrap();
        for ordering in [
            ColumnOrdering::Metis,
            ColumnOrdering::Colamd,
            ColumnOrdering::Dense,
        ] {
            let v0 = [0.3, 1.0, 0.01, 0.2];
            let mut s =
                ParametricSolver::new(&model, &v0, SteadyStateOptions::default(), ordering.clone())
                    .unwrap();
            for h in [-0.2, 0.3, 0.8] {
                let p = LmgParams {
                    n,
                    h,
                    lambda: 1.0,
                    gamma_a: 0.01,
                    gamma_b: 0.2,
                };
                let v = [h, 1.0, 0.01, 0.2];
                let want = lmg.solve(&p).unwrap();
                let got = s.solve(&v).unwrap();
                let name = |k: usize| model.observables()[k].name.as_str();
                for (k, z) in got.observables.iter().enumerate() {
                    let w = match name(k) {
                        "jz" => want.jz,
                        "jx2" => want.jx2,
                        "jy2" => want.jy2,
                        "jz2" => want.jz2,
                        _ => continue,
                    };
                    assert!(
                        (z.re - w).abs() < 1e-11,
                        "{ordering:?} {}: {z} vs {w}",
                        name(k)
                    );
                }
            }
            let zero_rate = [0.3, 1.0, 0.0, 0.2];
            assert!(s.accepts(&zero_rate));
            let reused = s.solve(&zero_rate).unwrap();
            let mut own = ParametricSolver::new(
                &model,
                &zero_rate,
                SteadyStateOptions::default(),
                ordering.clone(),
            )
            .unwrap();
            assert!(own.nnz() <= s.nnz());
            assert!(!own.accepts(&v0));
            assert!(own.solve(&v0).is_err());
            let fresh = own.solve(&zero_rate).unwrap();
            for (a, b) in reused.observables.iter().zip(&fresh.observables) {
                assert!((a - b).norm() < 1e-11, "{ordering:?}: {a} vs {b}");
            }
            let e = s.solve(&[0.3, 1.0, -0.01, 0.2]).unwrap_err().to_string();
            assert!(e.contains("negative rate"), "{e}");
        }
    }
}
