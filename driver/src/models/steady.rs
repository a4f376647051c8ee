//! `qk steady --model FILE.h5`: steady states of any Lindblad model brought
//! as a model file (`docs/model_format.md`, written from QuTiP by
//! `scripts/qk_model.py`), swept over its own parameters.
//!
//! ```text
//! dρ/dt = −i[H(θ), ρ] + Σ_k (C_k ρ C_k† − ½{C_k†C_k, ρ}),  L(θ) ρ = 0,  Tr ρ = 1
//! ```
//!
//! The parameter flags come from the file: each parameter `name` is a flag
//! `--name` (`_` written `-`) taking a grid, optional when the file stores
//! a default; they are added to the subcommand when the command line names
//! the file (`qk steady --model FILE.h5 --help` lists them). Units are the
//! model's (ħ = 1).
//!
//! Each rank plans once per pattern ([`qk_lindblad::ParametricSolver`]): the
//! ordering and symbolic factorization depend only on which parameters are
//! zero, and the first plan is that of the grid's widest point (each
//! parameter at its value of largest modulus), whose pattern holds every
//! point of the grid: a sweep, through zero or not, orders and analyses
//! once and refactorizes numerically at each point. The
//! default method is METIS nested dissection with the multifrontal LU on
//! the real (Hermitian-half) system, on the even block when the file gives
//! a parity. Retry chain (as `qk lmg`): the chosen method, then
//! colamd/real, colamd/complex, and dense/complex where the block has at
//! most [`DENSE_MAX_UNKNOWNS`] unknowns; `/status/method` names the method
//! that produced the result.
//!
//! Results: per observable `O` of the file, `Re Tr(Oρ)` as `/results/<O>`
//! and, when `O` is not Hermitian, `Im Tr(Oρ)` as `/results/<O>_imag`; the
//! quality figures of `qk lmg`. Root attributes: `model_sha256` (part of the
//! `--resume` signature: another model file is refused), `model_file`,
//! `model_description`.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{Grid, RealGrid};
use crate::model::{
    enum_option, spelled, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record, Task,
    Worker,
};
use crate::model_cli;
use crate::model_file::ModelFile;
use crate::sysinfo::Threads;
use clap::{ArgMatches, Args, Command, FromArgMatches, ValueEnum};
use qk_lindblad::{
    Arithmetic, ColumnOrdering, LindbladError, ParametricSolver, ParametricSteadyState,
    SteadyStateOptions,
};
use qk_model::ParametricModel;
use std::path::PathBuf;
use std::sync::Mutex;

/// Largest block (unknowns) the dense last resort is tried on.
pub const DENSE_MAX_UNKNOWNS: usize = 2500;

// The fixed flags of `qk steady` (the parameter flags come from the file; no doc
// comment: it would become the subcommand's help line).
#[derive(Args, Debug, Clone)]
pub struct SteadyFixed {
    /// Model file (format version 1, docs/model_format.md; write it with
    /// scripts/qk_model.py). Its parameters become flags --NAME GRID.
    #[arg(long = "model", value_name = "FILE.h5")]
    pub model: PathBuf,
    /// Fill-reducing ordering / factorization: metis (nested dissection of
    /// the system's graph, multifrontal LU with threshold pivoting),
    /// colamd (faer's COLAMD + supernodal LU) or dense (dense LU, small
    /// models). A point that fails is retried with more robust methods.
    #[arg(long = "ordering", value_name = "ORDERING", value_enum, default_value_t = SteadyOrdering::Metis)]
    pub ordering: SteadyOrdering,
    /// Arithmetic: real (the Hermitian half of ρ; fast) or complex.
    #[arg(long = "arithmetic", value_name = "KIND", value_enum, default_value_t = SteadyArithmetic::Real)]
    pub arithmetic: SteadyArithmetic,
    /// Threads per rank of the metis factorization (bit-identical results
    /// for any count): a number ≥ 1, or auto.
    #[arg(long = "threads", value_name = "T", default_value = "auto")]
    pub threads: Threads,
}

