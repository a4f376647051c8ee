//! `qk noise`: one kicked particle in the infinite well with a noisy kick
//! strength (PHYSICS.md §2 noise variant, seed 002 Fig. 3), averaged over
//! realizations of the noise.
//!
//! `H = p²/(2m) + V_w(x) + (K + δK_n) cos x Σ_n δ(t − n)`, `δK_n` uniform in
//! `[−W/2, W/2]`, independent from kick to kick (W = 0: one realization,
//! the noiseless propagation, `p_sq_err` = 0); 1D split-operator
//! propagation ([`qk_propagator::single::Propagator1`]) from the ground state.
//!
//! Realization `r` of grid point `i` draws its `δK_n` from the counter-based
//! stream `qk_trajectories::rng::Stream::new(seed, i, r)` exactly as classical
//! trajectory `r` of `qk classical --noise-width W` does (draws 0 and 1 are the
//! classical initial positions and are skipped; draw `1 + n` gives
//! `δK_n = W (u − 1/2)`), so a quantum realization and a classical trajectory
//! with the same index see the same kicks. The realizations of a point are
//! spread over the ranks of its task ([`qk_trajectories::ensemble::run`]:
//! batches of 8, fixed-order pairwise reduction), so every result is
//! bit-identical for any rank count.
//!
//! Results per point, over the trailing axis `/grid/kick`: `p_sq` (the mean of
//! ⟨p²⟩ over realizations) and `p_sq_err` (its standard error), `tail` (the
//! largest population of the highest max(1, n/16) sine modes over the
//! realizations, ≤ `--tail-tol`); with `--momentum-at`, `momentum` (the mean
//! sine-basis distribution `P(k)`, `p = ħk`, over `/grid/momentum_kick`,
//! `/grid/mode`, `M` modes: the largest size `--n auto` can grow to, or the
//! fixed `--n`); `n_used` (the largest grid a realization ended on).
//!
//! `--n auto` starts every realization from the classical reach of kicks
//! `|K| + W/2` after the first few kicks
//! ([`qk_propagator::gridsize::start_sizes`]) and grows it exactly
//! ([`Propagator1::grow`]: zero-padded sine coefficients) to the next fast
//! size at least twice as large as soon as its tail (checked every kick, `n/16`
//! terms) exceeds `--tail-tol`/100 ([`qk_propagator::gridsize::GROW_FRACTION`]),
//! up to `--max-n`. Each realization starts on the same grid and grows on its
//! own, so results stay bit-identical for any rank count. If a tail still
//! exceeds `--tail-tol` at an observation, the whole ensemble restarts on the
//! next size (fallback); a fixed `--n` fails instead, naming the size needed.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{
    ExtraAxis, Model, ModelArgs, ObservableSpec, RanksPerTask, Record, Task, Worker,
};
use crate::models::kicked::{
    at_least_one, grid_size, kick_axes, kicks_in_run, observed_kicks, positive_tol, GridSize,
};
use clap::Args;
use qk_propagator::gridsize::{growth_cap, grown_size, start_sizes, GROW_FRACTION};
use qk_propagator::single::Propagator1;
use qk_propagator::{tail_modes, Interaction, KickedParams};
use qk_trajectories::ensemble::{self, Layout};
use qk_trajectories::rng::Stream;
use qk_trajectories::TrajectoryError;

