//! `qk transition`: the quantum-to-classical ratio η = D_q/D_c of particle 1
//! (seed 002 Fig. 4, PHYSICS.md §2) per (ħ_eff, m, ε, K1, K2, λ) point, and
//! per line along ħ_eff the thresholds ħ_c (η = 0.9) and ħ_l (η = 0.1).
//!
//! Each point runs the `qk kicked` propagation ([`super::kicked`], same grid
//! trust: tail check, auto grids grown on failure, Strang step bound; the
//! purity is not computed) and the `qk classical` ensemble ([`super::classical`])
//! at the same (m, ε, K1, K2, λ) over the same kicks, observed at the same
//! kicks. `--interaction continuous|kicked` (default continuous) is passed to
//! both: the interaction acts between kicks in both, or once per period as
//! the impulse of εU together with the kick in both (`qk kicked
//! --interaction kicked` and its classical limit `qk classical --interaction
//! kicked`: kick + interaction impulse, then exact free flight for one
//! period). The kicked variant is a different map from the continuous one
//! (at ε = 2 the whole period's impulse ε∇U acts at once), so η of the two
//! are not interchangeable; it is the fast configuration (no Strang substeps
//! quantum side, no integrator classical side). Recorded as the options
//! `interaction` and `classical_interaction` (a `--resume` with the other
//! value is refused). The classical ensemble does not depend on ħ: it is computed once
//! per (m, ε, K1, K2, λ) on each rank that needs it and kept (its random
//! streams are keyed by the classical grid index, so every ħ of a line sees
//! the identical D_c, on any rank).
//!
//! # Definition of D (the same for both)
//!
//! `D = ⟨p1²⟩(T)/T`, the final-time ratio at the last kick `T = --kicks`
//! (the seed's η saturation near 0.1 in the localized regime is this ratio's
//! finite-time floor; a fitted slope would send it to zero). Its error is
//! `sqrt(σ_stat² + σ_T²)`: `σ_stat` the ensemble standard error of
//! `⟨p1²⟩(T)/T` (0 for the deterministic quantum run), `σ_T` the sample
//! standard deviation of `⟨p1²⟩(t)/t` over the observed kicks `t ≥ 0.9 T`
//! (how much the ratio depends on the choice of the final kick; 0 when one
//! kick is observed there). `η = D_q/D_c`,
//! `σ_η = η sqrt((σ_q/D_q)² + (σ_c/D_c)²)`. Momenta in the seed's
//! dimensionless units (`p = ħ_eff k` quantum, real `p` classical).
//!
//! # Thresholds (`--thresholds`)
//!
//! The group `/thresholds` over the axes (mass, eps, k1, k2, lambda): `hbar_c`
//! (η = `--eta-c`, default 0.9), `hbar_l` (η = `--eta-l`, default 0.1) and their errors by log-linear interpolation of η along the ħ
//! axis between the bracketing successful points ([`threshold`]), `*_found`
//! (1 when bracketed; 0: absent, the value NaN) and `points` (successful ħ
//! values on the line). Written by rank 0 after every point is done. Needs
//! at least two ħ values (else exit 2 naming `--thresholds`).

pub mod threshold;

use super::classical::{ClassicalArgs, ClassicalModel, OrderArg, StartArg};
use super::kicked::{
    at_least_one, grid_size, observed_kicks, positive_tol, GridSize, InteractionArg, KickedArgs,
    KickedModel,
};
use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, AxisValues, Grid, RealGrid};
use crate::model::{
    DerivedColumn, DerivedGroup, ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec,
    RanksPerTask, Record, SweepResults, Task, Worker,
};
use super::two_particles::TwoParticleArgs;
use clap::Args;
use std::collections::HashMap;
use threshold::{first_crossing, Crossing, Sample};

