//! Model files (format version 1, `docs/model_format.md`): an HDF5 file
//! written by `scripts/qk_model.py` from QuTiP objects, read and checked
//! into a [`ParametricModel`]. Any Lindblad subcommand that takes
//! `--model FILE.h5` calls [`load`].
//!
//! Everything wrong with a file is an [`InputError`] naming the flag and the
//! file in one line (exit status 2, nothing written): a missing or non-HDF5
//! file, another format or version, missing pieces, malformed CSR,
//! non-square or mismatched operators, a non-Hermitian Hamiltonian term, a
//! term naming an unknown parameter, a bad parameter name, an observable
//! named like a parameter or `failed`, a negative constant rate, a broken parity, a zero or misshapen initial state.

use crate::error::InputError;
use hdf5::types::VarLenUnicode;
use hdf5::{File, Group};
use qk_model::{Complex64, NamedOperator, Operator, Parameter, ParametricModel, Term};
use sha2::{Digest, Sha256};
use sprs::TriMat;
use std::path::{Path, PathBuf};

/// The format version this reader understands.
pub const FORMAT_VERSION: i64 = 1;

/// A model read from a file.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// The path as given.
    pub path: PathBuf,
    /// The checked model.
    pub model: ParametricModel,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
    /// Tensor structure of the Hilbert space (product = dimension).
    pub dims: Vec<usize>,
    /// The optional initial state `/initial_state`, normalized.
    pub initial: Option<Vec<Complex64>>,
}

impl ModelFile {
    /// The command-line flag of parameter `name` (`--name`, `_` as `-`).
    pub fn flag(name: &str) -> String {
        format!("--{}", name.replace('_', "-"))
    }
}

/// Reads and checks the model file `path` (errors name `flag`, e.g. `--model`).
///
/// # Errors
/// [`InputError`] (module docs).
pub fn load(path: &Path, flag: &str) -> Result<ModelFile, InputError> {
    let bad = |msg: String| InputError::new(flag, format!("{}: {msg}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    drop(bytes);
    hdf5::silence_errors(true);
    let f = File::open(path).map_err(|e| bad(format!("not an HDF5 file ({e})")))?;
    let (model, dims) = read(&f).map_err(&bad)?;
    let initial = read_initial(&f, model.dim()).map_err(bad)?;
    Ok(ModelFile {
        path: path.to_path_buf(),
        model,
        sha256,
        dims,
        initial,
    })
}

fn str_attr(loc: &hdf5::Location, name: &str) -> Result<String, String> {
    let a = loc
        .attr(name)
        .map_err(|_| format!("missing attribute '{name}'"))?;
    a.read_scalar::<VarLenUnicode>()
        .map(|s| s.as_str().to_string())
        .map_err(|_| format!("attribute '{name}' is not a string"))
}

fn group(f: &Group, name: &str) -> Result<Group, String> {
    f.group(name)
        .map_err(|_| format!("missing group '/{name}'"))
}

fn read_vec<T: hdf5::H5Type>(g: &Group, name: &str, what: &str) -> Result<Vec<T>, String> {
    g.dataset(name)
        .map_err(|_| format!("{what}: missing dataset '{name}'"))?
        .read_raw::<T>()
        .map_err(|e| format!("{what}: dataset '{name}' unreadable ({e})"))
}

/// A CSR operator group (`data_re`, `data_im`, `indices`, `indptr`,
/// attribute `shape`), checked to be `d × d`.
fn read_operator(g: &Group, what: &str, d: usize) -> Result<Operator, String> {
    let shape: Vec<i64> = g
        .attr("shape")
        .and_then(|a| a.read_raw::<i64>())
        .map_err(|_| format!("{what}: missing integer attribute 'shape'"))?;
    if shape.len() != 2 || shape.iter().any(|&s| s < 0) {
        return Err(format!("{what}: shape {shape:?} is not two sizes"));
    }
    let (rows, cols) = (shape[0] as usize, shape[1] as usize);
    if rows != cols {
        return Err(format!("{what} is {rows}x{cols}, not square"));
    }
    if rows != d {
        return Err(format!(
            "{what} is {rows}x{cols}, expected {d}x{d} (the product of dims)"
        ));
    }
    let re: Vec<f64> = read_vec(g, "data_re", what)?;
    let im: Vec<f64> = read_vec(g, "data_im", what)?;
    let indices: Vec<i64> = read_vec(g, "indices", what)?;
    let indptr: Vec<i64> = read_vec(g, "indptr", what)?;
    let nnz = re.len();
    if im.len() != nnz || indices.len() != nnz {
        return Err(format!(
            "{what}: data_re, data_im and indices differ in length ({}, {}, {})",
            nnz,
            im.len(),
            indices.len()
        ));
    }
    if indptr.len() != rows + 1
        || indptr[0] != 0
        || indptr[rows] != nnz as i64
        || indptr.windows(2).any(|w| w[0] > w[1])
    {
        return Err(format!(
            "{what}: indptr is not a CSR row pointer of {rows} rows and {nnz} entries"
        ));
    }
    let mut t = TriMat::with_capacity((rows, cols), nnz);
    for r in 0..rows {
        for k in indptr[r] as usize..indptr[r + 1] as usize {
            let c = indices[k];
            if c < 0 || c as usize >= cols {
                return Err(format!("{what}: column index {c} out of range"));
            }
            let v = Complex64::new(re[k], im[k]);
            if !(v.re.is_finite() && v.im.is_finite()) {
                return Err(format!("{what}: non-finite entry at ({r}, {c})"));
            }
            t.add_triplet(r, c as usize, v);
        }
    }
    Ok(t.to_csc())
}

/// Parameter names: `[a-z][a-z0-9_]*` and no flag of the subcommands.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "parameter name '{name}' must match [a-z][a-z0-9_]*"
        ));
    }
    const RESERVED: [&str; 18] = [
        "model",
        "trajectories",
        "t_end",
        "times",
        "initial",
        "seed",
        "ranks_per_task",
        "flush_interval",
        "ordering",
        "arithmetic",
        "threads",
        "output",
        "resume",
        "retry_failed",
        "force",
        "quiet",
        "help",
        "version",
    ];
    if RESERVED.contains(&name) {
        return Err(format!(
            "parameter name '{name}' is a flag of qk itself; rename it"
        ));
    }
    Ok(())
}

