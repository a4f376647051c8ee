//! `qk jumps`: quantum-jump (Monte Carlo wave-function) ensembles of the
//! dissipative LMG model (PHYSICS.md §1, seed 001), one [`JumpRun`] per grid
//! point (`qk-trajectories`: its module docs state the integrator, jump-time
//! root finding, random streams and reduction order). The kernel takes any
//! [`qk_model::LindbladSystem`]; this file supplies the LMG one.
//!
//! Axes: `n`, `h`, `lambda`, `gamma_a`, `gamma_b` (as `qk lmg`). Results over
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
use clap::{Args, ValueEnum};
use qk_model::lmg::{lmg_collapse_ops, lmg_hamiltonian, LmgParams};
use qk_model::{Complex64, LindbladSystem};
use qk_trajectories::jumps::{JumpPlan, JumpRun};

/// Largest N (dense propagators of dimension N+1).
pub const MAX_N: i64 = 2000;

/// Quantum-jump trajectory ensembles of the dissipative LMG model (Monte Carlo, MPI-distributed).
#[derive(Args, Debug)]
pub struct JumpsArgs {
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
    /// Trajectories per grid point, ≥ 1.
    #[arg(long = "trajectories", value_name = "T", allow_hyphen_values = true)]
    pub trajectories: i64,
    /// Final time > 0.
    #[arg(long = "t-end", value_name = "T_END", allow_hyphen_values = true)]
    pub t_end: f64,
    /// Number of output times 0, …, t_end (evenly spaced), ≥ 2.
    #[arg(long = "times", value_name = "COUNT", allow_hyphen_values = true)]
    pub times: i64,
    /// Initial Dicke state: up (m = +j) or down (m = −j).
    #[arg(long = "initial", value_name = "STATE", value_enum, default_value_t = InitialArg::Down)]
    pub initial: InitialArg,
    /// Run seed of the random streams (recorded; the same seed reproduces the ensemble).
    #[arg(long = "seed", value_name = "S", default_value_t = qk_trajectories::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// MPI ranks that share one point's trajectories: a divisor of the rank count, or
    /// `auto` (every rank for a single point, one rank per point for a sweep of many;
    /// results are bit-identical for any choice).
    #[arg(long = "ranks-per-task", value_name = "R|auto", default_value = "auto", allow_hyphen_values = true, value_parser = RanksPerTask::parse)]
    pub ranks_per_task: RanksPerTask,
}

/// `--initial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitialArg {
    Up,
    Down,
}

impl ModelArgs for JumpsArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(JumpsModel::new(self)?))
    }
}

pub struct JumpsModel {
    grid: Grid,
    trajectories: u64,
    t_end: f64,
    times: usize,
    initial: InitialArg,
    seed: u64,
    ranks_per_task: RanksPerTask,
}

impl JumpsModel {
    pub fn new(a: &JumpsArgs) -> Result<Self, DriverError> {
        let e = "energy (ħ = 1; λ, h, Γ in one unit)";
        let axes = vec![
            Axis::int("n", "--n", &a.n, "1", "number of spins N (collective spin j = N/2)"),
            Axis::real("h", "--h", &a.h, e, "field h in H = -2h Jz - (2λ/N) Jx²"),
            Axis::real("lambda", "--lambda", &a.lambda, e, "coupling λ in H = -2h Jz - (2λ/N) Jx²"),
            Axis::real("gamma_a", "--gamma-a", &a.gamma_a, e, "rate Γa of (Γa/N) D[2Jx]"),
            Axis::real("gamma_b", "--gamma-b", &a.gamma_b, e, "rate Γb of (Γb/N) D[J+]"),
        ];
        let trajectories = at_least_one("--trajectories", a.trajectories)? as u64;
        if !(a.t_end.is_finite() && a.t_end > 0.0) {
            return Err(InputError::new("--t-end", format!("{} is not allowed: must be positive", a.t_end)).into());
        }
        if a.times < 2 {
            return Err(InputError::new("--times", format!("{} is not allowed: must be at least 2 (0 and t_end)", a.times)).into());
        }
        let times = usize::try_from(a.times).map_err(|_| InputError::new("--times", "too large"))?;
        crate::limits::check_record_bytes("--times", &format!("{times} output times"), (10 * times as u64).saturating_mul(8))?;
        let ranks_per_task = a.ranks_per_task;
        Ok(JumpsModel {
            grid: Grid::new(axes),
            trajectories,
            t_end: a.t_end,
            times,
            initial: a.initial,
            seed: a.seed,
            ranks_per_task,
        })
    }

    fn dt(&self) -> f64 {
        self.t_end / (self.times - 1) as f64
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
        vec![
            ("trajectories".into(), self.trajectories.to_string()),
            ("t_end".into(), format!("{:?}", self.t_end)),
            ("times".into(), self.times.to_string()),
            enum_option("initial", &self.initial),
            ("seed".into(), self.seed.to_string()),
        ]
    }

    /// Results do not depend on `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut v = Vec::new();
        for (name, d) in OBS {
            v.push(ObservableSpec::over(name, "1", &format!("ensemble mean of {d} at each output time"), &["time"]));
            v.push(ObservableSpec::over(&format!("{name}_err"), "1", &format!("standard error of {name}"), &["time"]));
        }
        v.push(ObservableSpec::over("jumps", "1", "mean cumulative number of jumps per trajectory", &["time"]));
        v.push(ObservableSpec::over("jumps_err", "1", "standard error of jumps", &["time"]));
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        let dt = self.dt();
        vec![ExtraAxis {
            name: "time".into(),
            flag: "--times".into(),
            values: AxisValues::Real((0..self.times).map(|k| k as f64 * dt).collect()),
            units: "1/energy (ħ = 1)".into(),
            description: "output times 0, dt, …, t_end".into(),
        }]
    }

    fn cost(&self, point: &[f64]) -> f64 {
        (point[0] + 1.0).powi(2)
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        self.ranks_per_task
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
        let plan = JumpPlan::new(&sys, m.dt()).map_err(|e| err(&e))?;
        let obs = qk_trajectories::lmg::observables(lp.n).map_err(|e| err(&e))?;
        let mut init = vec![Complex64::new(0.0, 0.0); lp.n + 1];
        init[match m.initial {
            InitialArg::Up => 0,
            InitialArg::Down => lp.n,
        }] = Complex64::new(1.0, 0.0);
        let run = JumpRun { plan: &plan, initial: &init, observables: &obs, times: m.times, seed: m.seed, point: task.index as u64 };
        let r = run.run(m.trajectories, task.comm).map_err(|e| err(&e))?;
        let t = m.times;
        let mut rec = Record::new();
        for (o, (name, _)) in OBS.iter().enumerate() {
            rec = rec
                .array(*name, &r.mean[o * t..(o + 1) * t])
                .array(format!("{name}_err"), &r.err[o * t..(o + 1) * t]);
        }
        Ok(rec.array("jumps", &r.jumps).array("jumps_err", &r.jumps_err))
    }
}
