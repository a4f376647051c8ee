//! How a model plugs into the sweep engine.
//!
//! A model owns its grid (every parameter is an axis), declares its
//! observables, and makes one [`Worker`] per rank. Workers keep per-rank plans
//! (for instance a symbolic factorisation for one system size) across the
//! tasks they are handed. Kernels stay free of CLI, HDF5 and scheduling: the
//! model files in `models/` are the only place where both meet.

use crate::error::PointError;
use crate::grid::{AxisValues, Grid};
use mpi::topology::SimpleCommunicator;

/// One observable written to `/results/<name>` with shape `[grid axes…, shape…]`.
#[derive(Clone, Debug)]
pub struct ObservableSpec {
    pub name: String,
    pub units: String,
    pub description: String,
    /// Trailing (per point) dimensions; empty for a scalar.
    pub shape: Vec<usize>,
}

impl ObservableSpec {
    pub fn scalar(name: &str, units: &str, description: &str) -> Self {
        ObservableSpec {
            name: name.into(),
            units: units.into(),
            description: description.into(),
            shape: vec![],
        }
    }

    /// Number of values per grid point.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An axis dataset that is not a parameter, e.g. the kicks at which a time
/// series was observed (`/grid/kick`).
#[derive(Clone, Debug)]
pub struct ExtraAxis {
    pub name: String,
    pub values: Vec<f64>,
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

pub trait Model: Sync {
    /// Subcommand name, recorded in the output.
    fn name(&self) -> &'static str;
    /// The parameter grid.
    fn grid(&self) -> &Grid;
    /// Run options that are not grid axes but change the results (for the
    /// resume check and the root attributes), as (name, value).
    fn options(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Observables, in the order a worker returns them (concatenated, row-major).
    fn observables(&self) -> Vec<ObservableSpec>;
    /// Non-parameter axes written under `/grid/`.
    fn extra_axes(&self) -> Vec<ExtraAxis> {
        Vec::new()
    }
    /// Tables written once at file creation (see [`Table`]); none by default.
    fn extra_tables(&self) -> Vec<Table> {
        Vec::new()
    }
    /// Whether a worker's `values` that contain a non-finite entry are nevertheless a
    /// legitimate result. Called only for such records; by default (`false`) the point
    /// is recorded as failed ("non-finite value in results"), since numerical failure
    /// must never be written as a number. A model overrides this only where a NaN is
    /// the documented meaning of a result, and should accept exactly that case (e.g. a
    /// divergent integral whose `diverges` observable is 1 and whose NaN entries are
    /// the documented ones).
    fn accepts_non_finite(&self, values: &[f64]) -> bool {
        let _ = values;
        false
    }
    /// Relative cost of a point; the scheduler hands out the most expensive first.
    fn cost(&self, point: &[f64]) -> f64 {
        let _ = point;
        1.0
    }
    /// Ranks that compute one point together (a sub-communicator of that size).
    fn ranks_per_task(&self) -> usize {
        1
    }
    /// A fresh per-rank worker.
    fn worker(&self) -> Box<dyn Worker + '_>;
}

pub trait Worker {
    /// Compute one grid point; all observables concatenated in declaration order.
    /// `comm` is the sub-communicator of the ranks computing this point
    /// (`MPI_COMM_SELF` when one rank computes it).
    fn compute(&mut self, point: &[f64], comm: &SimpleCommunicator)
        -> Result<Vec<f64>, PointError>;
}
