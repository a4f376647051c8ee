//! `qk kicked`: two interacting kicked particles in an infinite square well
//! (PHYSICS.md §2, seed 002), one distributed split-operator propagation
//! (`qk-propagator`) per grid point.
//!
//! Axes: `hbar`, `mass` (of particle 2), `eps`, `k1`, `k2`, `lambda` (real
//! grids) and `n1`, `n2` (one value each: they fix the shape of the momentum
//! record). Options: `kicks`, `substeps`, `interaction`, `observe_every`,
//! `momentum_at`. Dimensionless units of the seed: time in kick periods,
//! `[x, p] = iħ_eff`, well `[0, π]`.
//!
//! Results (trailing time axis `/grid/kick`: the observed kicks, every
//! `--observe-every` kicks and the last one): `p1_sq`, `p2_sq`, `purity`,
//! `norm`; with `--momentum-at`, `momentum_p1` of shape
//! `[grid…, len(momentum_at), n1]` (axes `/grid/momentum_kick` and
//! `/grid/mode1` = 1…n1), the sine-basis distribution `P(k1)`, `p = ħ k1`.
//!
//! With `--ranks-per-task R` each point runs on a sub-communicator of R ranks
//! (slab-decomposed grid); results do not depend on R.
//!
//! # Trust in the grid
//!
//! Every observation records the resolution figures `tail1`, `tail2` (the
//! population of the highest `max(1, n/16)` sine modes of each axis,
//! [`qk_propagator::Observables::tail1`]) and, for the continuous
//! interaction, `step_error` (the bound of the Strang phase error per
//! period, [`qk_propagator::gridsize`]). A point whose tail exceeds
//! `--tail-tol` on a fixed grid fails with a message naming the grid size it
//! needs; on an `auto` axis the run restarts on the next fast size at least
//! twice as large (up to `--max-n`). A point whose `step_error` exceeds
//! `--step-tol` fails naming the substeps it needs. `--n1 auto` / `--n2 auto`
//! start from the classical momentum reach
//! ([`qk_propagator::gridsize::auto_sizes`], margin 5σ, fast DST sizes
//! `2^a 3^b − 1`); `n1_used`, `n2_used` record the grid each point ran on.
//! With an auto `--n1`, `momentum_p1` holds the first `M` modes, `M` the
//! largest starting `n1` over the sweep (zeros above a point's own `n1`;
//! modes above `M` of a grown grid are dropped and their population is at
//! most the recorded `tail1` of the smaller grid).
//!
//! The propagator plan (FFT plans, tables, communication buffers) is built
//! once per grid size on each rank's worker and reused by the following
//! points ([`Propagator::set_params`]).

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec, RanksPerTask,
    Record, Task, Worker,
};
use super::two_particles::{TwoParticleArgs, DIMENSIONLESS};
use clap::{Args, ValueEnum};
use qk_propagator::{Interaction, KickedParams, Propagator};