/// `--ordering`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SteadyOrdering {
    Metis,
    Colamd,
    Dense,
}

impl From<SteadyOrdering> for ColumnOrdering {
    fn from(o: SteadyOrdering) -> Self {
        match o {
            SteadyOrdering::Metis => ColumnOrdering::Metis,
            SteadyOrdering::Colamd => ColumnOrdering::Colamd,
            SteadyOrdering::Dense => ColumnOrdering::Dense,
        }
    }
}

/// `--arithmetic`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SteadyArithmetic {
    Real,
    Complex,
}

impl From<SteadyArithmetic> for Arithmetic {
    fn from(a: SteadyArithmetic) -> Self {
        match a {
            SteadyArithmetic::Real => Arithmetic::Real,
            SteadyArithmetic::Complex => Arithmetic::Complex,
        }
    }
}

/// The arguments of `qk steady`: the fixed flags and the model file's parameter grids.
#[derive(Debug, Clone)]
pub struct SteadyArgs {
    pub fixed: SteadyFixed,
    /// The grid of each parameter of the file (in its order), if given.
    pub grids: Vec<Option<RealGrid>>,
}

impl Args for SteadyArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = SteadyFixed::augment_args(cmd).about(
            "Steady states of any Lindblad model from a model file (QuTiP → scripts/qk_model.py)",
        );
        model_cli::add_parameter_flags(cmd, "steady")
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SteadyArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let fixed = SteadyFixed::from_arg_matches(m)?;
        let grids = model_cli::parameter_grids(m, "steady");
        Ok(Self { fixed, grids })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl ModelArgs for SteadyArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        let file = model_cli::model_for("steady", &self.fixed.model)?;
        Ok(Box::new(SteadyModel::new(file, self)?))
    }
}

/// Quality figures written after the model's observables (those of `qk lmg`).
const QUALITY: [(&str, &str); 11] = [
    (
        "residual",
        "relative residual ‖Lρ‖ / (‖L‖ ‖ρ‖) of the steady state",
    ),
    ("trace", "Tr ρ"),
    ("hermiticity_error", "max |ρ - ρ†| / max |ρ|"),
    ("min_eigenvalue", "smallest eigenvalue of ρ (positivity)"),
    ("purity", "Tr ρ²"),
    (
        "refinement_steps",
        "iterative-refinement steps on the trace-constrained system",
    ),
    (
        "krylov_iterations",
        "GMRES iterations on the direct factor after perturbed pivots or stagnating refinement (0 otherwise)",
    ),
    (
        "delayed_pivots",
        "pivots of the multifrontal LU eliminated above their node (threshold pivoting; 0 for the other methods)",
    ),
    (
        "perturbed_pivots",
        "pivots replaced by a perturbation (static pivoting; 0 by default)",
    ),
    (
        "backward_error",
        "final normwise backward error of the trace-constrained linear system",
    ),
    (
        "fallbacks",
        "methods of the retry chain that failed (or were skipped for memory) before the one named in /status/method",
    ),
];

pub struct SteadyModel {
    file: ModelFile,
    grid: Grid,
    /// Per observable: whether it is Hermitian (no imaginary part written).
    hermitian: Vec<bool>,
    primary: Rung,
    options: SteadyStateOptions,
    threads: Threads,
    /// The plan built for the memory estimate, handed to the first worker.
    cached: Mutex<Option<ParametricSolver>>,
}

