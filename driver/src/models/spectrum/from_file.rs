//! `qk spectrum --model FILE.h5`: the correlation spectra and linear
//! response of [`super`] for any Lindblad model brought as a model file
//! (`docs/model_format.md`), swept over the file's parameters as
//! `qk steady --model` sweeps them ([`crate::model_cli`]).
//!
//! ```text
//! S_AB(ω) = 2 Re ∫₀^∞ ⟨A(τ)B(0)⟩_c e^{−iωτ} dτ = −2 Re Tr[A Q (L(θ) − iω)⁻¹ Q B ρ_ss(θ)]
//! ```
//!
//! (QuTiP 5's `spectrum(H, ω, c_ops, A, B)`; the other `--kind`s as in
//! [`super`]). `--a` and `--b` name observables of the file; `NAME.dag`
//! is the adjoint of observable `NAME` (QuTiP's `spectrum(H, w, c_ops,
//! a.dag(), a)` is `--a a.dag --b a`). Units are the model's (ħ = 1).
//!
//! Per point: the steady state ρ_ss(θ) by the retry chain of
//! `qk steady --model` with its default method (metis/real first;
//! [`crate::models::steady::SteadyChain`], its plan built once per pattern),
//! then the shifted block `L(θ) − z` of the block `B ρ_ss` lives in,
//! ordered by METIS nested dissection and factorized by the complex
//! multifrontal LU (ordering and symbolic analysis reused by the later
//! points of the same pattern). With a parity in the file the block is the
//! even or odd one when A and B each keep or flip it; when either mixes the
//! parity blocks the whole space is used (no parity: correct, only larger).
//! `/status/method` is e.g. `krylov/metis/complex, steady metis/real/direct`.
//!
//! Root attributes as `qk steady --model`: `model_sha256` (part of the
//! `--resume` signature with `a`, `b`, `kind`, `method`), `model_file`,
//! `model_description`.

use super::{
    omega_axis, run_sweep, spectrum_observables, spectrum_record, KindArg, SpectrumCommon,
    SpectrumMethod,
};
use crate::error::{DriverError, InputError, PointError};
use crate::grid::{Grid, RealGrid};
use crate::model::{
    enum_option, spelled, MemoryEstimate, Model, ObservableSpec, Record, Task, Worker,
};
use crate::model_cli;
use crate::model_file::ModelFile;
use crate::models::steady::{Rung, SteadyChain};
use crate::sysinfo::Threads;
use clap::Args;
use qk_lindblad::spectra::krylov::KrylovOptions;
use qk_lindblad::spectra::{CorrelationPlan, ShiftedBlock};
use qk_lindblad::{ColumnOrdering, ParametricSolver, SteadyStateOptions};
use qk_model::operator::{adjoint, parity_action, Operator};
use std::sync::Mutex;

/// The suffix of an observable's adjoint in `--a`, `--b`.
pub const ADJOINT_SUFFIX: &str = ".dag";

// `qk spectrum --model FILE.h5` (the file's parameter flags are added by
// `super::SpectrumArgs`; no doc comment: it would become the subcommand's
// help line).
#[derive(Args, Debug)]
pub struct FileSpectrumArgs {
    /// Operator A of ⟨A(τ)B(0)⟩: an observable of the model file, NAME.dag
    /// for its adjoint.
    #[arg(long = "a", value_name = "OBSERVABLE")]
    pub a: String,
    /// Operator B of ⟨A(τ)B(0)⟩: an observable of the model file, NAME.dag
    /// for its adjoint.
    #[arg(long = "b", value_name = "OBSERVABLE")]
    pub b: String,
    #[command(flatten)]
    pub common: SpectrumCommon,
    /// The grid given for each parameter of the file (in its order), if any.
    #[arg(skip)]
    pub grids: Vec<Option<RealGrid>>,
}

/// The operator `spec` names in `file` (`NAME` or `NAME.dag`).
///
/// # Errors
/// [`InputError`] naming `flag` and listing the observables.
pub fn observable(file: &ModelFile, flag: &str, spec: &str) -> Result<Operator, InputError> {
    let obs = file.model.observables();
    let find = |n: &str| obs.iter().find(|o| o.name == n).map(|o| &o.operator);
    if let Some(op) = find(spec) {
        return Ok(op.clone());
    }
    if let Some(op) = spec.strip_suffix(ADJOINT_SUFFIX).and_then(find) {
        return Ok(adjoint(op));
    }
    let names: Vec<&str> = obs.iter().map(|o| o.name.as_str()).collect();
    Err(InputError::new(
        flag,
        format!(
            "'{spec}' is not an observable of {} (one of: {}; NAME{ADJOINT_SUFFIX} for the adjoint)",
            file.path.display(),
            names.join(", ")
        ),
    ))
}

pub struct FileSpectrumModel {
    file: ModelFile,
    grid: Grid,
    omega: Vec<f64>,
    a_name: String,
    b_name: String,
    a: Operator,
    b: Operator,
    /// Whether A and B respect the file's parity (the block is then a parity block).
    use_parity: bool,
    kind: KindArg,
    method: SpectrumMethod,
    threads: Threads,
    options: SteadyStateOptions,
    /// The steady-state plan built for the memory estimate, for the first worker.
    cached: Mutex<Option<ParametricSolver>>,
}

