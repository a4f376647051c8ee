//! The command line: one subcommand per model, shared output flags.

use crate::error::DriverError;
use crate::model::Model;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "qk",
    version,
    about = "Parameter sweeps of quantum-optics and condensed-matter kernels, split over MPI ranks, written to HDF5",
    long_about = "Parameter sweeps of quantum-optics and condensed-matter kernels.\n\n\
Any swept parameter takes a grid: v | v1,v2,... | start:stop:count (inclusive).\n\
Several swept parameters form a Cartesian product. Run alone (one rank) or under\n\
mpirun/srun: the grid points are spread over all ranks with dynamic load balancing,\n\
and rank 0 writes each finished point to the HDF5 file at once."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Steady states of the dissipative Lipkin-Meshkov-Glick model (sparse Lindblad solver).
    Lmg(crate::models::lmg::LmgArgs),
    /// Lindemann ratio r0/a of a hypercubic crystal (Brillouin-zone quadrature, exact vs Debye).
    Lindemann(crate::models::lindemann::LindemannArgs),
    /// Linear spin-wave zero-point quantities of the Heisenberg antiferromagnet.
    Spinwave(crate::models::spinwave::SpinWaveArgs),
    /// Two interacting kicked particles in an infinite well (distributed split-operator propagation).
    Kicked(crate::models::kicked::KickedArgs),
}

impl Command {
    /// Validate the arguments and build the model; bad input is an `InputError`.
    pub fn build(&self) -> Result<(Box<dyn Model>, &OutputArgs), DriverError> {
        match self {
            Command::Lmg(a) => Ok((Box::new(crate::models::lmg::LmgModel::new(a)?), &a.output)),
            Command::Lindemann(a) => Ok((
                Box::new(crate::models::lindemann::LindemannModel::new(a)?),
                &a.output,
            )),
            Command::Spinwave(a) => Ok((
                Box::new(crate::models::spinwave::SpinWaveModel::new(a)?),
                &a.output,
            )),
            Command::Kicked(a) => Ok((
                Box::new(crate::models::kicked::KickedModel::new(a)?),
                &a.output,
            )),
        }
    }
}

/// Output flags shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// HDF5 output file (its directory must exist).
    #[arg(short = 'o', long = "output", value_name = "FILE.h5")]
    pub output: PathBuf,
    /// Complete an interrupted run in FILE (refused if its parameters differ).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
}