impl SteadyModel {
    pub fn new(file: ModelFile, a: &SteadyArgs) -> Result<Self, DriverError> {
        let model = &file.model;
        let axes = model_cli::parameter_axes(&file, &a.grids)?;
        let hermitian: Vec<bool> = model.observables().iter().map(|o| o.is_hermitian()).collect();
        let mut names: Vec<String> = Vec::new();
        for (o, &h) in model.observables().iter().zip(&hermitian) {
            names.push(o.name.clone());
            if !h {
                names.push(format!("{}_imag", o.name));
            }
        }
        for n in &names {
            if QUALITY.iter().any(|(q, _)| q == n) || names.iter().filter(|m| *m == n).count() > 1
            {
                return Err(InputError::new(
                    "--model",
                    format!(
                        "{}: observable name '{n}' clashes with a quality figure or another result",
                        file.path.display()
                    ),
                )
                .into());
            }
        }
        let primary = Rung {
            ordering: a.fixed.ordering,
            arithmetic: a.fixed.arithmetic,
        };
        Ok(Self {
            grid: Grid::new(axes),
            hermitian,
            primary,
            options: SteadyStateOptions {
                arithmetic: a.fixed.arithmetic.into(),
                threads: a.fixed.threads.resolve(),
                ..Default::default()
            },
            threads: a.fixed.threads,
            cached: Mutex::new(None),
            file,
        })
    }

    /// A point whose pattern is the union of the grid's: each parameter at
    /// its grid value of largest modulus.
    fn widest_point(&self) -> Vec<f64> {
        model_cli::widest_point(&self.grid)
    }
}

/// One method of the retry chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rung {
    pub ordering: SteadyOrdering,
    pub arithmetic: SteadyArithmetic,
}

impl Rung {
    /// The default method of `qk steady --model` (metis, real).
    pub const DEFAULT: Rung = Rung {
        ordering: SteadyOrdering::Metis,
        arithmetic: SteadyArithmetic::Real,
    };

    fn label(&self) -> String {
        format!(
            "{}/{}/direct",
            spelled(&self.ordering),
            spelled(&self.arithmetic)
        )
    }
}

/// The retry chain starting with `primary` for a block of `unknowns`.
fn retry_chain(primary: Rung, unknowns: usize) -> Vec<Rung> {
    let mut chain = vec![
        primary,
        Rung {
            ordering: SteadyOrdering::Colamd,
            arithmetic: SteadyArithmetic::Real,
        },
        Rung {
            ordering: SteadyOrdering::Colamd,
            arithmetic: SteadyArithmetic::Complex,
        },
    ];
    if unknowns <= DENSE_MAX_UNKNOWNS {
        chain.push(Rung {
            ordering: SteadyOrdering::Dense,
            arithmetic: SteadyArithmetic::Complex,
        });
    }
    let mut seen = Vec::new();
    chain.retain(|r| {
        let new = !seen.contains(r);
        seen.push(*r);
        new
    });
    chain
}

impl Model for SteadyModel {
    fn name(&self) -> &'static str {
        "steady"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            enum_option("ordering", &self.primary.ordering),
            enum_option("arithmetic", &self.primary.arithmetic),
            ("model_sha256".into(), self.file.sha256.clone()),
        ]
    }

    fn settings(&self) -> Vec<(String, String)> {
        let resolved = self.options.threads;
        let threads = match self.threads {
            Threads::Auto => format!("auto ({resolved})"),
            Threads::Count(_) => resolved.to_string(),
        };
        vec![
            ("threads".into(), threads),
            ("model_file".into(), self.file.path.display().to_string()),
            (
                "model_description".into(),
                self.file.model.description().to_string(),
            ),
        ]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut out = Vec::new();
        for (o, &h) in self.file.model.observables().iter().zip(&self.hermitian) {
            if h {
                out.push(ObservableSpec::scalar(&o.name, "model units", &format!("Tr(O ρ), O = {}", o.description)));
            } else {
                out.push(ObservableSpec::scalar(&o.name, "model units", &format!("Re Tr(O ρ), O = {}", o.description)));
                out.push(ObservableSpec::scalar(
                    &format!("{}_imag", o.name),
                    "model units",
                    &format!("Im Tr(O ρ), O = {}", o.description),
                ));
            }
        }
        out.extend(QUALITY.iter().map(|(n, d)| ObservableSpec::scalar(n, "1", d)));
        out
    }

    /// The plan of the widest pattern of the grid, built here (and kept for
    /// the first worker of this rank): its factor size is known exactly.
    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        // too large for a rank already without the plan: refused before the
        // assembly, which alone can outgrow the node
        let lower = ParametricSolver::memory_lower_bound(&self.file.model);
        if crate::retry::rank_memory_budget().is_some_and(|b| lower > b) {
            let d = self.file.model.dim();
            return Some(MemoryEstimate {
                bytes_per_rank: lower,
                flag: "--model".into(),
                what: format!(
                    "{} (dimension {d}: its dense {d}x{d} state alone; no plan built)",
                    self.file.path.display()
                ),
            });
        }
        let point = self.widest_point();
        let solver = ParametricSolver::new(
            &self.file.model,
            &point,
            self.options,
            self.primary.ordering.into(),
        )
        .ok()?;
        let s = solver.factor_stats();
        let estimate = MemoryEstimate {
            bytes_per_rank: solver.estimate_memory_bytes(),
            flag: "--model".into(),
            what: format!(
                "{} ({} unknowns, nnz(L+U) = {}) with --ordering {} --arithmetic {}",
                self.file.path.display(),
                s.n,
                s.nnz_lu,
                spelled(&self.primary.ordering),
                spelled(&self.primary.arithmetic)
            ),
        };
        if let Ok(mut c) = self.cached.lock() {
            *c = Some(solver);
        }
        Some(estimate)
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        let plan = self.cached.lock().ok().and_then(|mut c| c.take());
        Box::new(SteadyWorker {
            model: self,
            chain: SteadyChain::new(&self.file.model, self.primary, self.options, plan),
        })
    }
}