/// η = D_q/D_c of seed 002 Fig. 4: quantum propagation and classical ensemble per point, thresholds along ħ_eff.
#[derive(Args, Debug)]
pub struct TransitionArgs {
    /// Effective Planck constant ħ_eff > 0 (grid).
    #[arg(long = "hbar", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub hbar: RealGrid,
    /// Mass, interaction and kick strengths (`--mass --eps --k1 --k2 --lambda`).
    #[command(flatten)]
    pub particles: TwoParticleArgs,
    /// Number of kicks of both runs, ≥ 1 (D = ⟨p1²⟩(T)/T at T = kicks).
    #[arg(long = "kicks", value_name = "K", allow_hyphen_values = true)]
    pub kicks: i64,
    /// Record ⟨p1²⟩ every this many kicks (and after the last one), ≥ 1.
    #[arg(long = "observe-every", value_name = "E", default_value_t = 1, allow_hyphen_values = true)]
    pub observe_every: i64,
    /// Write /thresholds: ħ_c (η = 0.9) and ħ_l (η = 0.1) per line along ħ_eff (needs ≥ 2 ħ values).
    #[arg(long = "thresholds")]
    pub thresholds: bool,
    /// η level of the threshold ħ_c (onset of classically chaotic diffusion), in (0, ∞).
    #[arg(long = "eta-c", value_name = "ETA", default_value_t = ETA_C, allow_hyphen_values = true)]
    pub eta_c: f64,
    /// η level of the threshold ħ_l (dynamical localization), in (0, ∞).
    #[arg(long = "eta-l", value_name = "ETA", default_value_t = ETA_L, allow_hyphen_values = true)]
    pub eta_l: f64,
    /// Quantum grid along x1: one value ≥ 1, or `auto`.
    #[arg(long = "n1", value_name = "N1|auto", default_value = "auto", allow_hyphen_values = true, value_parser = grid_size)]
    pub n1: GridSize,
    /// Quantum grid along x2: one value ≥ 1, or `auto`.
    #[arg(long = "n2", value_name = "N2|auto", default_value = "auto", allow_hyphen_values = true, value_parser = grid_size)]
    pub n2: GridSize,
    /// Largest population allowed in the highest n/16 sine modes of either axis.
    #[arg(long = "tail-tol", value_name = "TOL", default_value_t = 1e-6, allow_hyphen_values = true)]
    pub tail_tol: f64,
    /// Largest bound of the Strang phase error per period (continuous interaction).
    #[arg(long = "step-tol", value_name = "TOL", default_value_t = 1.0, allow_hyphen_values = true)]
    pub step_tol: f64,
    /// Largest grid size an `auto` axis may grow to.
    #[arg(long = "max-n", value_name = "N", default_value_t = 16383, allow_hyphen_values = true)]
    pub max_n: i64,
    /// Strang steps per period of the quantum run (continuous interaction), ≥ 1.
    #[arg(long = "substeps", value_name = "S", default_value_t = 100, allow_hyphen_values = true)]
    pub substeps: i64,
    /// How the interaction acts in both runs: continuously between kicks, or once per period with the kick.
    #[arg(long = "interaction", value_name = "MODE", value_enum, default_value_t = InteractionArg::Continuous)]
    pub interaction: InteractionArg,
    /// Classical trajectories per (m, ε, K1, K2, λ), ≥ 1.
    #[arg(long = "trajectories", value_name = "T", allow_hyphen_values = true)]
    pub trajectories: i64,
    /// Run seed of the classical random streams.
    #[arg(long = "seed", value_name = "S", default_value_t = qk_trajectories::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Initial positions of the classical run: uniform in [0, π] (PHYSICS.md), or ground: the
    /// quantum initial state's |φ1|² (then both runs start from the same position distribution).
    #[arg(long = "classical-initial", value_name = "START", value_enum, default_value_t = StartArg::Uniform)]
    pub classical_initial: StartArg,
    /// Classical splitting scheme between kicks.
    #[arg(long = "order", value_name = "ORDER", value_enum, default_value_t = OrderArg::Yoshida4)]
    pub order: OrderArg,
    /// Largest relative energy drift per period of the classical run.
    #[arg(long = "classical-tolerance", value_name = "TOL", default_value_t = 1e-8, allow_hyphen_values = true)]
    pub classical_tolerance: f64,
    /// Substeps of the first classical period (lower bound of the adaptive count), ≥ 1.
    #[arg(long = "classical-substeps", value_name = "S", default_value_t = 8, allow_hyphen_values = true)]
    pub classical_substeps: i64,
    /// MPI ranks that compute one point together (must divide the rank count).
    #[arg(long = "ranks-per-task", value_name = "R", default_value_t = 1, allow_hyphen_values = true)]
    pub ranks_per_task: i64,
}

impl ModelArgs for TransitionArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(TransitionModel::new(self)?))
    }
}

