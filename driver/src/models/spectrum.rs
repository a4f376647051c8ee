//! `qk spectrum`: correlation spectra and linear response of the dissipative
//! LMG model (seed 001, PHYSICS.md §4–5) by quantum regression, one steady
//! state per grid point, the frequencies a trailing axis; the steady-state
//! plan and the shifted block's ordering and symbolic analysis are built
//! once per N on each rank and reused by its later points of that N.
//!
//! ```text
//! S_AB(ω) = 2 Re ∫₀^∞ ⟨A(τ)B(0)⟩_c e^{−iωτ} dτ = −2 Re Tr[A Q (L − iω)⁻¹ Q B ρ_ss]
//! ```
//!
//! (QuTiP 5's `spectrum` convention and normalization); `--kind` also
//! gives the symmetrized spectrum C₊₊, the commutator spectrum C₊₋ and the
//! Kubo response χ_AB (definitions in `qk_lindblad::spectra`). `A`, `B` ∈
//! {jx, jy, jz, jp = J+, jm = J−}; only the parity block `B ρ_ss` lives in
//! is factorized (the odd one for jx, jy, jp, jm). Axes as `qk lmg`, plus
//! `omega` (trailing, `--omega`). Energies, rates and ω in one unit (ħ = 1).
//!
//! `--method krylov` (default): shift-invert Arnoldi, a few factorizations
//! for the whole grid, every frequency's true backward error checked (left
//! overs solved directly); `--method direct`: one factorization per
//! frequency. A frequency whose solve fails (a pole: the shift is an
//! eigenvalue to working precision, or a backward error above 1e-10) fails
//! the point with the frequency named; `backward_error` and
//! `amplification` (a lower bound of the condition number of `L − iω`) are
//! written per frequency.
//!
//! `qk spectrum --model FILE.h5` computes the same spectra for any Lindblad
//! model brought as a model file, A and B named observables of the file
//! ([`from_file`]); the LMG flags are then not accepted (the file's
//! parameters are the flags).

pub mod from_file;

use crate::error::{DriverError, PointError};
use crate::grid::{AxisValues, Grid, RealGrid};
use crate::model_cli;
use crate::model::{
    enum_option, spelled, ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record,
    Task, Worker,
};
use crate::models::lmg::LmgPointArgs;
use crate::sysinfo::Threads;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches, ValueEnum};
use qk_lindblad::spectra::correlation::{CorrelationPlan, SpectrumValues};
use qk_lindblad::LindbladError;
use std::path::PathBuf;
use qk_lindblad::lmg::LmgParams;
use qk_lindblad::spectra::krylov::{sweep, KrylovOptions};
use qk_lindblad::spectra::lmg::{lmg_correlation_plan_reusing, LmgOperator};
use qk_lindblad::spectra::{ShiftedBlock, SpectrumKind};
use qk_lindblad::{Arithmetic, LmgOrdering, LmgSolver, SolveMethod, SteadyStateOptions};

// The flags of `qk spectrum` in both forms (no doc comment: it would become
// the subcommand's help line).
#[derive(Args, Debug, Clone)]
pub struct SpectrumCommon {
    /// A model file (docs/model_format.md; scripts/qk_model.py writes it from
    /// QuTiP) instead of the LMG model: its parameters become flags --NAME GRID,
    /// --a and --b name its observables, the LMG flags are not accepted.
    #[arg(long = "model", value_name = "FILE.h5")]
    pub model: Option<PathBuf>,
    /// Frequencies ω (grid; the trailing axis of every spectrum), in the units of
    /// the model's energies (λ for LMG).
    #[arg(long = "omega", value_name = "GRID", allow_hyphen_values = true)]
    pub omega: RealGrid,
    /// What to compute: spectrum (S_AB, QuTiP's convention), symmetrized (C₊₊),
    /// commutator (C₊₋) or response (Kubo χ_AB; re/im = χ'/χ'').
    #[arg(long = "kind", value_name = "KIND", value_enum, default_value_t = KindArg::Spectrum)]
    pub kind: KindArg,
    /// Frequency sweep: krylov (shift-invert Arnoldi, a few factorizations, every
    /// frequency's residual checked) or direct (one factorization per frequency).
    #[arg(long = "method", value_name = "METHOD", value_enum, default_value_t = SpectrumMethod::Krylov)]
    pub method: SpectrumMethod,
    /// Threads per rank of the nd factorizations (bit-identical results for any count):
    /// a number ≥ 1, or auto.
    #[arg(long = "threads", value_name = "T", default_value = "auto")]
    pub threads: Threads,
}

