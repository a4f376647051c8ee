//! `qk classical`: ensembles of two classical kicked particles in the well
//! (PHYSICS.md §2, seed 002 Figs. 1 and 3), one [`ClassicalRun`] per grid point
//! (`qk-trajectories`; its module docs state the model, integrator, random
//! streams and reduction order).
//!
//! Axes: `mass` (of particle 2), `eps`, `k1`, `k2`, `lambda`, `noise_width`.
//! Results: `p1_sq`, `p2_sq` and their standard errors `*_err` over the
//! observed kicks (`/grid/kick`); `d_c` ± `d_c_err` (half the least-squares
//! slope of `⟨p1²⟩` over the second half), `d_ratio` ± `d_ratio_err`
//! (`⟨p1²⟩(T)/T`); with `--histogram-at`, `histogram_p1` ± `histogram_p1_err`
//! of shape `[grid…, histogram_kick, p1_bin]` (bin centres `/grid/p1_bin`) and
//! `histogram_outside`; the quality figure `max_energy_drift` (a point above
//! `--tolerance` fails), `max_substeps`, `substeps_per_period`.
//!
//! Trajectories of a point are spread over the `--ranks-per-task` ranks that
//! compute it (`auto`: all ranks for a single point, see
//! [`RanksPerTask::resolve`]); results are bit-identical for any rank count and
//! after `--resume` (random streams keyed by the point's full-grid index).
//!
//! `--interaction continuous|kicked` (recorded option `interaction`, so a
//! `--resume` with the other value is refused): the interaction acts between
//! kicks (integrated, `--order`, `--tolerance`, `--substeps`, `--fixed-steps`
//! apply), or once per period as an impulse with the kick followed by exact
//! free flight (the classical limit of `qk kicked --interaction kicked`; the
//! integrator options are recorded but unused, `max_energy_drift` is 0 and
//! `max_substeps`, `substeps_per_period` are 1).
//!
//! `--initial uniform|ground` (recorded option `initial`): the trajectories
//! start at rest with positions uniform in `[0, π]` (PHYSICS.md) or drawn
//! from the quantum initial state's `|φ1(x)|²` ([`qk_trajectories::initial`]).

use super::kicked::{at_least_one, InteractionArg};
use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, ExtraAxis, Model, ModelArgs, ObservableSpec, RanksPerTask, Record, Task, Worker,
};
use super::two_particles::{TwoParticleArgs, DIMENSIONLESS};
use clap::{Args, ValueEnum};
use qk_trajectories::classical::{ClassicalParams, ClassicalRun, Histogram, Interaction, MeanErr};
use qk_trajectories::initial::Start;
use qk_trajectories::integrator::{IntegratorOptions, Order};
use qk_trajectories::TrajectoryError;