struct SteadyWorker<'a> {
    model: &'a SteadyModel,
    chain: SteadyChain<'a>,
}

/// The steady state of a model file at its grid points by the retry chain
/// of `qk steady --model` (module docs), keeping the plans between points:
/// the primary method's plan (rebuilt when a point has terms it does not
/// hold) and the last fallback plan used. Shared by the subcommands that
/// need the steady state of a model file (`qk spectrum --model`).
pub struct SteadyChain<'a> {
    model: &'a ParametricModel,
    primary: Rung,
    options: SteadyStateOptions,
    plan: Option<ParametricSolver>,
    fallback: Option<(Rung, ParametricSolver)>,
}

impl<'a> SteadyChain<'a> {
    /// The chain of `model` starting with `primary` (`options.arithmetic`
    /// is that of `primary`), starting from `plan` when one was built
    /// already (for the memory estimate).
    pub fn new(
        model: &'a ParametricModel,
        primary: Rung,
        options: SteadyStateOptions,
        plan: Option<ParametricSolver>,
    ) -> Self {
        Self {
            model,
            primary,
            options,
            plan,
            fallback: None,
        }
    }

    fn solve_with(
        &mut self,
        rung: Rung,
        point: &[f64],
    ) -> Result<ParametricSteadyState, LindbladError> {
        let build = |r: Rung| {
            let options = SteadyStateOptions {
                arithmetic: r.arithmetic.into(),
                ..self.options
            };
            ParametricSolver::new(self.model, point, options, r.ordering.into())
        };
        if rung == self.primary {
            if !self.plan.as_ref().is_some_and(|p| p.accepts(point)) {
                let plan = build(rung)?;
                self.fallback = None;
                self.plan = Some(plan);
            }
            return self.plan.as_mut().expect("plan was just built").solve(point);
        }
        if !self
            .fallback
            .as_ref()
            .is_some_and(|(r, p)| *r == rung && p.accepts(point))
        {
            self.fallback = None;
            self.fallback = Some((rung, build(rung)?));
        }
        self.fallback.as_mut().expect("fallback was just built").1.solve(point)
    }