/// One kicked particle with a noisy kick strength, averaged over noise realizations (seed 002 Fig. 3).
#[derive(Args, Debug)]
pub struct NoiseArgs {
    /// Effective Planck constant ħ_eff > 0 (grid).
    #[arg(long = "hbar", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub hbar: RealGrid,
    /// Mean kick strength K (grid).
    #[arg(long = "k", value_name = "GRID", default_value = "1.8", allow_hyphen_values = true)]
    pub k: RealGrid,
    /// Noise width W ≥ 0: δK_n uniform in [−W/2, W/2] (grid).
    #[arg(long = "width", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub width: RealGrid,
    /// Mass of the particle (grid).
    #[arg(long = "mass", value_name = "GRID", default_value = "1", allow_hyphen_values = true, value_parser = grid::positive)]
    pub mass: RealGrid,
    /// Noise realizations per point, ≥ 1.
    #[arg(long = "realizations", value_name = "R", allow_hyphen_values = true)]
    pub realizations: i64,
    /// Interior grid points: one value ≥ 1, or `auto`.
    #[arg(long = "n", value_name = "N|auto", default_value = "auto", allow_hyphen_values = true, value_parser = grid_size)]
    pub n: GridSize,
    /// Number of kicks, ≥ 1.
    #[arg(long = "kicks", value_name = "K", allow_hyphen_values = true)]
    pub kicks: i64,
    /// Record every this many kicks (and after the last one), ≥ 1.
    #[arg(long = "observe-every", value_name = "E", default_value_t = 1, allow_hyphen_values = true)]
    pub observe_every: i64,
    /// Kicks at which to record the mean momentum distribution (comma list).
    #[arg(long = "momentum-at", value_name = "KICKS", allow_hyphen_values = true)]
    pub momentum_at: Option<IntGrid>,
    /// Run seed of the random streams (the same seed reproduces the ensemble).
    #[arg(long = "seed", value_name = "S", default_value_t = qk_trajectories::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Largest population allowed in the highest n/16 sine modes.
    #[arg(long = "tail-tol", value_name = "TOL", default_value_t = 1e-6, allow_hyphen_values = true)]
    pub tail_tol: f64,
    /// Largest grid `--n auto` may grow to.
    #[arg(long = "max-n", value_name = "N", default_value_t = 65535, allow_hyphen_values = true)]
    pub max_n: i64,
    /// MPI ranks that share one point's realizations (must divide the rank count).
    #[arg(long = "ranks-per-task", value_name = "R", default_value_t = 1, allow_hyphen_values = true)]
    pub ranks_per_task: i64,
}

impl ModelArgs for NoiseArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(NoiseModel::new(self)?))
    }
}

pub struct NoiseModel {
    grid: Grid,
    n: GridSize,
    realizations: u64,
    kicks: usize,
    observe_every: usize,
    observed: Vec<usize>,
    momentum_at: Vec<usize>,
    modes: usize,
    seed: u64,
    tail_tol: f64,
    max_n: usize,
    ranks_per_task: usize,
}

/// The 1D grid a point starts on.
fn start_size(n: GridSize, hbar: f64, k: f64, width: f64, kicks: usize) -> usize {
    match n {
        GridSize::Fixed(n) => n,
        GridSize::Auto => {
            let p = KickedParams {
                hbar,
                mass: 1.0,
                eps: 0.0,
                k1: k.abs() + width / 2.0,
                k2: 0.0,
                lambda: 0.0,
                n1: 1,
                n2: 1,
                substeps: 1,
                interaction: Interaction::Kicked,
            };
            start_sizes(&p, kicks).0
        }
    }
}

impl NoiseModel {
    pub fn new(a: &NoiseArgs) -> Result<Self, DriverError> {
        let dimless = "1 (dimensionless units of seed 002)";
        let n_value = match a.n {
            GridSize::Fixed(n) => n as i64,
            GridSize::Auto => 0,
        };
        let grid = Grid::new(vec![
            Axis::real("hbar", "--hbar", &a.hbar, dimless, "effective Planck constant ħ_eff"),
            Axis::real("k", "--k", &a.k, dimless, "mean kick strength K of K cos x Σδ(t−n)"),
            Axis::real("width", "--width", &a.width, dimless, "noise width W: δK_n uniform in [−W/2, W/2]"),
            Axis::real("mass", "--mass", &a.mass, dimless, "mass of the particle"),
            Axis::int(
                "n",
                "--n",
                &IntGrid(vec![n_value]),
                "1",
                "interior grid points (x_j = jπ/(n+1)); 0 = auto (the size each point ran on is in /results/n_used)",
            ),
        ]);
        let realizations = at_least_one("--realizations", a.realizations)? as u64;
        let kicks = at_least_one("--kicks", a.kicks)?;
        let observe_every = at_least_one("--observe-every", a.observe_every)?;
        let ranks_per_task = at_least_one("--ranks-per-task", a.ranks_per_task)?;
        let max_n = at_least_one("--max-n", a.max_n)?;
        let tail_tol = positive_tol("--tail-tol", a.tail_tol)?;
        let momentum_at = kicks_in_run("--momentum-at", a.momentum_at.as_ref(), kicks)?;
        let mut modes = 1;
        for i in 0..grid.len() {
            let p = grid.point(i);
            let s = start_size(a.n, p[0], p[1], p[2], kicks);
            if a.n == GridSize::Auto && s > max_n {
                return Err(InputError::new(
                    "--n",
                    format!("auto needs {s} grid points for some point of the sweep, more than --max-n {max_n}"),
                )
                .into());
            }
            modes = modes.max(match a.n {
                GridSize::Fixed(n) => n,
                GridSize::Auto => growth_cap(s, max_n),
            });
        }
        let observed = observed_kicks(kicks, observe_every);
        crate::limits::check_record_bytes(
            "--kicks",
            &format!("{kicks} kicks observed every {observe_every}"),
            (3 * observed.len() as u64 + (momentum_at.len() * modes) as u64).saturating_mul(8),
        )?;
        Ok(NoiseModel {
            grid,
            n: a.n,
            realizations,
            kicks,
            observe_every,
            observed,
            momentum_at,
            modes,
            seed: a.seed,
            tail_tol,
            max_n,
            ranks_per_task,
        })
    }
}