/// Ensembles of two classical kicked particles in an infinite well (Monte Carlo, MPI-distributed).
#[derive(Args, Debug)]
pub struct ClassicalArgs {
    /// Mass, interaction and kick strengths (`--mass --eps --k1 --k2 --lambda`).
    #[command(flatten)]
    pub particles: TwoParticleArgs,
    /// Width W ≥ 0 of the uniform kick noise δK ∈ [−W/2, W/2] on K1 (grid).
    #[arg(long = "noise-width", value_name = "GRID", default_value = "0", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub noise_width: RealGrid,
    /// Trajectories per grid point, ≥ 1.
    #[arg(long = "trajectories", value_name = "T", allow_hyphen_values = true)]
    pub trajectories: i64,
    /// Kicks (periods) per trajectory, ≥ 1.
    #[arg(long = "kicks", value_name = "K", allow_hyphen_values = true)]
    pub kicks: i64,
    /// Run seed of the random streams (recorded; the same seed reproduces the ensemble).
    #[arg(long = "seed", value_name = "S", default_value_t = qk_trajectories::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Record p1_sq, p2_sq every this many kicks (and after the last kick), ≥ 1.
    #[arg(long = "observe-every", value_name = "E", default_value_t = 1, allow_hyphen_values = true)]
    pub observe_every: i64,
    /// Kicks at which to histogram the momentum p1 (comma list), e.g. 500.
    #[arg(long = "histogram-at", value_name = "KICKS", allow_hyphen_values = true)]
    pub histogram_at: Option<IntGrid>,
    /// Histogram bins over [−P, P], ≥ 1.
    #[arg(long = "histogram-bins", value_name = "B", default_value_t = 100, allow_hyphen_values = true)]
    pub histogram_bins: i64,
    /// Histogram half-range P > 0 of p1.
    #[arg(long = "histogram-max", value_name = "P", default_value_t = 50.0, allow_hyphen_values = true)]
    pub histogram_max: f64,
    /// How the interaction acts: continuously between kicks, or once per period with the kick (then exact free flight).
    #[arg(long = "interaction", value_name = "MODE", value_enum, default_value_t = InteractionArg::Continuous)]
    pub interaction: InteractionArg,
    /// Initial positions: uniform in [0, π] (PHYSICS.md), or ground: distributed as the quantum
    /// initial state's |φ1(x)|² = (2/π) sin² x; p = 0 in both.
    #[arg(long = "initial", value_name = "START", value_enum, default_value_t = StartArg::Uniform)]
    pub initial: StartArg,
    /// Splitting scheme between kicks: yoshida4 (4th order), yoshida6 (6th order) or verlet (2nd order).
    #[arg(long = "order", value_name = "ORDER", value_enum, default_value_t = OrderArg::Yoshida4)]
    pub order: OrderArg,
    /// Largest relative energy drift per period; a point above it fails.
    #[arg(long = "tolerance", value_name = "TOL", default_value_t = 1e-8, allow_hyphen_values = true)]
    pub tolerance: f64,
    /// Substeps of the first period (and lower bound of the adaptive count), ≥ 1.
    #[arg(long = "substeps", value_name = "S", default_value_t = 8, allow_hyphen_values = true)]
    pub substeps: i64,
    /// Keep --substeps fixed (no adaptation; the point still fails above --tolerance).
    #[arg(long = "fixed-steps")]
    pub fixed_steps: bool,
    /// MPI ranks that share one point's trajectories: a divisor of the rank count, or
    /// `auto` (every rank for a single point, one rank per point for a sweep of many;
    /// results are bit-identical for any choice).
    #[arg(long = "ranks-per-task", value_name = "R|auto", default_value = "auto", allow_hyphen_values = true, value_parser = RanksPerTask::parse)]
    pub ranks_per_task: RanksPerTask,
}

/// `--order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    Verlet,
    Yoshida4,
    Yoshida6,
}

impl From<OrderArg> for Order {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Verlet => Order::Verlet,
            OrderArg::Yoshida4 => Order::Yoshida4,
            OrderArg::Yoshida6 => Order::Yoshida6,
        }
    }
}

/// `--initial` (also `qk transition --classical-initial`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StartArg {
    Uniform,
    Ground,
}

impl From<StartArg> for Start {
    fn from(s: StartArg) -> Self {
        match s {
            StartArg::Uniform => Start::Uniform,
            StartArg::Ground => Start::Ground,
        }
    }
}

impl ModelArgs for ClassicalArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(ClassicalModel::new(self)?))
    }
}

pub struct ClassicalModel {
    grid: Grid,
    run: ClassicalRun,
    trajectories: u64,
    observe_every: usize,
    order: OrderArg,
    interaction: InteractionArg,
    initial: StartArg,
    ranks_per_task: RanksPerTask,
}