/// Two interacting kicked particles in an infinite well (distributed split-operator propagation).
#[derive(Args, Debug)]
pub struct KickedArgs {
    /// Effective Planck constant ħ_eff > 0 (grid).
    #[arg(long = "hbar", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub hbar: RealGrid,
    /// Mass, interaction and kick strengths (`--mass --eps --k1 --k2 --lambda`).
    #[command(flatten)]
    pub particles: TwoParticleArgs,
    /// Interior grid points along x1: one value ≥ 1, or `auto` (from the classical momentum reach, grown when the tail check fails).
    #[arg(long = "n1", value_name = "N1|auto", allow_hyphen_values = true, value_parser = grid_size)]
    pub n1: GridSize,
    /// Interior grid points along x2: one value ≥ 1, or `auto`.
    #[arg(long = "n2", value_name = "N2|auto", allow_hyphen_values = true, value_parser = grid_size)]
    pub n2: GridSize,
    /// Largest population allowed in the highest n/16 sine modes of either axis at any observation.
    #[arg(long = "tail-tol", value_name = "TOL", default_value_t = 1e-6, allow_hyphen_values = true)]
    pub tail_tol: f64,
    /// Largest bound of the Strang phase error per period allowed (continuous interaction).
    #[arg(long = "step-tol", value_name = "TOL", default_value_t = 1.0, allow_hyphen_values = true)]
    pub step_tol: f64,
    /// Largest grid size an `auto` axis may grow to.
    #[arg(long = "max-n", value_name = "N", default_value_t = 16383, allow_hyphen_values = true)]
    pub max_n: i64,
    /// Number of kicks (periods) to propagate, ≥ 1.
    #[arg(long = "kicks", value_name = "K", allow_hyphen_values = true)]
    pub kicks: i64,
    /// Strang steps per period for the continuous interaction, ≥ 1.
    #[arg(
        long = "substeps",
        value_name = "S",
        default_value_t = 100,
        allow_hyphen_values = true
    )]
    pub substeps: i64,
    /// How the interaction acts: continuously between kicks, or once per period with the kick.
    #[arg(
        long = "interaction",
        value_name = "MODE",
        value_enum,
        default_value_t = InteractionArg::Continuous
    )]
    pub interaction: InteractionArg,
    /// Record the observables every this many kicks (and after the last kick), ≥ 1.
    #[arg(
        long = "observe-every",
        value_name = "E",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub observe_every: i64,
    /// Kicks at which to record the momentum distribution of particle 1 (comma list), e.g. 500.
    #[arg(long = "momentum-at", value_name = "KICKS", allow_hyphen_values = true)]
    pub momentum_at: Option<IntGrid>,
    /// MPI ranks that propagate one grid point together (must divide the rank count).
    #[arg(
        long = "ranks-per-task",
        value_name = "R",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub ranks_per_task: i64,
}

/// A grid size flag: a fixed number of interior points or `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridSize {
    Fixed(usize),
    Auto,
}

/// Value parser of `--n1`/`--n2`: `auto` or one whole number ≥ 1.
pub fn grid_size(text: &str) -> Result<GridSize, grid::GridError> {
    if text.trim() == "auto" {
        return Ok(GridSize::Auto);
    }
    let g = grid::positive_ints(text)?;
    if g.0.len() != 1 {
        return Err(grid::GridError(
            "takes one value or `auto` (it fixes the shape of the results)".into(),
        ));
    }
    usize::try_from(g.0[0])
        .map(GridSize::Fixed)
        .map_err(|_| grid::GridError("too large".into()))
}

/// Positive finite tolerance flag.
pub(crate) fn positive_tol(flag: &str, v: f64) -> Result<f64, InputError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(InputError::new(
            flag,
            format!("{v} is not allowed: must be finite and > 0"),
        ));
    }
    Ok(v)
}

/// The kicks listed by `flag` (each in `1..=kicks`), sorted, without repeats.
pub(crate) fn kicks_in_run(
    flag: &str,
    grid: Option<&IntGrid>,
    kicks: usize,
) -> Result<Vec<usize>, InputError> {
    let mut v = Vec::new();
    for &k in grid.map_or(&[][..], |g| &g.0[..]) {
        if k < 1 || k as u64 > kicks as u64 {
            return Err(InputError::new(
                flag,
                format!("{k} is not allowed: kicks must lie in 1..={kicks}"),
            ));
        }
        v.push(k as usize);
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Every `every`-th kick and the last one.
pub(crate) fn observed_kicks(kicks: usize, every: usize) -> Vec<usize> {
    let mut observed: Vec<usize> = (1..=kicks).filter(|k| k % every == 0).collect();
    if observed.last() != Some(&kicks) {
        observed.push(kicks);
    }
    observed
}

/// `--interaction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InteractionArg {
    Continuous,
    Kicked,
}

impl From<InteractionArg> for Interaction {
    fn from(i: InteractionArg) -> Self {
        match i {
            InteractionArg::Continuous => Interaction::Continuous,
            InteractionArg::Kicked => Interaction::Kicked,
        }
    }
}

impl ModelArgs for KickedArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(KickedModel::new(self)?))
    }
}

