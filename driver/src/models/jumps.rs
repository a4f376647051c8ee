//! `qk jumps`: quantum-jump (Monte Carlo wave-function) ensembles of the
//! dissipative LMG model (PHYSICS.md §1, seed 001), one [`JumpRun`] per grid
//! point (`qk-trajectories`: its module docs state the integrator, jump-time
//! root finding, random streams and reduction order). The kernel takes any
//! [`qk_model::LindbladSystem`]; this file supplies the LMG one, the flags
//! of the ensemble shared with `qk jumps --model FILE.h5`
//! ([`super::jumps_file`], any model file), and chooses between the two: a
//! command line naming `--model` gets the model file's flags, any other the
//! LMG flags.
//!
//! Axes (LMG): `n`, `h`, `lambda`, `gamma_a`, `gamma_b` (as `qk lmg`). Results over
//! the output times `/grid/time` = `0, dt, …, t_end` (`--times` values): `jz`,
//! `jx2`, `jy2`, `jz2` (`⟨Jz⟩/j`, `⟨Jx²⟩/j²`, …) with standard errors `*_err`,
//! and `jumps` ± `jumps_err`, the mean cumulative number of jumps.

use super::kicked::at_least_one;
use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec, RanksPerTask,
    Record, Task, Worker,
};
use super::jumps_file::{FileJumpsArgs, FileJumpsModel};
use crate::model_cli;
use clap::{ArgMatches, Args, Command, FromArgMatches, ValueEnum};
use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
use qk_model::{Complex64, LindbladSystem};
use qk_trajectories::jumps::{JumpPlan, JumpRun};

/// Largest N (dense propagators of dimension N+1).
pub const MAX_N: i64 = 2000;

/// Quantum-jump trajectory ensembles of the dissipative LMG model or of any model file (--model; Monte Carlo, MPI-distributed).
#[derive(Args, Debug)]
pub struct LmgJumpsArgs {
    /// Model file (docs/model_format.md) instead of the LMG model: its
    /// parameters become flags --NAME GRID (see qk jumps --model FILE.h5 --help).
    #[arg(long = "model", value_name = "FILE.h5")]
    pub model: Option<std::path::PathBuf>,
    /// Number of spins N (grid of whole numbers in 1..=2000).
    #[arg(long = "n", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::ints_in::<1, MAX_N>)]
    pub n: IntGrid,
    /// Field h (grid), in the units of λ.
    #[arg(long = "h", value_name = "GRID", allow_hyphen_values = true)]
    pub h: RealGrid,
    /// Spin-spin coupling λ > 0 (grid).
    #[arg(long = "lambda", value_name = "GRID", default_value = "1", allow_hyphen_values = true, value_parser = grid::positive)]
    pub lambda: RealGrid,
    /// Rate Γa ≥ 0 of (Γa/N) D[2Jx] (grid).
    #[arg(long = "gamma-a", value_name = "GRID", default_value = "0.01", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub gamma_a: RealGrid,
    /// Rate Γb ≥ 0 of (Γb/N) D[J+] (grid).
    #[arg(long = "gamma-b", value_name = "GRID", default_value = "0.2", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub gamma_b: RealGrid,
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Initial Dicke state: up (m = +j) or down (m = −j).
    #[arg(long = "initial", value_name = "STATE", value_enum, default_value_t = InitialArg::Down)]
    pub initial: InitialArg,
    #[command(flatten)]
    pub run: RunArgs,
}

// The flags of the ensemble before --initial (no doc comment: it would become the subcommand's help line).
#[derive(Args, Debug, Clone)]
pub struct EnsembleArgs {
    /// Trajectories per grid point, ≥ 1.
    #[arg(long = "trajectories", value_name = "T", allow_hyphen_values = true)]
    pub trajectories: i64,
    /// Final time > 0.
    #[arg(long = "t-end", value_name = "T_END", allow_hyphen_values = true)]
    pub t_end: f64,
    /// Number of output times 0, …, t_end (evenly spaced), ≥ 2.
    #[arg(long = "times", value_name = "COUNT", allow_hyphen_values = true)]
    pub times: i64,
}