impl ClassicalModel {
    pub fn new(a: &ClassicalArgs) -> Result<Self, DriverError> {
        let mut axes = a.particles.axes().to_vec();
        axes.push(Axis::real("noise_width", "--noise-width", &a.noise_width, DIMENSIONLESS, "width W of the uniform noise δK ∈ [−W/2, W/2] on K1"));
        let trajectories = at_least_one("--trajectories", a.trajectories)? as u64;
        let kicks = at_least_one("--kicks", a.kicks)?;
        let observe_every = at_least_one("--observe-every", a.observe_every)?;
        let substeps = at_least_one("--substeps", a.substeps)? as u64;
        let ranks_per_task = a.ranks_per_task;
        if !(a.tolerance.is_finite() && a.tolerance > 0.0) {
            return Err(InputError::new("--tolerance", format!("{} is not allowed: must be positive", a.tolerance)).into());
        }
        let histogram = match &a.histogram_at {
            None => None,
            Some(g) => {
                let mut at = Vec::new();
                for &k in &g.0 {
                    if k < 1 || k as u64 > kicks as u64 {
                        return Err(InputError::new("--histogram-at", format!("{k} is not allowed: kicks must lie in 1..={kicks}")).into());
                    }
                    at.push(k as u64);
                }
                at.sort_unstable();
                at.dedup();
                let bins = at_least_one("--histogram-bins", a.histogram_bins)?;
                if !(a.histogram_max.is_finite() && a.histogram_max > 0.0) {
                    return Err(InputError::new("--histogram-max", format!("{} is not allowed: must be positive", a.histogram_max)).into());
                }
                Some(Histogram { at, bins, p_max: a.histogram_max })
            }
        };
        let t = kicks / observe_every + usize::from(kicks % observe_every != 0);
        let hist_len = histogram.as_ref().map_or(0, |h| h.at.len() * (2 * h.bins + 1));
        crate::limits::check_record_bytes(
            "--kicks",
            &format!("{kicks} kicks observed every {observe_every}"),
            (4 * t as u64 + hist_len as u64).saturating_mul(8 * 3),
        )?;
        let mut observed: Vec<u64> = (1..=kicks as u64).filter(|k| k % observe_every as u64 == 0).collect();
        if observed.last() != Some(&(kicks as u64)) {
            observed.push(kicks as u64);
        }
        let integrator = IntegratorOptions {
            order: a.order.into(),
            tolerance: a.tolerance,
            min_substeps: substeps,
            adaptive: !a.fixed_steps,
            ..Default::default()
        };
        let interaction = match a.interaction {
            InteractionArg::Continuous => Interaction::Continuous,
            InteractionArg::Kicked => Interaction::Kicked,
        };
        let start = a.initial.into();
        let placeholder = ClassicalParams { mass: 1.0, eps: 0.0, k1: 0.0, k2: 0.0, lambda: 0.0, noise_width: 0.0, interaction, start };
        Ok(ClassicalModel {
            grid: Grid::new(axes),
            run: ClassicalRun {
                params: placeholder,
                integrator,
                kicks: kicks as u64,
                observed,
                histogram,
                seed: a.seed,
                point: 0,
            },
            trajectories,
            observe_every,
            order: a.order,
            interaction: a.interaction,
            initial: a.initial,
            ranks_per_task,
        })
    }
}

impl Model for ClassicalModel {
    fn name(&self) -> &'static str {
        "classical"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let r = &self.run;
        let (at, bins, pmax) = match &r.histogram {
            None => (String::new(), String::new(), String::new()),
            Some(h) => (
                h.at.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(","),
                h.bins.to_string(),
                format!("{:?}", h.p_max),
            ),
        };
        vec![
            ("trajectories".into(), self.trajectories.to_string()),
            ("kicks".into(), r.kicks.to_string()),
            ("seed".into(), r.seed.to_string()),
            ("observe_every".into(), self.observe_every.to_string()),
            enum_option("interaction", &self.interaction),
            enum_option("initial", &self.initial),
            ("histogram_at".into(), at),
            ("histogram_bins".into(), bins),
            ("histogram_max".into(), pmax),
            enum_option("order", &self.order),
            ("tolerance".into(), format!("{:?}", r.integrator.tolerance)),
            ("substeps".into(), r.integrator.min_substeps.to_string()),
            ("fixed_steps".into(), (!r.integrator.adaptive).to_string()),
        ]
    }

    /// Results do not depend on `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let kick = |n: &str, u: &str, d: &str| ObservableSpec::over(n, u, d, &["kick"]);
        let s = ObservableSpec::scalar;
        let mut v = vec![
            kick("p1_sq", "1 (dimensionless momentum²)", "ensemble mean ⟨p1²⟩ after each observed kick (just before the next kick)"),
            kick("p1_sq_err", "1 (dimensionless momentum²)", "standard error of p1_sq"),
            kick("p2_sq", "1 (dimensionless momentum²)", "ensemble mean ⟨p2²⟩ after each observed kick"),
            kick("p2_sq_err", "1 (dimensionless momentum²)", "standard error of p2_sq"),
            s("d_c", "1 (momentum² per kick)", "diffusion coefficient of particle 1: half the least-squares slope of ⟨p1²⟩ vs kick over the observed kicks t ≥ kicks/2 (D = ⟨Δp²⟩/2n)"),
            s("d_c_err", "1 (momentum² per kick)", "standard error of d_c (trajectory-to-trajectory spread of the fitted slope)"),
            s("d_ratio", "1 (momentum² per kick)", "⟨p1²⟩(T)/T at the last kick T (PHYSICS.md §2 convention, no 1/2)"),
            s("d_ratio_err", "1 (momentum² per kick)", "standard error of d_ratio"),
        ];
        if self.run.histogram.is_some() {
            let dims = ["histogram_kick", "p1_bin"];
            v.push(ObservableSpec::over("histogram_p1", "1 (probability per bin)", "fraction of trajectories with p1 in each bin", &dims));
            v.push(ObservableSpec::over("histogram_p1_err", "1 (probability per bin)", "standard error of histogram_p1", &dims));
            v.push(ObservableSpec::over("histogram_outside", "1", "fraction of trajectories with |p1| ≥ --histogram-max", &["histogram_kick"]));
        }
        v.push(s("max_energy_drift", "1", "largest relative drift of H = p1²/2 + p2²/2m + εU between kicks over all periods and trajectories (quality; the point fails above --tolerance; 0 for --interaction kicked)"));
        v.push(s("max_substeps", "1", "largest substep count of the last period of any trajectory (1 for --interaction kicked)"));
        v.push(s("substeps_per_period", "1", "mean substeps integrated per period, redone periods included (cost; 1 for --interaction kicked: one exact flight)"));
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        let mut v = vec![ExtraAxis {
            name: "kick".into(),
            flag: "--kicks".into(),
            values: AxisValues::Real(self.run.observed.iter().map(|&k| k as f64).collect()),
            units: "kick periods".into(),
            description: "kicks after which the time series were recorded".into(),
        }];
        if let Some(h) = &self.run.histogram {
            v.push(ExtraAxis {
                name: "histogram_kick".into(),
                flag: "--histogram-at".into(),
                values: AxisValues::Real(h.at.iter().map(|&k| k as f64).collect()),
                units: "kick periods".into(),
                description: "kicks after which histogram_p1 was recorded".into(),
            });
            let w = 2.0 * h.p_max / h.bins as f64;
            v.push(ExtraAxis {
                name: "p1_bin".into(),
                flag: "--histogram-bins".into(),
                values: AxisValues::Real((0..h.bins).map(|b| -h.p_max + (b as f64 + 0.5) * w).collect()),
                units: "1 (dimensionless momentum)".into(),
                description: "bin centres of histogram_p1 (bins of equal width over [−P, P])".into(),
            });
        }
        v
    }

    fn cost(&self, point: &[f64]) -> f64 {
        // the light particle's crossings set the substeps when ε ≠ 0
        if point[1] == 0.0 || self.interaction == InteractionArg::Kicked {
            1.0
        } else {
            1.0 + 10.0 / point[0].sqrt()
        }
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        self.ranks_per_task
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(ClassicalWorker { model: self })
    }
}