/// Default η level of the threshold ħ_c (the seed's 0.9).
pub const ETA_C: f64 = 0.9;
/// Default η level of the threshold ħ_l (the seed's 0.1).
pub const ETA_L: f64 = 0.1;

pub struct TransitionModel {
    grid: Grid,
    kicked: KickedModel,
    classical: ClassicalModel,
    observed: Vec<usize>,
    thresholds: bool,
    /// Levels of ħ_c and ħ_l.
    levels: (f64, f64),
}

impl TransitionModel {
    pub fn new(a: &TransitionArgs) -> Result<Self, DriverError> {
        // flags of this command that the inner models would name differently
        positive_tol("--classical-tolerance", a.classical_tolerance)?;
        let levels = (positive_tol("--eta-c", a.eta_c)?, positive_tol("--eta-l", a.eta_l)?);
        at_least_one("--classical-substeps", a.classical_substeps)?;
        let kicks = at_least_one("--kicks", a.kicks)?;
        let observe_every = at_least_one("--observe-every", a.observe_every)?;
        if a.thresholds && a.hbar.0.len() < 2 {
            return Err(InputError::new(
                "--thresholds",
                format!(
                    "needs at least two --hbar values to interpolate along ħ_eff, got {}",
                    a.hbar.0.len()
                ),
            )
            .into());
        }
        let kicked = KickedModel::new(&KickedArgs {
            hbar: a.hbar.clone(),
            particles: a.particles.clone(),
            n1: a.n1,
            n2: a.n2,
            tail_tol: a.tail_tol,
            step_tol: a.step_tol,
            max_n: a.max_n,
            kicks: a.kicks,
            substeps: a.substeps,
            interaction: a.interaction,
            observe_every: a.observe_every,
            momentum_at: None,
            ranks_per_task: a.ranks_per_task,
        })?
        .without_purity();
        let classical = ClassicalModel::new(&ClassicalArgs {
            particles: a.particles.clone(),
            noise_width: RealGrid(vec![0.0]),
            trajectories: a.trajectories,
            kicks: a.kicks,
            seed: a.seed,
            observe_every: a.observe_every,
            histogram_at: None,
            histogram_bins: 1,
            histogram_max: 1.0,
            order: a.order,
            tolerance: a.classical_tolerance,
            substeps: a.classical_substeps,
            fixed_steps: false,
            interaction: a.interaction,
            initial: a.classical_initial,
            // checked (≥ 1) by the kicked model above; the groups are the same for both
            ranks_per_task: RanksPerTask::Fixed(a.ranks_per_task as usize),
        })?;
        // the kicked grid without its size axes n1, n2
        let axes = kicked.grid().axes[..6].to_vec();
        Ok(TransitionModel {
            grid: Grid::new(axes),
            kicked,
            classical,
            observed: observed_kicks(kicks, observe_every),
            thresholds: a.thresholds,
            levels,
        })
    }

    /// Points per ħ value (the product of the other axes' lengths).
    fn line_len(&self) -> usize {
        self.grid.len() / self.grid.axes[0].values.len()
    }
}