pub struct KickedModel {
    grid: Grid,
    n1: GridSize,
    n2: GridSize,
    /// Modes of `momentum_p1` per record.
    modes1: usize,
    /// Largest starting sizes over the sweep (memory estimate).
    max_start: (usize, usize),
    tail_tol: f64,
    step_tol: f64,
    max_n: usize,
    kicks: usize,
    substeps: usize,
    interaction: Interaction,
    interaction_arg: InteractionArg,
    observe_every: usize,
    observed: Vec<usize>,
    momentum_at: Vec<usize>,
    ranks_per_task: usize,
    /// Compute the purity at each observation (off: `purity` is NaN; for models
    /// that reuse this one and need only the moments).
    purity: bool,
}

fn size_axis(name: &str, flag: &str, size: GridSize, description: &str) -> Axis {
    let v = match size {
        GridSize::Fixed(n) => n as i64,
        GridSize::Auto => 0,
    };
    Axis::int(
        name,
        flag,
        &IntGrid(vec![v]),
        "1",
        &format!("{description}; 0 = auto (the size each point ran on is in /results/{name}_used)"),
    )
}

pub(crate) fn at_least_one(flag: &str, v: i64) -> Result<usize, InputError> {
    if v < 1 {
        return Err(InputError::new(
            flag,
            format!("{v} is not allowed: must be at least 1"),
        ));
    }
    usize::try_from(v).map_err(|_| InputError::new(flag, "too large"))
}

impl KickedModel {
    pub fn new(a: &KickedArgs) -> Result<Self, DriverError> {
        let hbar = Axis::real(
            "hbar",
            "--hbar",
            &a.hbar,
            DIMENSIONLESS,
            "effective Planck constant ħ_eff",
        );
        let [mass, eps, k1, k2, lambda] = a.particles.axes();
        let n1_axis = size_axis(
            "n1",
            "--n1",
            a.n1,
            "interior grid points along x1 (x_j = jπ/(n1+1))",
        );
        let n2_axis = size_axis(
            "n2",
            "--n2",
            a.n2,
            "interior grid points along x2 (x_j = jπ/(n2+1))",
        );
        let tail_tol = positive_tol("--tail-tol", a.tail_tol)?;
        let step_tol = positive_tol("--step-tol", a.step_tol)?;
        let max_n = at_least_one("--max-n", a.max_n)?;
        let kicks = at_least_one("--kicks", a.kicks)?;
        let substeps = at_least_one("--substeps", a.substeps)?;
        let observe_every = at_least_one("--observe-every", a.observe_every)?;
        let ranks_per_task = at_least_one("--ranks-per-task", a.ranks_per_task)?;
        let interaction = Interaction::from(a.interaction);
        let momentum_at = kicks_in_run("--momentum-at", a.momentum_at.as_ref(), kicks)?;
        // the time axis's length, checked before it is materialized
        let t = kicks / observe_every + usize::from(kicks % observe_every != 0);
        let grid = Grid::new(vec![hbar, mass, eps, k1, k2, lambda, n1_axis, n2_axis]);
        let mut model = KickedModel {
            grid,
            n1: a.n1,
            n2: a.n2,
            modes1: 0,
            max_start: (0, 0),
            tail_tol,
            step_tol,
            max_n,
            kicks,
            substeps,
            interaction,
            interaction_arg: a.interaction,
            observe_every,
            observed: Vec::new(),
            momentum_at,
            ranks_per_task,
            purity: true,
        };
        // starting sizes over the sweep: the momentum record's length and the memory estimate
        let mut max_start = (1, 1);
        for i in 0..model.grid.len() {
            let (s1, s2) = model.start_sizes(&model.params(&model.grid.point(i)));
            max_start = (max_start.0.max(s1), max_start.1.max(s2));
        }
        for (size, start, flag) in [(a.n1, max_start.0, "--n1"), (a.n2, max_start.1, "--n2")] {
            if size == GridSize::Auto && start > max_n {
                return Err(InputError::new(
                    flag,
                    format!(
                        "auto needs {start} grid points for some point of the sweep, more than --max-n {max_n}"
                    ),
                )
                .into());
            }
        }
        model.max_start = max_start;
        model.modes1 = max_start.0;
        let n1 = model.modes1;
        let momentum_at = &model.momentum_at;
        crate::limits::check_record_bytes(
            "--kicks",
            &format!("{kicks} kicks observed every {observe_every}"),
            (4 * t as u64 + (momentum_at.len() * n1) as u64).saturating_mul(8),
        )?;
        model.observed = observed_kicks(kicks, observe_every);
        Ok(model)
    }