/// The optional `/initial_state` (datasets `data_re`, `data_im` of length
/// `d`), normalized; a zero or non-finite vector is refused.
fn read_initial(f: &File, d: usize) -> Result<Option<Vec<Complex64>>, String> {
    let Ok(g) = f.group("initial_state") else {
        if f.link_exists("initial_state") {
            return Err("/initial_state is not a group".into());
        }
        return Ok(None);
    };
    let what = "/initial_state";
    let re: Vec<f64> = read_vec(&g, "data_re", what)?;
    let im: Vec<f64> = read_vec(&g, "data_im", what)?;
    if re.len() != d || im.len() != d {
        return Err(format!(
            "/initial_state has {} and {} entries, expected {d} (the product of dims)",
            re.len(),
            im.len()
        ));
    }
    let v: Vec<Complex64> = re
        .iter()
        .zip(&im)
        .map(|(&a, &b)| Complex64::new(a, b))
        .collect();
    if v.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
        return Err("/initial_state has a non-finite entry".into());
    }
    let norm = v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    if !(norm > 0.0 && norm.is_finite()) {
        return Err("/initial_state is the zero vector".into());
    }
    Ok(Some(v.into_iter().map(|z| z / norm).collect()))
}

fn read(f: &File) -> Result<(ParametricModel, Vec<usize>), String> {
    let format = str_attr(f, "format")?;
    if format != "qk-model" {
        return Err(format!("format '{format}' is not 'qk-model'"));
    }
    let version = f
        .attr("format_version")
        .and_then(|a| a.read_scalar::<i64>())
        .map_err(|_| "missing integer attribute 'format_version'".to_string())?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this qk reads version {FORMAT_VERSION}"
        ));
    }
    let description = str_attr(f, "description")?;
    let dims: Vec<i64> = f
        .attr("dims")
        .and_then(|a| a.read_raw::<i64>())
        .map_err(|_| "missing integer attribute 'dims'".to_string())?;
    if dims.is_empty() || dims.iter().any(|&x| x < 1) {
        return Err(format!("dims {dims:?} must be sizes ≥ 1"));
    }
    let dims: Vec<usize> = dims.iter().map(|&x| x as usize).collect();
    let d = dims
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .ok_or("dims overflow")?;

    let pg = group(f, "parameters")?;
    let names: Vec<VarLenUnicode> = read_vec(&pg, "names", "/parameters")?;
    let defaults: Vec<f64> = read_vec(&pg, "defaults", "/parameters")?;
    let descriptions: Vec<VarLenUnicode> = read_vec(&pg, "descriptions", "/parameters")?;
    if defaults.len() != names.len() || descriptions.len() != names.len() {
        return Err("/parameters: names, defaults and descriptions differ in length".into());
    }
    let mut parameters = Vec::with_capacity(names.len());
    for ((n, &v), s) in names.iter().zip(&defaults).zip(&descriptions) {
        check_name(n.as_str())?;
        if v.is_infinite() {
            return Err(format!("parameter '{n}' has an infinite default"));
        }
        parameters.push(Parameter {
            name: n.as_str().to_string(),
            default: (!v.is_nan()).then_some(v),
            description: s.as_str().to_string(),
        });
    }
    let index = |what: &str, p: &str| -> Result<Option<usize>, String> {
        if p.is_empty() {
            return Ok(None);
        }
        parameters
            .iter()
            .position(|q| q.name == p)
            .map(Some)
            .ok_or_else(|| format!("{what} names the unknown parameter '{p}'"))
    };
    let terms = |kind: &str, label: &str| -> Result<Vec<Term>, String> {
        let g = group(f, kind)?;
        let mut out = Vec::new();
        for name in g.member_names().map_err(|e| e.to_string())? {
            let what = format!("{label} '{name}'");
            let t = g
                .group(&name)
                .map_err(|_| format!("{what} is not a group"))?;
            let parameter = index(&what, &str_attr(&t, "parameter")?)?;
            let factor = match t.attr("factor") {
                Ok(a) => a
                    .read_scalar::<f64>()
                    .map_err(|_| format!("{what}: attribute 'factor' is not a number"))?,
                Err(_) => 1.0,
            };
            out.push(Term {
                name: name.clone(),
                parameter,
                factor,
                operator: read_operator(&t, &what, d)?,
            });
        }
        Ok(out)
    };
    let hamiltonian = terms("hamiltonian", "Hamiltonian term")?;
    let collapse = terms("collapse", "collapse operator")?;
    if let Some(t) = collapse
        .iter()
        .find(|t| t.parameter.is_none() && t.factor < 0.0)
    {
        return Err(format!(
            "collapse operator '{}' has the negative constant rate {}",
            t.name, t.factor
        ));
    }
    let og = group(f, "observables")?;
    let mut observables = Vec::new();
    for name in og.member_names().map_err(|e| e.to_string())? {
        let what = format!("observable '{name}'");
        let g = og
            .group(&name)
            .map_err(|_| format!("{what} is not a group"))?;
        let description = str_attr(&g, "description").unwrap_or_else(|_| name.clone());
        // a parameter is a grid axis of the results: the same name twice
        // makes the file unreadable as a dataset (xarray)
        if parameters.iter().any(|p| p.name == name) {
            return Err(format!(
                "{what} has the name of a parameter (a grid axis of the results); rename one"
            ));
        }
        // load_result (scripts/qk_model.py) gives /status/failed that name
        if name == "failed" {
            return Err(format!(
                "{what}: 'failed' is the name of the results' failure flags; rename it"
            ));
        }
        observables.push(NamedOperator {
            operator: read_operator(&g, &what, d)?,
            name,
            description,
        });
    }
    let parity = match f.group("symmetry") {
        Ok(s) => match s.dataset("parity") {
            Ok(p) => {
                let p: Vec<i8> = p
                    .read_raw::<i8>()
                    .map_err(|e| format!("/symmetry/parity unreadable ({e})"))?;
                if p.iter().any(|&x| x != 0 && x != 1) {
                    return Err("/symmetry/parity must hold 0 (even) or 1 (odd)".into());
                }
                Some(p.iter().map(|&x| x == 1).collect())
            }
            Err(_) => None,
        },
        Err(_) => None,
    };
    let model = ParametricModel::new(
        description,
        parameters,
        hamiltonian,
        collapse,
        observables,
        parity,
    )
    .map_err(|e| e.to_string())?;
    Ok((model, dims))
}
