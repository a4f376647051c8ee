//! The `qk` sweep engine: parameter grids, MPI scheduling with dynamic load
//! balancing, HDF5 output written as points finish, and `--resume`.
//!
//! Data flows one way: CLI → [`grid::Grid`] of points → [`schedule`] hands
//! points to ranks → a model's [`model::Worker`] computes a point's
//! [`model::Record`] → rank 0 checks it against the declared observables and
//! writes it with [`output::Output`], marking it done.
//!
//! Exit status: 0 when the sweep finished (numerically failed points are
//! recorded per point, see `/status/error`), 2 for bad input (one line naming
//! the flag, nothing written), 1 for I/O or MPI failure, 3 when a signal stopped it
//! after writing what had finished ([`signals`]; rerun with `--resume`), 128 + the
//! signal number after a second signal.
//!
//! # How to add a model
//!
//! A model is one file plus one registration line; nothing else in the driver changes.
//!
//! 1. Write `driver/src/models/<name>.rs` (start from `spinwave.rs`, the smallest) with
//!    - the arguments: `#[derive(clap::Args, Debug)] pub struct FooArgs`, whose doc
//!      comment is the subcommand's help line. Swept parameters are grids parsed by clap:
//!      `h: grid::RealGrid` (any finite values; add `allow_hyphen_values = true` so that
//!      `--h -0.5` parses), `value_parser = grid::positive`, `grid::non_negative`,
//!      `grid::positive_ints` or `grid::ints_in::<1, 3>` for a range rule, and
//!      `grid::IntGrid` for whole numbers. Enumerated options are `#[derive(clap::ValueEnum)]`
//!      enums (`#[arg(long, value_enum, default_value_t = Method::Direct)]`). Do not add
//!      output flags: [`cli::Run`] adds `-o`, `--resume`, `--retry-failed`, `--force`,
//!      `--flush-interval`, `-q` to every subcommand;
//!    - `impl ModelArgs for FooArgs`: `build` checks what clap could not (rules across
//!      flags) with an [`error::InputError`] naming the flag, and returns the model;
//!    - `impl Model for FooModel`: `name`, `grid` (one [`grid::Axis`] per parameter, fixed
//!      ones of length 1: `Axis::real(name, flag, &grid, units, description)`),
//!      `observables` ([`model::ObservableSpec::scalar`], or `ObservableSpec::over` with
//!      the names of [`model::Model::extra_axes`] for arrays), `options` (**every**
//!      option that can change a result, e.g. with [`model::enum_option`]: recorded as root
//!      attributes and checked by `--resume`), `settings` (recorded options that cannot
//!      change a result, e.g. a thread count), `memory_per_rank` (so the driver refuses
//!      sizes the node cannot hold), `cost` and `ranks_per_task` where they matter, and
//!      `worker`;
//!    - `impl Worker for FooWorker`: `compute(&mut self, task: &Task)` reads
//!      `task.point` (one value per axis), `task.index` (the point's stable index in the
//!      full grid: seed random streams with it) and `task.comm` (the ranks computing the
//!      point), and returns `Record::new().scalar("a", a).array("b", &b)`, one slot per
//!      observable in declaration order, optionally `.method("label")` (which method
//!      produced the result, written to `/status/method`), or a [`error::PointError`]
//!      saying why the point failed.
//! 2. Add one line `foo => Foo(FooArgs),` to the `register_models!` list in
//!    `driver/src/models/mod.rs`: `qk foo` exists.
//! 3. Test it end to end in `tests/` (see `tests/common/mod.rs`): the results against
//!    a reference, bad input exiting 2 naming the flag, `--resume` refusing a changed
//!    option, 1 and 2 ranks giving identical results.
//!
//! The driver checks each record against the declared observables (a missing, extra,
//! misnamed, short or long slot makes the point fail with that reason), refuses non-finite
//! values unless [`model::Model::accepts_non_finite`] documents them, writes the
//! observables, the axes as dimension scales, the options, and the status of every point.

pub mod cli;
pub mod error;
pub mod file_safety;
pub mod grid;
pub mod limits;
pub mod model;
pub mod model_cli;
pub mod model_file;
pub mod models;
pub mod output;
pub mod progress;
pub mod record;
pub mod retry;
pub mod schedule;
pub mod signals;
pub mod sweep;
pub mod sysinfo;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use std::process::ExitCode;

/// Commit the binary was built from.
pub const GIT_COMMIT: &str = env!("QK_GIT_COMMIT");

#[derive(Parser, Debug)]
#[command(
    name = "qk",
    version,
    about = "Parameter sweeps of quantum-optics and condensed-matter kernels, split over MPI ranks, written to HDF5",
    long_about = "Parameter sweeps of quantum-optics and condensed-matter kernels.\n\n\
Any swept parameter takes a grid: v | v1,v2,... | start:stop:count (inclusive).\n\
Several swept parameters form a Cartesian product. Run alone (one rank) or under\n\
mpirun/srun: the grid points are spread over all ranks with dynamic load balancing,\n\
and rank 0 writes the finished points to the HDF5 file as they come."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: models::Command,
}

fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// A command-line error as one line naming the flag (clap's own rendering spans
/// several lines with usage and tips).
fn one_line(e: &clap::Error) -> String {
    let flag = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split(' ').next().unwrap_or(s).to_string(),
        _ => String::new(),
    };
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::ValueValidation if !flag.is_empty() => {
            let why = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("'{value}' is not allowed"));
            format!("{flag}: {why}")
        }
        ErrorKind::MissingRequiredArgument => match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(v)) => format!("missing {}", v.join(", ")),
            _ => "a required flag is missing".into(),
        },
        ErrorKind::InvalidValue if !flag.is_empty() => {
            let valid = match e.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(v)) => format!(" (expected one of: {})", v.join(", ")),
                _ => String::new(),
            };
            format!("{flag}: '{value}' is not allowed{valid}")
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("").trim();
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    }
}

pub fn main() -> ExitCode {
    // before MPI start-up: a time-limit signal may come at any moment of a batch job
    signals::install();
    sysinfo::tune_mpi_start_up();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print(); // --help, --version
            } else if sysinfo::speaks() {
                eprintln!("qk: error: {}", one_line(&e));
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let command_line = std::env::args()
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    cli.command.execute(command_line)
}