    /// This model without the purity (NaN in its records): observations cost
    /// only the moments and tails. For models that reuse the kicked propagation
    /// ([`crate::models::transition`]); `qk kicked` itself always records it.
    pub(crate) fn without_purity(mut self) -> Self {
        self.purity = false;
        self
    }

    /// The grid a point starts on: the fixed sizes, or the classical reach.
    fn start_sizes(&self, p: &KickedParams) -> (usize, usize) {
        let (a1, a2) = qk_propagator::gridsize::auto_sizes(p, self.kicks);
        let pick = |s: GridSize, auto: usize| match s {
            GridSize::Fixed(n) => n,
            GridSize::Auto => auto,
        };
        (pick(self.n1, a1), pick(self.n2, a2))
    }

    fn params(&self, point: &[f64]) -> KickedParams {
        KickedParams {
            hbar: point[0],
            mass: point[1],
            eps: point[2],
            k1: point[3],
            k2: point[4],
            lambda: point[5],
            n1: 1,
            n2: 1,
            substeps: self.substeps,
            interaction: self.interaction,
        }
    }
}

impl Model for KickedModel {
    fn name(&self) -> &'static str {
        "kicked"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let mom: Vec<String> = self.momentum_at.iter().map(|k| k.to_string()).collect();
        vec![
            ("kicks".into(), self.kicks.to_string()),
            ("substeps".into(), self.substeps.to_string()),
            enum_option("interaction", &self.interaction_arg),
            ("observe_every".into(), self.observe_every.to_string()),
            ("momentum_at".into(), mom.join(",")),
            ("tail_tol".into(), format!("{:e}", self.tail_tol)),
            ("step_tol".into(), format!("{:e}", self.step_tol)),
            ("max_n".into(), self.max_n.to_string()),
        ]
    }

    /// Results do not depend on `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let series = |name: &str, units: &str, description: &str| {
            ObservableSpec::over(name, units, description, &["kick"])
        };
        let mut v = vec![
            series(
                "p1_sq",
                "ħ_eff² (p = ħ_eff k)",
                "⟨p1²⟩ after each observed kick (just before the next kick)",
            ),
            series(
                "p2_sq",
                "ħ_eff² (p = ħ_eff k)",
                "⟨p2²⟩ after each observed kick",
            ),
            series(
                "purity",
                "1",
                "purity Tr ρ1² of particle 1's reduced density matrix",
            ),
            series("norm", "1", "norm Σ|ψ|² (1 to round-off)"),
            series(
                "tail1",
                "1",
                "population of the highest max(1, n1/16) sine modes of axis 1 (resolution figure, ≤ --tail-tol)",
            ),
            series(
                "tail2",
                "1",
                "population of the highest max(1, n2/16) sine modes of axis 2 (resolution figure, ≤ --tail-tol)",
            ),
            series(
                "step_error",
                "rad per period",
                "bound of the Strang splitting phase error per period (0 for the kicked interaction; ≤ --step-tol)",
            ),
            ObservableSpec::scalar("n1_used", "1", "grid points along x1 the point ran on"),
            ObservableSpec::scalar("n2_used", "1", "grid points along x2 the point ran on"),
        ];
        if !self.momentum_at.is_empty() {
            v.push(ObservableSpec::over(
                "momentum_p1",
                "1 (probability per sine state)",
                "sine-basis momentum distribution of particle 1, P(k1) = Σ_k2 |c_k1k2|², p = ħ_eff k1, k1 = 1…n1",
                &["momentum_kick", "mode1"],
            ));
        }
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        kick_axes(
            &self.observed,
            &self.momentum_at,
            "momentum_p1",
            ExtraAxis {
                name: "mode1".into(),
                flag: "--n1".into(),
                values: AxisValues::Int((1..=self.modes1 as i64).collect()),
                units: "1".into(),
                description: "sine-basis index k1 = 1…n1 of particle 1 (momentum p = ħ_eff k1)"
                    .into(),
            },
        )
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        RanksPerTask::Fixed(self.ranks_per_task)
    }

    /// Work of a point: one 2D transform pair of its starting grid per period.
    fn cost(&self, point: &[f64]) -> f64 {
        let (n1, n2) = self.start_sizes(&self.params(point));
        qk_propagator::flops_dst_pair(n1, n2)
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let ((n1, n2), r) = (self.max_start, self.ranks_per_task);
        Some(MemoryEstimate {
            bytes_per_rank: qk_propagator::estimate_memory_bytes_per_rank_with(n1, n2, r, self.purity),
            flag: "--n1".into(),
            what: format!("a {n1} × {n2} grid on {r} rank(s) per task"),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(KickedWorker {
            model: self,
            plan: None,
        })
    }
}

struct KickedWorker<'m> {
    model: &'m KickedModel,
    /// The last plan built on this rank, reused while the grid size stays.
    plan: Option<Propagator>,
}