    /// The steady state at `point` (the model's parameter values), the
    /// number of methods that failed before, and the label of the method
    /// that gave it.
    ///
    /// # Errors
    /// Every method of the chain failed (the reasons in one line), or the
    /// point is invalid for the model.
    pub fn solve(
        &mut self,
        point: &[f64],
    ) -> Result<(ParametricSteadyState, usize, String), PointError> {
        let (_, rates) = self
            .model
            .coefficients(point)
            .map_err(|e| PointError(e.to_string()))?;
        if self.model.dim() > 1 && rates.iter().all(|&r| r == 0.0) {
            // −i[H, ·] keeps every projector on an eigenvector of H: a
            // factorization may still return one of them (e.g. 𝟙/D)
            return Err(PointError(
                "no dissipation at this point (every collapse rate is 0): every function of H \
                 is stationary, the steady state is not unique"
                    .into(),
            ));
        }
        // the primary plan first: its size decides the chain and budget
        if !self.plan.as_ref().is_some_and(|p| p.accepts(point)) {
            self.plan = None;
            match ParametricSolver::new(self.model, point, self.options, self.primary.ordering.into()) {
                Ok(p) => self.plan = Some(p),
                Err(e @ LindbladError::InvalidInput(_)) => return Err(PointError(e.to_string())),
                Err(_) => {} // the chain reports the failure and moves on
            }
        }
        let (unknowns, primary_bytes) = self
            .plan
            .as_ref()
            .map_or((usize::MAX, 0), |p| (p.unknowns(), p.estimate_memory_bytes()));
        let chain = retry_chain(self.primary, unknowns);
        let budget = crate::retry::rank_memory_budget().map(|b| b.saturating_sub(primary_bytes));
        let (s, fallbacks, rung) = crate::retry::run_chain(
            &chain,
            Rung::label,
            budget,
            |r| estimate(r, primary_bytes, unknowns),
            |r| self.solve_with(r, point),
        )
        .map_err(PointError)?;
        Ok((s, fallbacks, rung.label()))
    }
}

/// Memory of `rung` relative to the primary plan's `primary` bytes (a rough
/// bound: the supernodal LU of COLAMD needs about three times the
/// nested-dissection factor; the dense LU stores the whole system twice).
fn estimate(rung: Rung, primary: u64, unknowns: usize) -> u64 {
    match rung.ordering {
        SteadyOrdering::Dense => {
            let s: u64 = if rung.arithmetic == SteadyArithmetic::Real { 8 } else { 16 };
            let u = unknowns as u64;
            (2 * s).saturating_mul(u.saturating_mul(u)).saturating_add(16 << 20)
        }
        _ => primary.saturating_mul(3),
    }
}

impl Worker for SteadyWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let (s, fallbacks, label) = self.chain.solve(task.point)?;
        let mut rec = Record::new();
        for ((o, &h), z) in m
            .file
            .model
            .observables()
            .iter()
            .zip(&m.hermitian)
            .zip(&s.observables)
        {
            rec = rec.scalar(o.name.clone(), z.re);
            if !h {
                rec = rec.scalar(format!("{}_imag", o.name), z.im);
            }
        }
        let q = s.state.quality;
        Ok(rec
            .scalar("residual", q.residual)
            .scalar("trace", q.trace)
            .scalar("hermiticity_error", q.hermiticity_error)
            .scalar("min_eigenvalue", q.min_eigenvalue)
            .scalar("purity", q.purity)
            .scalar("refinement_steps", q.refinement_steps as f64)
            .scalar("krylov_iterations", q.krylov_iterations as f64)
            .scalar("delayed_pivots", q.delayed_pivots as f64)
            .scalar("perturbed_pivots", q.perturbed_pivots as f64)
            .scalar("backward_error", q.backward_error)
            .scalar("fallbacks", fallbacks as f64)
            .method(label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_has_no_repeats_and_dense_only_when_small() {
        let metis = Rung {
            ordering: SteadyOrdering::Metis,
            arithmetic: SteadyArithmetic::Real,
        };
        let labels: Vec<String> = retry_chain(metis, 100).iter().map(Rung::label).collect();
        assert_eq!(
            labels,
            [
                "metis/real/direct",
                "colamd/real/direct",
                "colamd/complex/direct",
                "dense/complex/direct"
            ]
        );
        assert_eq!(retry_chain(metis, 10_000).len(), 3);
        let colamd = Rung {
            ordering: SteadyOrdering::Colamd,
            arithmetic: SteadyArithmetic::Real,
        };
        assert_eq!(retry_chain(colamd, 10_000).len(), 2);
    }
}