/// `D = y(T)/T` with its error `sqrt(stat² + σ_T²)` (module docs).
pub fn diffusion(kicks: &[usize], y: &[f64], stat: f64) -> (f64, f64) {
    let t_final = *kicks.last().expect("at least one observed kick") as f64;
    let d = y[y.len() - 1] / t_final;
    let ratios: Vec<f64> = kicks
        .iter()
        .zip(y)
        .filter(|(&k, _)| k as f64 >= 0.9 * t_final)
        .map(|(&k, &v)| v / k as f64)
        .collect();
    let spread = if ratios.len() > 1 {
        let n = ratios.len() as f64;
        let mean = ratios.iter().sum::<f64>() / n;
        (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (d, (stat * stat + spread * spread).sqrt())
}

impl Model for TransitionModel {
    fn name(&self) -> &'static str {
        "transition"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let mut v = self.kicked.options();
        v.retain(|(k, _)| k != "momentum_at");
        v.extend(
            self.classical
                .options()
                .into_iter()
                .filter(|(k, _)| !k.starts_with("histogram"))
                .map(|(k, val)| (format!("classical_{k}"), val)),
        );
        v.push(("thresholds".into(), self.thresholds.to_string()));
        v.push(("eta_c".into(), format!("{:?}", self.levels.0)));
        v.push(("eta_l".into(), format!("{:?}", self.levels.1)));
        v.push((
            "d_definition".into(),
            "final-time ratio <p1^2>(T)/T, both".into(),
        ));
        v
    }

    fn settings(&self) -> Vec<(String, String)> {
        self.kicked.settings()
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let kick = |n: &str, u: &str, d: &str| ObservableSpec::over(n, u, d, &["kick"]);
        let s = ObservableSpec::scalar;
        let d_units = "1 (momentum² per kick)";
        vec![
            kick("p1_sq_q", "1 (p = ħ_eff k)", "quantum ⟨p1²⟩ after each observed kick"),
            kick("p1_sq_c", "1 (dimensionless momentum²)", "classical ensemble mean ⟨p1²⟩ after each observed kick"),
            kick("p1_sq_c_err", "1 (dimensionless momentum²)", "standard error of p1_sq_c"),
            s("d_q", d_units, "quantum diffusion coefficient ⟨p1²⟩(T)/T at the last kick T"),
            s("d_q_err", d_units, "error of d_q: spread of ⟨p1²⟩(t)/t over the observed t ≥ 0.9 T"),
            s("d_c", d_units, "classical diffusion coefficient ⟨p1²⟩(T)/T at the last kick T"),
            s("d_c_err", d_units, "error of d_c: ensemble standard error and spread over t ≥ 0.9 T in quadrature"),
            s("eta", "1", "η = d_q/d_c"),
            s("eta_err", "1", "error of eta (relative errors of d_q, d_c in quadrature)"),
            s("tail_max", "1", "largest tail population of either axis over the observations (≤ --tail-tol)"),
            s("step_error_max", "rad per period", "largest Strang phase-error bound over the observations (≤ --step-tol; 0 for --interaction kicked)"),
            s("n1_used", "1", "quantum grid points along x1 the point ran on"),
            s("n2_used", "1", "quantum grid points along x2 the point ran on"),
            s("max_energy_drift", "1", "largest relative energy drift of the classical run between kicks (≤ --classical-tolerance; 0 for --interaction kicked)"),
        ]
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![ExtraAxis {
            name: "kick".into(),
            flag: "--kicks".into(),
            values: AxisValues::Real(self.observed.iter().map(|&k| k as f64).collect()),
            units: "kick periods".into(),
            description: "kicks after which the time series were recorded".into(),
        }]
    }

    fn derived(&self) -> Vec<DerivedGroup> {
        if !self.thresholds {
            return Vec::new();
        }
        let col = |name: &str, units: &str, description: &str| DerivedColumn {
            name: name.into(),
            units: units.into(),
            description: description.into(),
        };
        let (eta_c, eta_l) = self.levels;
        let found = "1 if the successful points bracket the level; 0: absent (the value is NaN)";
        vec![DerivedGroup {
            name: "thresholds".into(),
            description: format!(
                "thresholds along ħ_eff per (mass, eps, k1, k2, lambda): ħ_c where η = {eta_c}, ħ_l where η = {eta_l}; \
                 ln η interpolated linearly in ħ between the bracketing points (first crossing in ascending ħ), \
                 errors propagated from eta_err"
            ),
            axes: self.grid.axes[1..].iter().map(|a| a.name.clone()).collect(),
            columns: vec![
                col("hbar_c", "1", &format!("ħ_eff where η falls through {eta_c} (classically chaotic diffusion below)")),
                col("hbar_c_err", "1", "standard error of hbar_c"),
                col("hbar_c_found", "1", found),
                col("hbar_l", "1", &format!("ħ_eff where η falls through {eta_l} (dynamical localization above)")),
                col("hbar_l_err", "1", "standard error of hbar_l"),
                col("hbar_l_found", "1", found),
                col("points", "1", "successful ħ_eff points on the line"),
            ],
        }]
    }

    fn derive(&self, results: &SweepResults) -> Vec<Vec<Vec<f64>>> {
        if !self.thresholds {
            return Vec::new();
        }
        let (eta, err) = match (results.get("eta"), results.get("eta_err")) {
            (Some(e), Some(r)) => (e, r),
            _ => return vec![vec![Vec::new(); 7]],
        };
        let hbars = &self.grid.axes[0].values;
        let line = self.line_len();
        let mut cols = vec![vec![f64::NAN; line]; 7];
        #[allow(clippy::needless_range_loop)] // j indexes the points and all seven columns
        for j in 0..line {
            let samples: Vec<Sample> = (0..hbars.len())
                .map(|i| i * line + j)
                .filter(|&p| results.ok[p])
                .map(|p| Sample {
                    hbar: hbars.value(p / line),
                    eta: eta[p],
                    err: err[p],
                })
                .collect();
            for (c, level) in [(0, self.levels.0), (3, self.levels.1)] {
                match first_crossing(&samples, level) {
                    Crossing::Found { hbar, err } => {
                        cols[c][j] = hbar;
                        cols[c + 1][j] = err;
                        cols[c + 2][j] = 1.0;
                    }
                    Crossing::Absent => cols[c + 2][j] = 0.0,
                }
            }
            cols[6][j] = samples.len() as f64;
        }
        vec![cols]
    }

    fn cost(&self, point: &[f64]) -> f64 {
        self.kicked.cost(&kicked_point(point))
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        self.kicked.ranks_per_task()
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        self.kicked.memory_per_rank()
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(TransitionWorker {
            model: self,
            kicked: self.kicked.worker(),
            classical: self.classical.worker(),
            ensembles: HashMap::new(),
        })
    }
}

/// A transition point as a `qk kicked` point (its size axes n1, n2 are not read).
fn kicked_point(point: &[f64]) -> Vec<f64> {
    let mut p = point.to_vec();
    p.extend([0.0, 0.0]);
    p
}

struct TransitionWorker<'m> {
    model: &'m TransitionModel,
    kicked: Box<dyn Worker + 'm>,
    classical: Box<dyn Worker + 'm>,
    /// Classical ensembles computed on this rank, by classical grid index.
    ensembles: HashMap<usize, Record>,
}