/// Why a watched propagation stopped early.
enum Stop {
    /// The tail of axis `axis` (1 or 2) exceeded the tolerance at `kick`.
    Tail { axis: usize, tail: f64, kick: usize },
    Failed(PointError),
}

impl KickedWorker<'_> {
    /// A propagator for `p`: the cached plan with new tables when the grid
    /// matches, a new plan otherwise.
    fn propagator(
        &mut self,
        p: &KickedParams,
        comm: &mpi::topology::SimpleCommunicator,
    ) -> Result<&mut Propagator, PointError> {
        let reuse = self
            .plan
            .as_ref()
            .is_some_and(|q| q.params().n1 == p.n1 && q.params().n2 == p.n2);
        if reuse {
            let prop = self.plan.as_mut().expect("checked");
            prop.set_params(p).map_err(|e| PointError::from_error(&e))?;
        } else {
            // free the old plan (and its communicator) before building the next
            self.plan = None;
            self.plan = Some(Propagator::new(p, comm).map_err(|e| PointError::from_error(&e))?);
        }
        Ok(self.plan.as_mut().expect("just set"))
    }

    /// One watched propagation on the grid of `p`.
    fn run(
        &mut self,
        p: &KickedParams,
        comm: &mpi::topology::SimpleCommunicator,
    ) -> Result<Record, Stop> {
        let m = self.model;
        let prop = self.propagator(p, comm).map_err(Stop::Failed)?;
        let t = m.observed.len();
        let mut series = vec![0.0; 7 * t];
        let mut momentum = Vec::with_capacity(m.momentum_at.len() * m.modes1);
        let (mut next_obs, mut next_mom) = (0, 0);
        for kick in 1..=m.kicks {
            prop.period();
            if next_mom < m.momentum_at.len() && m.momentum_at[next_mom] == kick {
                let mut dist = prop.momentum_p1();
                dist.resize(m.modes1, 0.0);
                momentum.extend(dist);
                next_mom += 1;
            }
            if next_obs < t && m.observed[next_obs] == kick {
                let o = prop.observables_with(m.purity);
                if !o.norm.is_finite() || (o.norm - 1.0).abs() > 1e-6 {
                    return Err(Stop::Failed(PointError(format!(
                        "norm {} after kick {kick}: propagation lost unitarity",
                        o.norm
                    ))));
                }
                for (axis, tail) in [(1, o.tail1), (2, o.tail2)] {
                    if tail.is_nan() || tail > m.tail_tol {
                        return Err(Stop::Tail { axis, tail, kick });
                    }
                }
                let step = qk_propagator::gridsize::strang_phase_error(p, o.p1_sq, o.p2_sq);
                if step > m.step_tol {
                    let need = qk_propagator::gridsize::substeps_for(step, p.substeps, m.step_tol);
                    return Err(Stop::Failed(PointError(format!(
                        "Strang step too long: phase error bound {step:.2e} per period after kick {kick} > --step-tol {:e}; needs --substeps >= {need} (or --interaction kicked)",
                        m.step_tol
                    ))));
                }
                for (q, v) in [o.p1_sq, o.p2_sq, o.purity, o.norm, o.tail1, o.tail2, step]
                    .into_iter()
                    .enumerate()
                {
                    series[q * t + next_obs] = v;
                }
                next_obs += 1;
            }
        }
        let mut record = Record::new();
        for (q, name) in [
            "p1_sq",
            "p2_sq",
            "purity",
            "norm",
            "tail1",
            "tail2",
            "step_error",
        ]
        .into_iter()
        .enumerate()
        {
            record = record.array(name, &series[q * t..(q + 1) * t]);
        }
        record = record
            .scalar("n1_used", p.n1 as f64)
            .scalar("n2_used", p.n2 as f64);
        Ok(if m.momentum_at.is_empty() {
            record
        } else {
            record.array("momentum_p1", &momentum)
        })
    }
}

