//! The model contract: how a model plugs into the sweep engine.
//!
//! A model is three things, all in one file under `models/`:
//!
//! - its command-line arguments, a `#[derive(clap::Args)]` struct implementing
//!   [`ModelArgs`] (the struct's doc comment is the subcommand's help line; the output
//!   flags `-o/--resume/--force/...` are added by the generic [`crate::cli::Run`]
//!   wrapper, never by the model);
//! - a [`Model`]: the parameter [`Grid`], the declared observables, the options that can
//!   change a result, a memory estimate, and a factory of workers;
//! - a [`Worker`] per rank: it computes one [`Task`] (a grid point with its stable index
//!   and the communicator of the ranks computing it) into a [`Record`] of named slots, or
//!   fails with a [`PointError`].
//!
//! The driver checks every record against the declared observables (names, order,
//! lengths) on the rank that computed it and again on rank 0 after it crossed MPI: a
//! short, long or misnamed record is a failed point with its reason, never a panic and
//! never a number in the file. Kernels stay free of CLI, HDF5 and scheduling: the model
//! files are the only place where both meet.

use crate::error::{DriverError, PointError};
use crate::grid::{AxisValues, Grid};
pub use crate::record::Record;
use mpi::topology::SimpleCommunicator;

/// The command-line arguments of one subcommand: a `#[derive(clap::Args, Debug)]` struct
/// whose doc comment is the subcommand's one-line help.
pub trait ModelArgs: clap::Args + clap::FromArgMatches + std::fmt::Debug {
    /// Validate the arguments that clap could not validate alone (cross-flag rules) and
    /// build the model. Bad input is an [`crate::error::InputError`] naming the flag.
    fn build(&self) -> Result<Box<dyn Model>, DriverError>;
}

/// One observable written to `/results/<name>` with shape `[grid axes…, dims…]`.
#[derive(Clone, Debug)]
pub struct ObservableSpec {
    pub name: String,
    pub units: String,
    pub description: String,
    /// Names of the trailing (per point) axes, each one of the model's
    /// [`Model::extra_axes`]; empty for a scalar.
    pub dims: Vec<String>,
}

impl ObservableSpec {
    /// A single number per grid point.
    pub fn scalar(name: &str, units: &str, description: &str) -> Self {
        Self::over(name, units, description, &[])
    }

    /// An array per grid point over the named extra axes (row-major, the first slowest).
    pub fn over(name: &str, units: &str, description: &str, dims: &[&str]) -> Self {
        ObservableSpec {
            name: name.into(),
            units: units.into(),
            description: description.into(),
            dims: dims.iter().map(|d| d.to_string()).collect(),
        }
    }
}

/// An axis dataset that is not a parameter: a trailing axis of some observables, e.g.
/// the kicks at which a time series was observed (`/grid/kick`).
#[derive(Clone, Debug)]
pub struct ExtraAxis {
    pub name: String,
    /// The flag that sets its length (named when the output would be too large).
    pub flag: String,
    pub values: AxisValues,
    pub units: String,
    pub description: String,
}

/// A small table written once, when the output file is created, as the group
/// `/<name>` with one 1D dataset per column (attributes `units`, `description`), for
/// per-run constants that are not grid points (e.g. `qk lindemann --thresholds`).
#[derive(Clone, Debug)]
pub struct Table {
    /// Group name under the root; must differ from `grid`, `results` and `status`.
    pub name: String,
    pub description: String,
    pub columns: Vec<TableColumn>,
}

/// One column of a [`Table`]; all columns of a table have the same length.
#[derive(Clone, Debug)]
pub struct TableColumn {
    pub name: String,
    pub values: AxisValues,
    pub units: String,
    pub description: String,
}

/// A group of datasets derived from the whole finished sweep (e.g. thresholds located
/// along one grid axis), over a subset of the grid axes. Laid out at file creation like
/// the results (NaN-filled, so the file's metadata never changes afterwards) and filled
/// by world rank 0 once every point is done ([`Model::derive`]); after an interrupted
/// run it stays NaN until a `--resume` completes the sweep.
#[derive(Clone, Debug)]
pub struct DerivedGroup {
    /// Group name under the root; must differ from `grid`, `results`, `status` and the tables.
    pub name: String,
    pub description: String,
    /// The grid axes the datasets run over, in grid order (a subset of the grid's axes).
    pub axes: Vec<String>,
    /// One dataset per column, each of shape `[len(axis) for axis in axes]`.
    pub columns: Vec<DerivedColumn>,
}