fn slot<'r>(r: &'r Record, name: &str) -> Result<&'r [f64], PointError> {
    r.get(name)
        .ok_or_else(|| PointError(format!("internal: record without {name}")))
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().cloned().fold(0.0, f64::max)
}

impl Worker for TransitionWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let c_index = task.index % m.line_len();
        if !self.ensembles.contains_key(&c_index) {
            let mut cp = task.point[1..].to_vec();
            cp.push(0.0); // noise width
            let rec = self.classical.compute(&Task {
                index: c_index,
                point: &cp,
                comm: task.comm,
            })?;
            self.ensembles.insert(c_index, rec);
        }
        let c = &self.ensembles[&c_index];
        let kp = kicked_point(task.point);
        let q = self.kicked.compute(&Task {
            index: task.index,
            point: &kp,
            comm: task.comm,
        })?;
        let p1q = slot(&q, "p1_sq")?;
        let p1c = slot(c, "p1_sq")?;
        let p1c_err = slot(c, "p1_sq_err")?;
        let (d_q, d_q_err) = diffusion(&m.observed, p1q, 0.0);
        let stat = slot(c, "d_ratio_err")?[0];
        let (d_c, d_c_err) = diffusion(&m.observed, p1c, stat);
        if d_c.is_nan() || d_c <= 0.0 {
            return Err(PointError(format!(
                "classical D_c = {d_c:e} is not positive: η undefined"
            )));
        }
        let eta = d_q / d_c;
        let eta_err = eta.abs() * ((d_q_err / d_q).powi(2) + (d_c_err / d_c).powi(2)).sqrt();
        let tail = max_of(slot(&q, "tail1")?).max(max_of(slot(&q, "tail2")?));
        Ok(Record::new()
            .array("p1_sq_q", p1q)
            .array("p1_sq_c", p1c)
            .array("p1_sq_c_err", p1c_err)
            .scalar("d_q", d_q)
            .scalar("d_q_err", d_q_err)
            .scalar("d_c", d_c)
            .scalar("d_c_err", d_c_err)
            .scalar("eta", eta)
            .scalar("eta_err", eta_err)
            .scalar("tail_max", tail)
            .scalar("step_error_max", max_of(slot(&q, "step_error")?))
            .scalar("n1_used", slot(&q, "n1_used")?[0])
            .scalar("n2_used", slot(&q, "n2_used")?[0])
            .scalar("max_energy_drift", slot(c, "max_energy_drift")?[0])
            .method(q.method_label().to_string()))
    }
}
