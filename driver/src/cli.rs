//! The command line around a model: the generic [`Run`] wrapper adds the output flags
//! shared by every subcommand to a model's own arguments, builds the model and runs
//! the sweep. Models never see these flags; this module knows no model (the list of
//! subcommands is in [`crate::models`]).

use crate::model::ModelArgs;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

// One subcommand: the model's arguments, then the output flags (no doc comment: it
// would replace the model's help line).
#[derive(Args, Debug)]
pub struct Run<A: ModelArgs> {
    #[command(flatten)]
    pub model: A,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl<A: ModelArgs> Run<A> {
    /// Build the model (bad input: one line, exit status 2) and run its sweep.
    pub fn execute(&self, command_line: String) -> ExitCode {
        match self.model.build() {
            Ok(model) => crate::sweep::run(model.as_ref(), &self.output, command_line),
            Err(e) => {
                if crate::sysinfo::speaks() {
                    eprintln!("qk: error: {e}");
                }
                ExitCode::from(e.exit_status())
            }
        }
    }
}

// The output flags of every subcommand (no doc comment: a struct's doc comment would
// become the subcommand's help line).
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// HDF5 output file (its directory must exist).
    #[arg(short = 'o', long = "output", value_name = "FILE.h5")]
    pub output: PathBuf,
    /// Complete an interrupted run in FILE (refused if its parameters differ); creates FILE
    /// if it does not exist, so a requeued batch job can always pass it.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// With --resume: also recompute the points that failed (their failed flag and error
    /// are cleared when they succeed).
    #[arg(long, requires = "resume")]
    pub retry_failed: bool,
    /// Replace FILE if it exists (refused while another job holds it).
    #[arg(long)]
    pub force: bool,
    /// Write finished points at most every SECONDS (and at exit): a kill loses at most
    /// the points finished in that window (0: write every point as it finishes).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = flush_interval)]
    pub flush_interval: Duration,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--flush-interval`: a finite number of seconds ≥ 0.
fn flush_interval(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("'{text}' is not a number of seconds in [0, 86400]")),
    }
}