impl Model for NoiseModel {
    fn name(&self) -> &'static str {
        "noise"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let mom: Vec<String> = self.momentum_at.iter().map(|k| k.to_string()).collect();
        vec![
            ("realizations".into(), self.realizations.to_string()),
            ("kicks".into(), self.kicks.to_string()),
            ("observe_every".into(), self.observe_every.to_string()),
            ("momentum_at".into(), mom.join(",")),
            ("seed".into(), self.seed.to_string()),
            ("tail_tol".into(), format!("{:e}", self.tail_tol)),
            ("max_n".into(), self.max_n.to_string()),
        ]
    }

    /// Results are bit-identical for any `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut v = vec![
            ObservableSpec::over("p_sq", "ħ_eff² (p = ħ_eff k)", "⟨p²⟩ averaged over the noise realizations", &["kick"]),
            ObservableSpec::over("p_sq_err", "ħ_eff²", "standard error of p_sq over the realizations", &["kick"]),
            ObservableSpec::over(
                "tail",
                "1",
                "largest population of the highest max(1, n/16) sine modes over the realizations (≤ --tail-tol)",
                &["kick"],
            ),
            ObservableSpec::scalar("n_used", "1", "grid points the point ran on"),
        ];
        if !self.momentum_at.is_empty() {
            v.push(ObservableSpec::over(
                "momentum",
                "1 (probability per sine state)",
                "mean sine-basis distribution P(k) = |c_k|² over the realizations, p = ħ_eff k, k = 1…M",
                &["momentum_kick", "mode"],
            ));
        }
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        kick_axes(
            &self.observed,
            &self.momentum_at,
            "momentum",
            ExtraAxis {
                name: "mode".into(),
                flag: "--n".into(),
                values: AxisValues::Int((1..=self.modes as i64).collect()),
                units: "1".into(),
                description: "sine-basis index k = 1…M (momentum p = ħ_eff k); M the largest grid a point can grow to (zeros above a realization's own n)"
                    .into(),
            },
        )
    }

    fn cost(&self, point: &[f64]) -> f64 {
        let n = start_size(self.n, point[0], point[1], point[2], self.kicks) as f64;
        n * n.log2().max(1.0)
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        RanksPerTask::Fixed(self.ranks_per_task)
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(NoiseWorker { model: self })
    }
}

struct NoiseWorker<'m> {
    model: &'m NoiseModel,
}