struct ClassicalWorker<'m> {
    model: &'m ClassicalModel,
}

fn split(v: &[MeanErr]) -> (Vec<f64>, Vec<f64>) {
    (v.iter().map(|x| x.mean).collect(), v.iter().map(|x| x.err).collect())
}

impl Worker for ClassicalWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let p = task.point;
        let mut run = m.run.clone();
        run.params = ClassicalParams { mass: p[0], eps: p[1], k1: p[2], k2: p[3], lambda: p[4], noise_width: p[5], interaction: m.run.params.interaction, start: m.run.params.start };
        run.point = task.index as u64;
        let r = run.run(m.trajectories, task.comm).map_err(|e| match e {
            TrajectoryError::InvalidInput(s) => PointError(s),
            TrajectoryError::Failed(s) => PointError(s),
        })?;
        if r.max_energy_drift.is_nan() || r.max_energy_drift > run.integrator.tolerance {
            return Err(PointError(format!(
                "energy drift {:.3e} above --tolerance {:.1e} (fixed steps: raise --substeps or drop --fixed-steps)",
                r.max_energy_drift, run.integrator.tolerance
            )));
        }
        let (p1, p1e) = split(&r.p1_sq);
        let (p2, p2e) = split(&r.p2_sq);
        let mut rec = Record::new()
            .array("p1_sq", &p1)
            .array("p1_sq_err", &p1e)
            .array("p2_sq", &p2)
            .array("p2_sq_err", &p2e)
            .scalar("d_c", r.d_c.mean)
            .scalar("d_c_err", r.d_c.err)
            .scalar("d_ratio", r.d_ratio.mean)
            .scalar("d_ratio_err", r.d_ratio.err);
        if run.histogram.is_some() {
            let (h, he) = split(&r.histogram);
            rec = rec
                .array("histogram_p1", &h)
                .array("histogram_p1_err", &he)
                .array("histogram_outside", &r.histogram_outside);
        }
        Ok(rec
            .scalar("max_energy_drift", r.max_energy_drift)
            .scalar("max_substeps", r.max_substeps)
            .scalar("substeps_per_period", r.substeps_per_period))
    }
}
