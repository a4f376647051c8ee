//! `qk probe`: the driver's own test model — no physics, so that the machinery (files,
//! locks, group commit, signals, Slurm requeue, dimension scales) can be exercised and
//! timed with points that cost nothing or a chosen time.
//!
//! Axes `x` (`--x`, any reals) and `y` (`--y`, default 0); extra axis `k` = 0, 1, …,
//! `--len` − 1. Per point:
//!
//! ```text
//!     value  = x² + y
//!     series = x·k   (over k)
//! ```
//!
//! A point with x > `--fail-above` fails with the reason "x above --fail-above" (a
//! numerical failure as a real model reports it). `--sleep-ms` makes each point take that
//! long (a setting: it changes no result).

use crate::error::{DriverError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, RealGrid};
use crate::model::{ExtraAxis, Model, ModelArgs, ObservableSpec, Record, Task, Worker};
use clap::Args;

/// Driver self-test: value = x² + y and series = x·k per point, optionally slow or failing.
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// x (grid of reals).
    #[arg(long = "x", value_name = "GRID", allow_hyphen_values = true)]
    pub x: RealGrid,
    /// y (grid of reals).
    #[arg(long = "y", value_name = "GRID", default_value = "0", allow_hyphen_values = true)]
    pub y: RealGrid,
    /// Length of the extra axis k of `series`, ≥ 1.
    #[arg(long = "len", value_name = "L", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub len: u32,
    /// Milliseconds each point takes (sleep; ≥ 0).
    #[arg(long = "sleep-ms", value_name = "MS", default_value = "0", value_parser = grid::non_negative)]
    pub sleep_ms: RealGrid,
    /// Points with x above this fail (a recorded numerical failure).
    #[arg(long = "fail-above", value_name = "X", allow_hyphen_values = true)]
    pub fail_above: Option<f64>,
}

impl ModelArgs for ProbeArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(ProbeModel {
            grid: Grid::new(vec![
                Axis::real("x", "--x", &self.x, "1", "the probe's first parameter"),
                Axis::real("y", "--y", &self.y, "1", "the probe's second parameter"),
            ]),
            len: self.len as usize,
            sleep: std::time::Duration::from_secs_f64(
                self.sleep_ms.0.first().copied().unwrap_or(0.0) / 1e3,
            ),
            fail_above: self.fail_above,
        }))
    }
}

pub struct ProbeModel {
    grid: Grid,
    len: usize,
    sleep: std::time::Duration,
    fail_above: Option<f64>,
}

impl Model for ProbeModel {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            ("len".into(), self.len.to_string()),
            (
                "fail_above".into(),
                self.fail_above.map_or("none".into(), |v| format!("{v:e}")),
            ),
        ]
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![(
            "sleep_ms".into(),
            format!("{}", self.sleep.as_secs_f64() * 1e3),
        )]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        vec![
            ObservableSpec::scalar("value", "1", "x^2 + y"),
            ObservableSpec::over("series", "1", "x k", &["k"]),
        ]
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![ExtraAxis {
            name: "k".into(),
            flag: "--len".into(),
            values: AxisValues::Int((0..self.len as i64).collect()),
            units: "1".into(),
            description: "index of the series".into(),
        }]
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(ProbeWorker { model: self })
    }
}

struct ProbeWorker<'a> {
    model: &'a ProbeModel,
}

impl Worker for ProbeWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let (x, y) = (task.point[0], task.point[1]);
        if !self.model.sleep.is_zero() {
            std::thread::sleep(self.model.sleep);
        }
        if self.model.fail_above.is_some_and(|f| x > f) {
            return Err(PointError("x above --fail-above".into()));
        }
        let series: Vec<f64> = (0..self.model.len).map(|k| x * k as f64).collect();
        Ok(Record::new()
            .scalar("value", x * x + y)
            .array("series", &series))
    }
}