impl NoiseWorker<'_> {
    /// The ensemble, each realization starting on an `n`-point grid (an auto
    /// grid grows during the realization): means of ⟨p²⟩ and of the momentum
    /// distributions, the largest tail per observation and the largest grid
    /// a realization ended on (the last maximum).
    fn ensemble(
        &self,
        task: &Task<'_>,
        n: usize,
    ) -> Result<ensemble::Stats, TrajectoryError> {
        let m = self.model;
        let (hbar, k, width, mass) = (task.point[0], task.point[1], task.point[2], task.point[3]);
        let t = m.observed.len();
        let modes = m.modes;
        let layout = Layout {
            values: t + m.momentum_at.len() * modes,
            maxima: t + 1,
        };
        let grow_tol = m.tail_tol * GROW_FRACTION;
        let auto = m.n == GridSize::Auto;
        let mut prop = Propagator1::new(n, hbar, mass)
            .map_err(|e| TrajectoryError::InvalidInput(e.to_string()))?;
        // without noise every realization is the same propagation: one is enough
        let realizations = if width > 0.0 { m.realizations } else { 1 };
        ensemble::run(task.comm, realizations, layout, |r, values, maxima| {
            if prop.grid().0 == n {
                prop.reset();
            } else {
                prop = Propagator1::new(n, hbar, mass)
                    .map_err(|e| TrajectoryError::InvalidInput(e.to_string()))?;
            }
            let mut stream = Stream::new(m.seed, task.index as u64, r);
            // draws 0, 1: the classical trajectory's initial positions
            stream.seek(2);
            let (mut next_obs, mut next_mom) = (0, 0);
            for kick in 1..=m.kicks {
                let kn = if width > 0.0 {
                    k + width * (stream.uniform() - 0.5)
                } else {
                    k
                };
                prop.period(kn);
                if auto && prop.tail() > grow_tol {
                    let g = grown_size(prop.grid().0);
                    if g <= m.max_n {
                        prop.grow(g)
                            .map_err(|e| TrajectoryError::InvalidInput(e.to_string()))?;
                    }
                }
                if next_mom < m.momentum_at.len() && m.momentum_at[next_mom] == kick {
                    let row = &mut values[t + next_mom * modes..t + (next_mom + 1) * modes];
                    row.iter_mut().for_each(|v| *v = 0.0);
                    for (v, p) in row.iter_mut().zip(prop.momentum()) {
                        *v = p;
                    }
                    next_mom += 1;
                }
                if next_obs < t && m.observed[next_obs] == kick {
                    let o = prop.observables();
                    if !o.norm.is_finite() || (o.norm - 1.0).abs() > 1e-6 {
                        return Err(TrajectoryError::Failed(format!(
                            "norm {} after kick {kick} in realization {r}: propagation lost unitarity",
                            o.norm
                        )));
                    }
                    values[next_obs] = o.p_sq;
                    maxima[next_obs] = o.tail;
                    next_obs += 1;
                }
            }
            maxima[t] = prop.grid().0 as f64;
            Ok(())
        })
    }
}

impl Worker for NoiseWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let mut n = start_size(m.n, task.point[0], task.point[1], task.point[2], m.kicks);
        loop {
            let stats = self.ensemble(task, n).map_err(|e| PointError(e.to_string()))?;
            let t = m.observed.len();
            let worst = stats.max[..t].iter().cloned().fold(0.0, f64::max);
            let reached = stats.max[t] as usize;
            if worst.is_nan() || worst > m.tail_tol {
                let grown = grown_size(reached);
                let why = format!(
                    "grid too small: tail population {worst:.2e} (top {} sine modes) > --tail-tol {:e}",
                    tail_modes(reached),
                    m.tail_tol
                );
                if m.n == GridSize::Auto && grown <= m.max_n {
                    // fallback: the whole ensemble again from the next size
                    n = grown;
                    continue;
                }
                return Err(PointError(match m.n {
                    GridSize::Auto => format!("{why}; auto grew n to {reached}, needs >= {grown} > --max-n {}", m.max_n),
                    GridSize::Fixed(_) => format!("{why}; n = {n} needs >= {grown} (or --n auto)"),
                }));
            }
            let errs = stats.stderrs();
            let mut rec = Record::new()
                .array("p_sq", &stats.mean[..t])
                .array("p_sq_err", &errs[..t])
                .array("tail", &stats.max[..t])
                .scalar("n_used", reached as f64);
            if !m.momentum_at.is_empty() {
                rec = rec.array("momentum", &stats.mean[t..]);
            }
            let grid = if reached == n { format!("{n}") } else { format!("{n} -> {reached}") };
            return Ok(rec.method(format!("1D split-operator n = {grid}, {} realizations", m.realizations)));
        }
    }
}