/// One dataset of a [`DerivedGroup`].
#[derive(Clone, Debug)]
pub struct DerivedColumn {
    pub name: String,
    pub units: String,
    pub description: String,
}

/// The finished sweep handed to [`Model::derive`]: every observable over the whole grid
/// (row-major over the grid axes, then the observable's own axes) and which points
/// succeeded.
#[derive(Clone, Debug, Default)]
pub struct SweepResults {
    /// `ok[i]`: point `i` is done and did not fail.
    pub ok: Vec<bool>,
    /// `(observable name, values)`; a failed point's values are NaN.
    pub values: Vec<(String, Vec<f64>)>,
}

impl SweepResults {
    /// The values of observable `name` over the whole grid.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Estimated peak memory of one rank while it computes points of the model (plans,
/// work arrays, one record), for the up-front refusal of sizes the node cannot hold.
#[derive(Clone, Debug)]
pub struct MemoryEstimate {
    pub bytes_per_rank: u64,
    /// The flag whose value drives the estimate (named in the refusal).
    pub flag: String,
    /// What needs the memory, e.g. "N = 400 with --ordering nd".
    pub what: String,
}

/// One grid point handed to a worker.
pub struct Task<'a> {
    /// The point's index in the full grid (row-major over the axes, the first axis
    /// slowest): the same whichever rank computes it, in whichever order, before or after
    /// `--resume`. Seed counter-based random streams with it.
    pub index: usize,
    /// Parameter values, one per grid axis (a label axis gives the label's index).
    pub point: &'a [f64],
    /// The ranks computing this point together (`MPI_COMM_SELF` when one rank does).
    pub comm: &'a SimpleCommunicator,
}

pub trait Model: Sync {
    /// Subcommand name, recorded in the output (root attribute `model`).
    fn name(&self) -> &'static str;
    /// The parameter grid.
    fn grid(&self) -> &Grid;
    /// Every option that is not a grid axis and can change a result, as (name, value):
    /// written as root attributes and part of the `--resume` signature.
    fn options(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Options recorded as root attributes that cannot change a result (e.g. a thread
    /// count when results are bit-identical for any), hence not part of the signature:
    /// a resume may use other values (the file keeps those of the run that created it).
    fn settings(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Observables, in the order a worker's record holds them.
    fn observables(&self) -> Vec<ObservableSpec>;
    /// Non-parameter axes written under `/grid/` (the trailing axes of observables).
    fn extra_axes(&self) -> Vec<ExtraAxis> {
        Vec::new()
    }
    /// Tables written once at file creation (see [`Table`]); none by default.
    fn extra_tables(&self) -> Vec<Table> {
        Vec::new()
    }
    /// Groups derived from the finished sweep (see [`DerivedGroup`]); none by default.
    fn derived(&self) -> Vec<DerivedGroup> {
        Vec::new()
    }
    /// The values of every [`Model::derived`] group from the finished sweep: one vector
    /// per group, per column, each the length of the group's shape (row-major). Called
    /// on world rank 0 once every point is done; NaN where a value is absent.
    fn derive(&self, results: &SweepResults) -> Vec<Vec<Vec<f64>>> {
        let _ = results;
        Vec::new()
    }
    /// Whether a record that contains a non-finite entry is nevertheless a legitimate
    /// result. Called only for such records (already checked against the declared
    /// observables); by default (`false`) the point is recorded as failed ("non-finite
    /// value in results"), since numerical failure must never be written as a number. A
    /// model overrides this only where a NaN is the documented meaning of a result, and
    /// should accept exactly that case (e.g. a divergent integral whose `diverges`
    /// observable is 1 and whose NaN entries are the documented ones).
    fn accepts_non_finite(&self, record: &Record) -> bool {
        let _ = record;
        false
    }
    /// Relative cost of a point; the scheduler hands out the most expensive first.
    fn cost(&self, point: &[f64]) -> f64 {
        let _ = point;
        1.0
    }
    /// Ranks that compute one point together (a sub-communicator of that size).
    fn ranks_per_task(&self) -> RanksPerTask {
        RanksPerTask::Fixed(1)
    }
    /// Peak memory of one rank (see [`MemoryEstimate`]); `None` when negligible. The
    /// driver multiplies it by the ranks placed on each node and compares with the
    /// node's memory (or its cgroup limit) before anything is written.
    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        None
    }
    /// A fresh per-rank worker. Workers keep per-rank plans (for instance a symbolic
    /// factorisation for one system size) across the tasks they are handed.
    fn worker(&self) -> Box<dyn Worker + '_>;
}

pub trait Worker {
    /// Compute one grid point into a record holding every declared observable, in
    /// declaration order (see [`Record`]); a numerical failure is a [`PointError`]
    /// saying why. Every rank of `task.comm` is handed the same task.
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError>;
}

/// An enumerated option's value spelled as on the command line.
pub fn spelled<E: clap::ValueEnum>(value: &E) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// `(name, value)` of an enumerated option for [`Model::options`], the value spelled as
/// on the command line.
pub fn enum_option<E: clap::ValueEnum>(name: &str, value: &E) -> (String, String) {
    (name.to_string(), spelled(value))
}

/// How many ranks compute one point together (`--ranks-per-task R|auto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RanksPerTask {
    /// Exactly this many; it must divide the number of ranks.
    Fixed(usize),
    /// Chosen per run from the ranks and the points to compute (see [`Self::resolve`]);
    /// only for models whose results do not depend on it.
    Auto,
}

impl RanksPerTask {
    /// The group size for `ranks` MPI ranks and `points` pending points.
    ///
    /// `Auto` takes the divisor `g` of `ranks` (number of groups) that minimizes
    /// ⌈points/g⌉·g — the sweep's length in units of one point on all ranks, for points of
    /// equal cost that parallelize perfectly — preferring more, smaller groups on a tie:
    /// a single point gets every rank, a sweep of at least as many points as ranks gets
    /// one rank per point. Where rank 0 cannot compute beside coordinating (no
    /// `MPI_THREAD_MULTIPLE`) it stays at one rank per point.
    pub fn resolve(self, ranks: usize, points: usize, rank0_can_share: bool) -> usize {
        match self {
            RanksPerTask::Fixed(r) => r,
            RanksPerTask::Auto if !rank0_can_share => 1,
            RanksPerTask::Auto => {
                let points = points.max(1);
                let groups = (1..=ranks)
                    .filter(|g| ranks % g == 0)
                    .min_by_key(|&g| (points.div_ceil(g) * g, std::cmp::Reverse(g)))
                    .unwrap_or(1);
                ranks / groups
            }
        }
    }