impl Worker for KickedWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let mut p = m.params(task.point);
        (p.n1, p.n2) = m.start_sizes(&p);
        loop {
            match self.run(&p, task.comm) {
                Ok(record) => {
                    return Ok(record.method(format!("split-operator {} × {}", p.n1, p.n2)))
                }
                Err(Stop::Failed(e)) => return Err(e),
                Err(Stop::Tail { axis, tail, kick }) => {
                    let (a1, a2) = qk_propagator::gridsize::auto_sizes(&p, m.kicks);
                    let reach = if axis == 1 { a1 } else { a2 };
                    let (size, n) = if axis == 1 {
                        (m.n1, &mut p.n1)
                    } else {
                        (m.n2, &mut p.n2)
                    };
                    let grown = qk_propagator::gridsize::grown_size(*n);
                    let why = format!(
                        "grid too small: tail population {tail:.2e} (top {} sine modes of axis {axis}) after kick {kick} > --tail-tol {:e}",
                        qk_propagator::tail_modes(*n),
                        m.tail_tol
                    );
                    if size == GridSize::Auto && grown <= m.max_n {
                        *n = grown;
                        continue;
                    }
                    return Err(PointError(if size == GridSize::Auto {
                        format!("{why}; auto grew n{axis} to {n}, needs >= {grown} > --max-n {}", m.max_n)
                    } else {
                        format!("{why}; n{axis} = {n} needs >= {grown}, classical reach after {} kicks suggests {reach} (--n{axis} auto)", m.kicks)
                    }));
                }
            }
        }
    }
}

/// The trailing axes of a kicked propagation: `kick` (the kicks observed) and,
/// when momentum distributions are recorded, `momentum_kick` and the sine-mode
/// axis `mode` of the distribution named `momentum`.
pub(crate) fn kick_axes(
    observed: &[usize],
    momentum_at: &[usize],
    momentum: &str,
    mode: ExtraAxis,
) -> Vec<ExtraAxis> {
    let kicks = |ks: &[usize]| AxisValues::Real(ks.iter().map(|&k| k as f64).collect());
    let mut v = vec![ExtraAxis {
        name: "kick".into(),
        flag: "--kicks".into(),
        values: kicks(observed),
        units: "kick periods".into(),
        description: "kicks after which the time series were recorded".into(),
    }];
    if !momentum_at.is_empty() {
        v.push(ExtraAxis {
            name: "momentum_kick".into(),
            flag: "--momentum-at".into(),
            values: kicks(momentum_at),
            units: "kick periods".into(),
            description: format!("kicks after which {momentum} was recorded"),
        });
        v.push(mode);
    }
    v
}