// `qk spectrum` of the LMG model (no `--model`; no doc comment: it would
// become the subcommand's help line).
#[derive(Args, Debug)]
pub struct LmgSpectrumArgs {
    #[command(flatten)]
    pub point: LmgPointArgs,
    /// Operator A of ⟨A(τ)B(0)⟩: jx, jy, jz, jp (J+) or jm (J−).
    #[arg(long = "a", value_name = "OP", value_enum, default_value_t = OperatorArg::Jp)]
    pub a: OperatorArg,
    /// Operator B of ⟨A(τ)B(0)⟩: jx, jy, jz, jp (J+) or jm (J−).
    #[arg(long = "b", value_name = "OP", value_enum, default_value_t = OperatorArg::Jm)]
    pub b: OperatorArg,
    #[command(flatten)]
    pub common: SpectrumCommon,
}

/// The arguments of `qk spectrum`: the LMG model, or a model file when the
/// command line names one with `--model` (its parameter flags are known only
/// then, as for `qk steady --model`).
#[derive(Debug)]
pub enum SpectrumArgs {
    Lmg(LmgSpectrumArgs),
    File(from_file::FileSpectrumArgs),
}

const ABOUT: &str = "Correlation spectra and linear response of the dissipative LMG model, or of \
any Lindblad model from a model file (--model), by quantum regression";

/// The flags of the LMG form, refused with `--model` (unless the file has
/// a parameter of that name).
const LMG_FLAGS: [&str; 5] = ["n", "h", "lambda", "gamma-a", "gamma-b"];

impl Args for SpectrumArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = match model_cli::command_line_model("spectrum") {
            Some(_) => {
                let cmd = from_file::FileSpectrumArgs::augment_args(cmd);
                model_cli::refuse_flag_clashes(&cmd, "spectrum");
                let mut cmd = model_cli::add_parameter_flags(cmd, "spectrum");
                for flag in LMG_FLAGS {
                    if cmd.get_arguments().all(|a| a.get_long() != Some(flag)) {
                        cmd = cmd.arg(
                            Arg::new(format!("lmg:{flag}"))
                                .long(flag)
                                .hide(true)
                                .allow_hyphen_values(true)
                                .value_parser(|_: &str| -> Result<String, String> {
                                    Err("an LMG flag: with --model the parameters are the model file's flags".into())
                                }),
                        );
                    }
                }
                cmd
            }
            None => LmgSpectrumArgs::augment_args(cmd),
        };
        cmd.about(ABOUT)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SpectrumArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(match model_cli::command_line_model("spectrum") {
            Some(_) => {
                let mut a = from_file::FileSpectrumArgs::from_arg_matches(m)?;
                a.grids = model_cli::parameter_grids(m, "spectrum");
                Self::File(a)
            }
            None => Self::Lmg(LmgSpectrumArgs::from_arg_matches(m)?),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// `--a`, `--b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OperatorArg {
    Jx,
    Jy,
    Jz,
    Jp,
    Jm,
}

impl From<OperatorArg> for LmgOperator {
    fn from(o: OperatorArg) -> Self {
        match o {
            OperatorArg::Jx => LmgOperator::Jx,
            OperatorArg::Jy => LmgOperator::Jy,
            OperatorArg::Jz => LmgOperator::Jz,
            OperatorArg::Jp => LmgOperator::Jp,
            OperatorArg::Jm => LmgOperator::Jm,
        }
    }
}

/// `--kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Spectrum,
    Symmetrized,
    Commutator,
    Response,
}

