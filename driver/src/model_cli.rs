//! A model file on the command line (`qk <subcommand> --model FILE.h5`),
//! shared by every subcommand that takes one: the file is read once when
//! the subcommand's flags are built, its parameters become flags
//! `--name GRID` (`_` written `-`; optional when the file stores a default,
//! so `qk <subcommand> --model FILE.h5 --help` lists them), and the grids
//! given become the sweep's axes, in the file's order. The system at a grid
//! point is then [`qk_model::ParametricModel::system`] at the point's
//! values (`H(θ) = Σ f θ H_p`, `C_k(θ) = √(f θ) A_k`, docs/model_format.md).

use crate::error::{DriverError, InputError};
use crate::grid::{Axis, Grid, RealGrid};
use crate::model_file::{self, ModelFile};
use clap::{Arg, ArgMatches, Command};
use std::path::Path;
use std::sync::OnceLock;

/// The model file named by `--model` on this process's command line when
/// the subcommand is `subcommand`, read once (`None`: another subcommand, or
/// no `--model`).
pub fn command_line_model(subcommand: &str) -> Option<&'static Result<ModelFile, InputError>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some(subcommand) {
        return None;
    }
    // One process runs one subcommand: one file at most.
    static LOADED: OnceLock<Option<Result<ModelFile, InputError>>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let paths: Vec<String> = args
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    if a == "--model" {
                        args.get(i + 1).cloned()
                    } else {
                        a.strip_prefix("--model=").map(str::to_string)
                    }
                })
                .collect();
            if paths.len() > 1 {
                // the flags would be the first file's: say so, not "unexpected argument"
                return Some(Err(InputError::new(
                    "--model",
                    format!("given {} times; one model file per run", paths.len()),
                )));
            }
            Some(model_file::load(Path::new(paths.first()?), "--model"))
        })
        .as_ref()
}

fn param_id(name: &str) -> String {
    format!("param:{name}")
}

/// `cmd` with a flag `--name GRID` per parameter of the command line's model
/// file (none without one). A file that cannot be read is reported here, in
/// one line, with exit status 2: its parameter flags cannot be known.
pub fn add_parameter_flags(mut cmd: Command, subcommand: &str) -> Command {
    match command_line_model(subcommand) {
        Some(Ok(file)) => {
            for p in file.model.parameters() {
                let help = match p.default {
                    Some(v) => format!("{} (grid; default {v})", p.description),
                    None => format!("{} (grid; required)", p.description),
                };
                cmd = cmd.arg(
                    Arg::new(param_id(&p.name))
                        .long(ModelFile::flag(&p.name)[2..].to_string())
                        .value_name("GRID")
                        .allow_hyphen_values(true)
                        .value_parser(|s: &str| s.parse::<RealGrid>())
                        .help(help),
                );
            }
        }
        Some(Err(e)) => {
            if crate::sysinfo::speaks() {
                eprintln!("qk: error: {e}");
            }
            std::process::exit(2);
        }
        None => {}
    }
    cmd
}

/// The grid given for each parameter of the command line's model file, in
/// the file's order (empty without a file).
pub fn parameter_grids(m: &ArgMatches, subcommand: &str) -> Vec<Option<RealGrid>> {
    match command_line_model(subcommand) {
        Some(Ok(file)) => file
            .model
            .parameters()
            .iter()
            .map(|p| m.get_one::<RealGrid>(&param_id(&p.name)).cloned())
            .collect(),
        _ => Vec::new(),
    }
}

/// The model file `path` given to `subcommand`: the one read for its flags
/// when it is that file, read again otherwise.
///
/// # Errors
/// As [`model_file::load`].
pub fn model_for(subcommand: &str, path: &Path) -> Result<ModelFile, InputError> {
    match command_line_model(subcommand) {
        Some(Ok(f)) if f.path == path => Ok(f.clone()),
        _ => model_file::load(path, "--model"),
    }
}

/// One axis per parameter of `file`: its grid from `grids` (the file's
/// order) or its default. A parameter without either, or a grid value giving
/// a collapse operator a negative rate, is an [`InputError`] naming the
/// parameter's flag.
///
/// # Errors
/// As above.
pub fn parameter_axes(
    file: &ModelFile,
    grids: &[Option<RealGrid>],
) -> Result<Vec<Axis>, DriverError> {
    let model = &file.model;
    let mut axes = Vec::new();
    for (k, p) in model.parameters().iter().enumerate() {
        let flag = ModelFile::flag(&p.name);
        let grid = match (grids.get(k).cloned().flatten(), p.default) {
            (Some(g), _) => g,
            (None, Some(v)) => RealGrid(vec![v]),
            (None, None) => {
                return Err(InputError::new(
                    &flag,
                    format!(
                        "missing: parameter '{}' of {} has no default",
                        p.name,
                        file.path.display()
                    ),
                )
                .into())
            }
        };
        // every rate f θ of this parameter must be ≥ 0 on its grid
        for t in model
            .collapse_terms()
            .iter()
            .filter(|t| t.parameter == Some(k))
        {
            if let Some(v) = grid.0.iter().find(|&&v| t.factor * v < 0.0) {
                return Err(InputError::new(
                    &flag,
                    format!(
                        "{v} gives collapse operator '{}' the negative rate {}",
                        t.name,
                        t.factor * v
                    ),
                )
                .into());
            }
        }
        let desc = if p.description.is_empty() {
            format!("parameter {} of the model file", p.name)
        } else {
            p.description.clone()
        };
        axes.push(Axis::real(
            &p.name,
            &flag,
            &grid,
            "model units (ħ = 1)",
            &desc,
        ));
    }
    Ok(axes)
}

/// Refuses (one line, exit status 2) a model file on the command line of
/// `subcommand` whose parameter flag is also one of `cmd`'s own flags
/// (e.g. a parameter `omega` for `qk spectrum --omega`): call it before
/// [`add_parameter_flags`].
pub fn refuse_flag_clashes(cmd: &Command, subcommand: &str) {
    let Some(Ok(file)) = command_line_model(subcommand) else {
        return;
    };
    for p in file.model.parameters() {
        let flag = ModelFile::flag(&p.name);
        if cmd
            .get_arguments()
            .any(|a| a.get_long() == Some(&flag[2..]))
        {
            if crate::sysinfo::speaks() {
                eprintln!(
                    "qk: error: --model: {}: parameter '{}' is also the flag {flag} of qk {subcommand}; rename it in the file",
                    file.path.display(),
                    p.name
                );
            }
            std::process::exit(2);
        }
    }
}

/// A point whose pattern is the union of the grid's: each axis at its value
/// of largest modulus (a plan built there holds every point of the grid).
pub fn widest_point(grid: &Grid) -> Vec<f64> {
    grid.axes
        .iter()
        .map(|a| {
            (0..a.values.len())
                .map(|i| a.values.value(i))
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m })
        })
        .collect()
}