// The flags of the ensemble after --initial (no doc comment, as above).
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Run seed of the random streams (recorded; the same seed reproduces the ensemble).
    #[arg(long = "seed", value_name = "S", default_value_t = qk_trajectories::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// MPI ranks that share one point's trajectories: a divisor of the rank count, or
    /// `auto` (every rank for a single point, one rank per point for a sweep of many;
    /// results are bit-identical for any choice).
    #[arg(long = "ranks-per-task", value_name = "R|auto", default_value = "auto", allow_hyphen_values = true, value_parser = RanksPerTask::parse)]
    pub ranks_per_task: RanksPerTask,
}

/// The arguments of `qk jumps`: the LMG flags, or a model file's.
#[derive(Debug)]
pub enum JumpsArgs {
    Lmg(LmgJumpsArgs),
    File(FileJumpsArgs),
}

impl Args for JumpsArgs {
    fn augment_args(cmd: Command) -> Command {
        if model_cli::command_line_model("jumps").is_some() {
            model_cli::add_parameter_flags(FileJumpsArgs::augment_args(cmd), "jumps")
        } else {
            LmgJumpsArgs::augment_args(cmd)
        }
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for JumpsArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(if model_cli::command_line_model("jumps").is_some() {
            JumpsArgs::File(FileJumpsArgs::from_arg_matches(m)?)
        } else {
            JumpsArgs::Lmg(LmgJumpsArgs::from_arg_matches(m)?)
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// The checked flags of an ensemble (both forms of `qk jumps`).
#[derive(Clone, Copy, Debug)]
pub struct Ensemble {
    pub trajectories: u64,
    pub t_end: f64,
    pub times: usize,
    pub seed: u64,
    pub ranks_per_task: RanksPerTask,
}

impl Ensemble {
    /// Checks the flags; `results` is the number of time series per point (the record size).
    pub fn new(e: &EnsembleArgs, r: &RunArgs, results: u64) -> Result<Self, DriverError> {
        let trajectories = at_least_one("--trajectories", e.trajectories)? as u64;
        if !(e.t_end.is_finite() && e.t_end > 0.0) {
            return Err(InputError::new("--t-end", format!("{} is not allowed: must be positive", e.t_end)).into());
        }
        if e.times < 2 {
            return Err(InputError::new("--times", format!("{} is not allowed: must be at least 2 (0 and t_end)", e.times)).into());
        }
        let times = usize::try_from(e.times).map_err(|_| InputError::new("--times", "too large"))?;
        crate::limits::check_record_bytes("--times", &format!("{times} output times"), (results * times as u64).saturating_mul(8))?;
        Ok(Ensemble { trajectories, t_end: e.t_end, times, seed: r.seed, ranks_per_task: r.ranks_per_task })
    }

    /// Output spacing.
    pub fn dt(&self) -> f64 {
        self.t_end / (self.times - 1) as f64
    }

    /// `/grid/time`.
    pub fn time_axis(&self) -> ExtraAxis {
        let dt = self.dt();
        ExtraAxis {
            name: "time".into(),
            flag: "--times".into(),
            values: AxisValues::Real((0..self.times).map(|k| k as f64 * dt).collect()),
            units: "1/energy (ħ = 1)".into(),
            description: "output times 0, dt, …, t_end".into(),
        }
    }

    /// The mean cumulative number of jumps ± its error.
    pub fn jump_observables() -> [ObservableSpec; 2] {
        [
            ObservableSpec::over("jumps", "1", "mean cumulative number of jumps per trajectory", &["time"]),
            ObservableSpec::over("jumps_err", "1", "standard error of jumps", &["time"]),
        ]
    }
}

/// `--initial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitialArg {
    Up,
    Down,
}

impl ModelArgs for JumpsArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        match self {
            JumpsArgs::Lmg(a) => Ok(Box::new(JumpsModel::new(a)?)),
            JumpsArgs::File(a) => Ok(Box::new(FileJumpsModel::new(a)?)),
        }
    }
}

pub struct JumpsModel {
    grid: Grid,
    ensemble: Ensemble,
    initial: InitialArg,
}

impl JumpsModel {
    pub fn new(a: &LmgJumpsArgs) -> Result<Self, DriverError> {
        let e = "energy (ħ = 1; λ, h, Γ in one unit)";
        let axes = vec![
            Axis::int("n", "--n", &a.n, "1", "number of spins N (collective spin j = N/2)"),
            Axis::real("h", "--h", &a.h, e, "field h in H = -2h Jz - (2λ/N) Jx²"),
            Axis::real("lambda", "--lambda", &a.lambda, e, "coupling λ in H = -2h Jz - (2λ/N) Jx²"),
            Axis::real("gamma_a", "--gamma-a", &a.gamma_a, e, "rate Γa of (Γa/N) D[2Jx]"),
            Axis::real("gamma_b", "--gamma-b", &a.gamma_b, e, "rate Γb of (Γb/N) D[J+]"),
        ];
        let ensemble = Ensemble::new(&a.ensemble, &a.run, 10)?;
        Ok(JumpsModel { grid: Grid::new(axes), ensemble, initial: a.initial })
    }
}

const OBS: [(&str, &str); 4] = [
    ("jz", "⟨Jz⟩/j"),
    ("jx2", "⟨Jx²⟩/j²"),
    ("jy2", "⟨Jy²⟩/j²"),
    ("jz2", "⟨Jz²⟩/j²"),
];

impl Model for JumpsModel {
    fn name(&self) -> &'static str {
        "jumps"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let e = &self.ensemble;
        vec![
            ("trajectories".into(), e.trajectories.to_string()),
            ("t_end".into(), format!("{:?}", e.t_end)),
            ("times".into(), e.times.to_string()),
            enum_option("initial", &self.initial),
            ("seed".into(), e.seed.to_string()),
        ]
    }