impl From<KindArg> for SpectrumKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Spectrum => SpectrumKind::Spectrum,
            KindArg::Symmetrized => SpectrumKind::Symmetrized,
            KindArg::Commutator => SpectrumKind::Commutator,
            KindArg::Response => SpectrumKind::Response,
        }
    }
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SpectrumMethod {
    Krylov,
    Direct,
}

impl ModelArgs for SpectrumArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        let a = match self {
            Self::Lmg(a) => a,
            Self::File(a) => return from_file::FileSpectrumModel::build(a),
        };
        Ok(Box::new(SpectrumModel {
            grid: Grid::new(a.point.axes()),
            omega: a.common.omega.0.clone(),
            a: a.a,
            b: a.b,
            kind: a.common.kind,
            method: a.common.method,
            threads: a.common.threads,
        }))
    }
}

pub struct SpectrumModel {
    grid: Grid,
    omega: Vec<f64>,
    a: OperatorArg,
    b: OperatorArg,
    kind: KindArg,
    method: SpectrumMethod,
    threads: Threads,
}

const SPECTRUM_OBS: [(&str, &str, &str); 4] = [
    (
        "re",
        "time × operator units²",
        "real part: S_AB, C₊₊ or C₊₋ (--kind), or χ' for --kind response",
    ),
    (
        "im",
        "time × operator units²",
        "imaginary part: 2 Im of the one-sided transform (spectra), or χ'' (response)",
    ),
    (
        "backward_error",
        "1",
        "normwise backward error of the solve behind each frequency",
    ),
    (
        "amplification",
        "1",
        "‖L−z‖‖x‖/‖b‖ per frequency (lower bound of the condition number of L − z)",
    ),
];

const SCALAR_OBS: [(&str, &str); 4] = [
    (
        "factorizations",
        "factorizations of the shifted block (Krylov shifts + direct solves)",
    ),
    ("krylov_steps", "Arnoldi steps over all shifts (0 for --method direct)"),
    (
        "steady_residual",
        "relative residual of the steady state the spectrum is computed from",
    ),
    ("block_unknowns", "unknowns of the factorized parity block"),
];

/// The observables of every `qk spectrum` (over `omega`, then per point).
fn spectrum_observables() -> Vec<ObservableSpec> {
    let mut v: Vec<ObservableSpec> = SPECTRUM_OBS
        .iter()
        .map(|(n, u, d)| ObservableSpec::over(n, u, d, &["omega"]))
        .collect();
    v.extend(
        SCALAR_OBS
            .iter()
            .map(|(n, d)| ObservableSpec::scalar(n, "1", d)),
    );
    v
}

/// The trailing axis `omega` (`units` of the model's energies).
fn omega_axis(omega: &[f64], units: &str) -> ExtraAxis {
    ExtraAxis {
        name: "omega".into(),
        flag: "--omega".into(),
        values: AxisValues::Real(omega.to_vec()),
        units: units.into(),
        description: "frequency ω of the spectra (e^{−iωτ}; e^{+iωτ} for χ)".into(),
    }
}

/// The frequency sweep of `plan` by `method`: the values, the
/// factorizations and the Arnoldi steps it took.
fn run_sweep(
    plan: &mut CorrelationPlan,
    kind: KindArg,
    method: SpectrumMethod,
    omega: &[f64],
) -> Result<(SpectrumValues, usize, usize), LindbladError> {
    let kind = SpectrumKind::from(kind);
    match method {
        SpectrumMethod::Direct => plan.direct(kind, omega).map(|v| (v, omega.len(), 0)),
        SpectrumMethod::Krylov => sweep(plan, kind, omega, KrylovOptions::default())
            .map(|(v, rep)| (v, rep.shifts + rep.direct, rep.steps)),
    }
}