    /// Parse `--ranks-per-task`: `auto` or a whole number ≥ 1.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "auto" {
            return Ok(RanksPerTask::Auto);
        }
        match text.parse::<usize>() {
            Ok(r) if r >= 1 => Ok(RanksPerTask::Fixed(r)),
            _ => Err(format!("{text:?} is not a whole number ≥ 1 or auto")),
        }
    }
}

impl std::fmt::Display for RanksPerTask {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            RanksPerTask::Fixed(r) => write!(f, "{r}"),
            RanksPerTask::Auto => f.write_str("auto"),
        }
    }
}

#[cfg(test)]
mod ranks_per_task_tests {
    use super::RanksPerTask::{Auto, Fixed};

    #[test]
    fn auto_gives_a_single_point_every_rank_and_a_sweep_one_rank_per_point() {
        assert_eq!(Auto.resolve(2, 1, true), 2);
        assert_eq!(Auto.resolve(4, 1, true), 4);
        assert_eq!(Auto.resolve(4, 2, true), 2);
        assert_eq!(Auto.resolve(4, 3, true), 4); // 3 rounds of ¼ beat 2 rounds of ½
        assert_eq!(Auto.resolve(3, 2, true), 3);
        assert_eq!(Auto.resolve(2, 2, true), 1);
        assert_eq!(Auto.resolve(2, 1000, true), 1);
        assert_eq!(Auto.resolve(6, 4, true), 3); // 2 groups × 2 rounds = 4 < 6
        assert_eq!(Auto.resolve(1, 1, true), 1);
        assert_eq!(Auto.resolve(2, 0, true), 2);
        assert_eq!(Auto.resolve(4, 1, false), 1);
        assert_eq!(Fixed(2).resolve(4, 1000, true), 2);
        for ranks in 1..=12 {
            for points in 0..30 {
                assert_eq!(ranks % Auto.resolve(ranks, points, true), 0);
            }
        }
    }

    #[test]
    fn parse_takes_auto_or_a_positive_count() {
        use super::RanksPerTask;
        assert_eq!(RanksPerTask::parse("auto").unwrap(), Auto);
        assert_eq!(RanksPerTask::parse("3").unwrap(), Fixed(3));
        for bad in ["0", "-1", "two", "", "1.5"] {
            assert!(RanksPerTask::parse(bad).is_err(), "{bad}");
        }
    }
}