impl FileSpectrumModel {
    /// The model of `args` (the file read once for the flags, or again).
    ///
    /// # Errors
    /// [`InputError`]s naming the flag: the file, a parameter, `--a`, `--b`.
    pub fn build(args: &FileSpectrumArgs) -> Result<Box<dyn Model>, DriverError> {
        let path = args
            .common
            .model
            .as_ref()
            .expect("the file form has --model");
        let file = model_cli::model_for("spectrum", path)?;
        let grid = Grid::new(model_cli::parameter_axes(&file, &args.grids)?);
        let a = observable(&file, "--a", &args.a)?;
        let b = observable(&file, "--b", &args.b)?;
        let use_parity = file
            .model
            .parity()
            .is_some_and(|p| parity_action(&a, p).is_some() && parity_action(&b, p).is_some());
        let c = &args.common;
        Ok(Box::new(Self {
            grid,
            omega: c.omega.0.clone(),
            a_name: args.a.clone(),
            b_name: args.b.clone(),
            a,
            b,
            use_parity,
            kind: c.kind,
            method: c.method,
            threads: c.threads,
            options: SteadyStateOptions {
                arithmetic: Rung::DEFAULT.arithmetic.into(),
                threads: c.threads.resolve(),
                ..Default::default()
            },
            cached: Mutex::new(None),
            file,
        }))
    }
}

impl Model for FileSpectrumModel {
    fn name(&self) -> &'static str {
        "spectrum"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            ("a".into(), self.a_name.clone()),
            ("b".into(), self.b_name.clone()),
            enum_option("kind", &self.kind),
            enum_option("method", &self.method),
            ("model_sha256".into(), self.file.sha256.clone()),
        ]
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![
            ("threads".into(), self.threads.resolve().to_string()),
            ("model_file".into(), self.file.path.display().to_string()),
            (
                "model_description".into(),
                self.file.model.description().to_string(),
            ),
        ]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        spectrum_observables()
    }

    fn extra_axes(&self) -> Vec<crate::model::ExtraAxis> {
        vec![omega_axis(&self.omega, "model energy units (ħ = 1)")]
    }

    /// The steady-state plan of the grid's widest pattern (built here and
    /// kept for the first worker), plus the complex factor of the shifted
    /// block (taken as twice the real steady plan: complex entries on at
    /// most as many unknowns) and the Krylov basis.
    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let point = model_cli::widest_point(&self.grid);
        let solver = ParametricSolver::new(
            &self.file.model,
            &point,
            self.options,
            Rung::DEFAULT.ordering.into(),
        )
        .ok()?;
        let steady = solver.estimate_memory_bytes();
        let d = self.file.model.dim() as u64;
        let basis = match self.method {
            SpectrumMethod::Krylov => (KrylovOptions::default().max_steps as u64 + 1) * d * d * 16,
            SpectrumMethod::Direct => 0,
        };
        let estimate = MemoryEstimate {
            bytes_per_rank: steady.saturating_mul(3).saturating_add(basis),
            flag: "--model".into(),
            what: format!(
                "{} ({} steady-state unknowns: steady plan, complex block factor, Krylov basis)",
                self.file.path.display(),
                solver.unknowns()
            ),
        };
        if let Ok(mut c) = self.cached.lock() {
            *c = Some(solver);
        }
        Some(estimate)
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        let plan = self.cached.lock().ok().and_then(|mut c| c.take());
        Box::new(FileSpectrumWorker {
            model: self,
            steady: SteadyChain::new(&self.file.model, Rung::DEFAULT, self.options, plan),
            block: None,
        })
    }
}

struct FileSpectrumWorker<'a> {
    model: &'a FileSpectrumModel,
    steady: SteadyChain<'a>,
    /// The shifted block of the previous point: its ordering and symbolic
    /// analysis serve every later point of the same pattern.
    block: Option<ShiftedBlock>,
}

impl Worker for FileSpectrumWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let point = task.point;
        let (s, _, steady_method) = self
            .steady
            .solve(point)
            .map_err(|e| PointError(format!("steady state: {}", e.0)))?;
        let sys = m
            .file
            .model
            .system(point)
            .map_err(|e| PointError(format!("model at this point: {e}")))?;
        let parity = if m.use_parity { sys.parity() } else { None };
        let mut plan = CorrelationPlan::new_reusing(
            sys.hamiltonian(),
            sys.collapse_ops(),
            parity,
            s.state.rho.as_ref(),
            &m.a,
            &m.b,
            |_| ColumnOrdering::Metis,
            m.options.threads,
            self.block.take(),
        )
        .map_err(|e| PointError(format!("spectrum plan: {e}")))?;
        let unknowns = plan.block_ref().len();
        let result = run_sweep(&mut plan, m.kind, m.method, &m.omega);
        self.block = Some(plan.into_block());
        let (values, factorizations, steps) =
            result.map_err(|e| PointError(format!("spectrum: {e}")))?;
        Ok(spectrum_record(
            &values,
            factorizations,
            steps,
            s.state.quality.residual,
            unknowns,
        )
        .method(format!(
            "{}/metis/complex, steady {steady_method}",
            spelled(&m.method)
        )))
    }
}