/// The record of one point (without its method).
fn spectrum_record(
    values: &SpectrumValues,
    factorizations: usize,
    steps: usize,
    steady_residual: f64,
    unknowns: usize,
) -> Record {
    Record::new()
        .array("re", &values.re)
        .array("im", &values.im)
        .array("backward_error", &values.backward_error)
        .array("amplification", &values.amplification)
        .scalar("factorizations", factorizations as f64)
        .scalar("krylov_steps", steps as f64)
        .scalar("steady_residual", steady_residual)
        .scalar("block_unknowns", unknowns as f64)
}

impl Model for SpectrumModel {
    fn name(&self) -> &'static str {
        "spectrum"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            enum_option("a", &self.a),
            enum_option("b", &self.b),
            enum_option("kind", &self.kind),
            enum_option("method", &self.method),
        ]
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![("threads".into(), self.threads.resolve().to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        spectrum_observables()
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![omega_axis(&self.omega, "energy (ħ = 1; the units of λ)")]
    }

    fn cost(&self, point: &[f64]) -> f64 {
        point[0].powi(3)
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let n = self.grid.axes[0].values.max_int()? as usize;
        // the steady plan (real) and the complex factor of one block (about the
        // complex steady plan), plus the Krylov basis
        let steady = qk_lindblad::lmg::estimate_memory_bytes_for(
            n,
            LmgOrdering::NestedDissection,
            Arithmetic::Real,
            SolveMethod::Direct,
        );
        let complex = qk_lindblad::lmg::estimate_memory_bytes_for(
            n,
            LmgOrdering::NestedDissection,
            Arithmetic::Complex,
            SolveMethod::Direct,
        );
        let block = ((n + 1) * (n + 1) / 2 + 1) as u64;
        let basis = match self.method {
            SpectrumMethod::Krylov => (KrylovOptions::default().max_steps as u64 + 1) * block * 16,
            SpectrumMethod::Direct => 0,
        };
        Some(MemoryEstimate {
            bytes_per_rank: steady + complex + basis,
            flag: "--n".into(),
            what: format!("N = {n} (steady plan, complex block factor, Krylov basis)"),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(SpectrumWorker {
            model: self,
            steady: None,
            block: None,
        })
    }
}

struct SpectrumWorker<'a> {
    model: &'a SpectrumModel,
    steady: Option<(usize, LmgSolver)>,
    /// The shifted block of the previous point: its ordering and symbolic
    /// analysis serve every point of the same pattern (same N).
    block: Option<ShiftedBlock>,
}

/// The LMG point of a task (axes `n, h, lambda, gamma_a, gamma_b`).
pub fn lmg_point(point: &[f64]) -> LmgParams {
    LmgParams {
        n: point[0] as usize,
        h: point[1],
        lambda: point[2],
        gamma_a: point[3],
        gamma_b: point[4],
    }
}

impl Worker for SpectrumWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let p = lmg_point(task.point);
        let threads = m.threads.resolve();
        if self.steady.as_ref().is_none_or(|(n, _)| *n != p.n) {
            self.steady = None;
            let options = SteadyStateOptions {
                threads,
                ..Default::default()
            };
            let s = LmgSolver::with_options(p.n, options)
                .map_err(|e| PointError(format!("steady-state plan: {e}")))?;
            self.steady = Some((p.n, s));
        }
        let solver = &mut self.steady.as_mut().expect("plan was just built").1;
        let (obs, state) = solver
            .solve_with_state(&p)
            .map_err(|e| PointError(format!("steady state: {e}")))?;
        let mut plan = lmg_correlation_plan_reusing(
            &p,
            state.rho.as_ref(),
            m.a.into(),
            m.b.into(),
            threads,
            self.block.take(),
        )
        .map_err(|e| PointError(format!("spectrum plan: {e}")))?;
        let unknowns = plan.block_ref().len();
        let result = run_sweep(&mut plan, m.kind, m.method, &m.omega);
        self.block = Some(plan.into_block());
        let (values, factorizations, steps) =
            result.map_err(|e| PointError(format!("spectrum: {e}")))?;
        Ok(
            spectrum_record(&values, factorizations, steps, obs.residual, unknowns)
                .method(format!("{}/nd/complex", spelled(&m.method))),
        )
    }
}