    /// Results do not depend on `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ensemble.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut v = Vec::new();
        for (name, d) in OBS {
            v.push(ObservableSpec::over(name, "1", &format!("ensemble mean of {d} at each output time"), &["time"]));
            v.push(ObservableSpec::over(&format!("{name}_err"), "1", &format!("standard error of {name}"), &["time"]));
        }
        v.extend(Ensemble::jump_observables());
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![self.ensemble.time_axis()]
    }

    fn cost(&self, point: &[f64]) -> f64 {
        (point[0] + 1.0).powi(2)
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        self.ensemble.ranks_per_task
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let n = self.grid.axes[0].values.max_int()? as u64;
        let d = n + 1;
        // dyadic propagators: up to ~40 dense D×D complex matrices
        Some(MemoryEstimate {
            bytes_per_rank: 40 * d * d * 16,
            flag: "--n".into(),
            what: format!("dense propagators for N = {n}"),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(JumpsWorker { model: self })
    }
}

struct JumpsWorker<'m> {
    model: &'m JumpsModel,
}

impl Worker for JumpsWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let p = task.point;
        let lp = LmgParams { n: p[0] as usize, h: p[1], lambda: p[2], gamma_a: p[3], gamma_b: p[4] };
        let err = |e: &dyn std::error::Error| PointError::from_error(e);
        let h = lmg_hamiltonian(&lp).map_err(|e| err(&e))?;
        let c = lmg_collapse_ops(&lp).map_err(|e| err(&e))?;
        let sys = LindbladSystem::new(h, c, None).map_err(|e| err(&e))?;
        let en = &m.ensemble;
        let plan = JumpPlan::new(&sys, en.dt()).map_err(|e| err(&e))?;
        let obs = qk_trajectories::lmg::observables(lp.n).map_err(|e| err(&e))?;
        let mut init = vec![Complex64::new(0.0, 0.0); lp.n + 1];
        init[match m.initial {
            InitialArg::Up => 0,
            InitialArg::Down => lp.n,
        }] = Complex64::new(1.0, 0.0);
        let run = JumpRun { plan: &plan, initial: &init, observables: &obs, times: en.times, seed: en.seed, point: task.index as u64 };
        let r = run.run(en.trajectories, task.comm).map_err(|e| err(&e))?;
        let t = en.times;
        let mut rec = Record::new();
        for (o, (name, _)) in OBS.iter().enumerate() {
            rec = rec
                .array(*name, &r.mean[o * t..(o + 1) * t])
                .array(format!("{name}_err"), &r.err[o * t..(o + 1) * t]);
        }
        Ok(rec.array("jumps", &r.jumps).array("jumps_err", &r.jumps_err))
    }
}
