//! The HDF5 file of a run, written by world rank 0 only.
//!
//! Layout (one file per run, readable with h5py/xarray):
//! - `/grid/<param>`: 1D axis per parameter (fixed ones too), attributes `units`, `description`, `flag`;
//!   non-parameter axes (e.g. `/grid/kick`) likewise.
//! - `/results/<obs>`: f64, shape `[grid axes…, observable axes…]`, NaN until the point is done;
//!   attributes `units`, `description`, `axes` (the grid axis names in order).
//! - `/<table>/<column>`: optional per-run tables of the model ([`crate::model::Table`], e.g.
//!   `/thresholds` of `qk lindemann --thresholds`), 1D datasets with `units`, `description`.
//! - `/status/done` (u8, 1 once a point is finished, successfully or not), `/status/failed` (u8),
//!   `/status/wall_time` (s), `/status/rank`, `/status/error` (fixed 256-byte ASCII, empty when fine);
//!   all of shape `[grid axes…]`.
//! - root attributes: `qk_version`, `git_commit`, `command_line`, `created`, `mpi_library`, `mpi_ranks`,
//!   `hosts`, `model`, one attribute per parameter and option, and `signature` (the resume check).
//!
//! Crash safety: every dataset is created at once with contiguous layout, early allocation and its
//! fill value, and the file is flushed; afterwards a finished point only overwrites raw data in
//! place (results first, then its status) and flushes. No metadata changes after creation, so a
//! process killed at any moment leaves a readable file whose `done` points are complete.

use crate::error::{DriverError, InputError};
use crate::grid::AxisValues;
use crate::model::Model;
use crate::record::{RecordLayout, SlotSpec, METHOD_LEN};
use crate::schedule::TaskResult;
use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5::{Dataset, File, Hyperslab, Location, SliceOrIndex};
use std::path::{Path, PathBuf};

/// Length of the per-point error message field.
pub const ERROR_LEN: usize = 256;

/// Facts about the run recorded as root attributes.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub command_line: String,
    pub mpi_library: String,
    pub mpi_ranks: usize,
    pub hosts: Vec<String>,
}

/// The run's identity for `--resume`: model, every axis and option, the observables.
pub fn signature(model: &dyn Model, layout: &RecordLayout) -> Vec<String> {
    let mut lines = vec![format!("model={}", model.name())];
    for a in &model.grid().axes {
        lines.push(format!("{}={}", a.name, a.values.canonical()));
    }
    for (k, v) in model.options() {
        lines.push(format!("{k}={v}"));
    }
    for o in &layout.slots {
        lines.push(format!("observable {}{:?}", o.name, o.shape));
    }
    lines
}

pub struct Output {
    path: PathBuf,
    file: File,
    grid_rank: usize,
    results: Vec<(Dataset, SlotSpec)>,
    done: Dataset,
    method: Dataset,
    failed: Dataset,
    wall_time: Dataset,
    rank: Dataset,
    error: Dataset,
    grid_shape: Vec<usize>,
}

fn h5err(path: &Path) -> impl Fn(hdf5::Error) -> DriverError + '_ {
    move |source| DriverError::Hdf5 {
        path: path.to_path_buf(),
        source,
    }
}

/// An HDF5 variable-length string (NUL bytes, which HDF5 strings cannot hold, dropped).
fn h5string(value: &str) -> VarLenUnicode {
    value
        .replace('\0', "")
        .parse()
        .expect("a string without NUL bytes is valid")
}

fn str_attr(loc: &Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v = h5string(value);
    loc.new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&v)
}

fn str_list_attr(loc: &Location, name: &str, values: &[String]) -> hdf5::Result<()> {
    let v: Vec<VarLenUnicode> = values.iter().map(|s| h5string(s)).collect();
    loc.new_attr::<VarLenUnicode>()
        .shape(v.len())
        .create(name)?
        .write_raw(&v)
}

/// A 1D dataset `name` in `g` holding `values` (reals as f64, integers as i64, labels as
/// variable-length strings).
fn values_dataset(g: &hdf5::Group, name: &str, values: &AxisValues) -> hdf5::Result<Dataset> {
    let b = g.new_dataset_builder();
    match values {
        AxisValues::Real(v) => b.with_data(v.as_slice()).create(name),
        AxisValues::Int(v) => b.with_data(v.as_slice()).create(name),
        AxisValues::Label(v) => {
            let v: Vec<VarLenUnicode> = v.iter().map(|s| h5string(s)).collect();
            b.with_data(v.as_slice()).create(name)
        }
    }
}

/// Current UTC time as ISO 8601 (civil-from-days, no time-zone database needed).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl Output {
    /// Create a new file (truncating an existing one: the caller has checked `--force`).
    pub fn create(
        path: &Path,
        model: &dyn Model,
        layout: &RecordLayout,
        info: &RunInfo,
    ) -> Result<Output, DriverError> {
        let e = h5err(path);
        let file = File::create(path).map_err(&e)?;
        let grid = model.grid();
        let shape = grid.shape();

        let root: &Location = &file;
        let attrs = || -> hdf5::Result<()> {
            str_attr(root, "qk_version", env!("CARGO_PKG_VERSION"))?;
            str_attr(root, "git_commit", crate::GIT_COMMIT)?;
            str_attr(root, "command_line", &info.command_line)?;
            str_attr(root, "created", &utc_now())?;
            str_attr(root, "mpi_library", &info.mpi_library)?;
            root.new_attr::<u64>()
                .create("mpi_ranks")?
                .write_scalar(&(info.mpi_ranks as u64))?;
            str_list_attr(root, "hosts", &info.hosts)?;
            str_attr(root, "model", model.name())?;
            for a in &grid.axes {
                str_attr(root, &a.name, &a.values.canonical())?;
            }
            for (k, v) in model.options().into_iter().chain(model.settings()) {
                str_attr(root, &k, &v)?;
            }
            str_list_attr(root, "signature", &signature(model, layout))?;
            Ok(())
        };
        attrs().map_err(&e)?;

        let write_grid = || -> hdf5::Result<()> {
            let g = file.create_group("grid")?;
            for a in &grid.axes {
                let ds = values_dataset(&g, &a.name, &a.values)?;
                str_attr(&ds, "units", &a.units)?;
                str_attr(&ds, "description", &a.description)?;
                str_attr(&ds, "flag", &a.flag)?;
            }
            for x in model.extra_axes() {
                let ds = values_dataset(&g, &x.name, &x.values)?;
                str_attr(&ds, "units", &x.units)?;
                str_attr(&ds, "description", &x.description)?;
                str_attr(&ds, "flag", &x.flag)?;
            }
            Ok(())
        };
        write_grid().map_err(&e)?;

        let write_tables = || -> hdf5::Result<()> {
            for t in model.extra_tables() {
                let g = file.create_group(&t.name)?;
                str_attr(&g, "description", &t.description)?;
                for c in &t.columns {
                    let ds = values_dataset(&g, &c.name, &c.values)?;
                    str_attr(&ds, "units", &c.units)?;
                    str_attr(&ds, "description", &c.description)?;
                }
            }
            Ok(())
        };
        write_tables().map_err(&e)?;

        let axis_names: Vec<String> = grid.axes.iter().map(|a| a.name.clone()).collect();
        let make = || -> hdf5::Result<()> {
            let r = file.create_group("results")?;
            for (o, slot) in model.observables().iter().zip(&layout.slots) {
                let mut full = shape.clone();
                full.extend_from_slice(&slot.shape);
                let ds = preallocated(&r, &o.name, &full, f64::NAN)?;
                str_attr(&ds, "units", &o.units)?;
                str_attr(&ds, "description", &o.description)?;
                str_list_attr(&ds, "axes", &axis_names)?;
            }
            let s = file.create_group("status")?;
            let status = |ds: Dataset, units: &str, description: &str| -> hdf5::Result<()> {
                if !units.is_empty() {
                    str_attr(&ds, "units", units)?;
                }
                str_attr(&ds, "description", description)?;
                str_list_attr(&ds, "axes", &axis_names)
            };
            status(
                preallocated(&s, "done", &shape, 0u8)?,
                "",
                "1 once the grid point is finished (successfully or not)",
            )?;
            status(
                preallocated(&s, "failed", &shape, 0u8)?,
                "",
                "1 if the point failed numerically; its results are NaN and error says why",
            )?;
            status(
                preallocated(&s, "wall_time", &shape, f64::NAN)?,
                "s",
                "wall time of the point's computation",
            )?;
            status(
                preallocated(&s, "rank", &shape, -1i32)?,
                "",
                "MPI world rank that computed the point (group leader)",
            )?;
            status(
                preallocated(&s, "error", &shape, FixedAscii::<ERROR_LEN>::new())?,
                "",
                "why the point failed (empty when it did not)",
            )?;
            status(
                preallocated(&s, "method", &shape, FixedAscii::<METHOD_LEN>::new())?,
                "",
                "which method produced the result (the model's provenance label; empty: the model's only method)",
            )?;
            Ok(())
        };
        make().map_err(&e)?;
        file.flush().map_err(&e)?;
        Self::attach(path, file, layout)
    }

    /// Open an existing file to complete it; refuse if it belongs to other parameters.
    /// Returns the output and the points still to do.
    /// With `retry_failed` the failed points are to do again too.
    pub fn resume(
        path: &Path,
        model: &dyn Model,
        layout: &RecordLayout,
        retry_failed: bool,
    ) -> Result<(Output, Vec<usize>), DriverError> {
        let file = File::open_rw(path).map_err(|err| {
            InputError::new(
                "--resume",
                format!("cannot open {} for resuming: {err}", path.display()),
            )
        })?;
        let stored: Vec<String> = file
            .attr("signature")
            .and_then(|a| a.read_raw::<VarLenUnicode>())
            .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
            .map_err(|_| {
                InputError::new(
                    "--resume",
                    format!(
                        "{} was not written by qk (no run signature)",
                        path.display()
                    ),
                )
            })?;
        let wanted = signature(model, layout);
        if stored != wanted {
            let diff = wanted
                .iter()
                .zip(stored.iter().chain(std::iter::repeat(&String::new())))
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("this run has '{a}', the file has '{b}'"))
                .unwrap_or_else(|| "the file has extra entries".into());
            return Err(InputError::new(
                "--resume",
                format!(
                    "parameters differ from those in {} ({diff}); use --force to start over",
                    path.display()
                ),
            )
            .into());
        }
        let out = Self::attach(path, file, layout)?;
        let done: Vec<u8> = out.done.read_raw().map_err(h5err(path))?;
        let failed: Vec<u8> = if retry_failed {
            out.failed.read_raw().map_err(h5err(path))?
        } else {
            vec![0; done.len()]
        };
        let pending = done
            .iter()
            .zip(&failed)
            .enumerate()
            .filter(|(_, (&d, &f))| d == 0 || f != 0)
            .map(|(i, _)| i)
            .collect();
        Ok((out, pending))
    }

    fn attach(path: &Path, file: File, layout: &RecordLayout) -> Result<Output, DriverError> {
        let e = h5err(path);
        let results = layout
            .slots
            .iter()
            .map(|o| Ok((file.dataset(&format!("results/{}", o.name))?, o.clone())))
            .collect::<hdf5::Result<Vec<_>>>()
            .map_err(&e)?;
        let done = file.dataset("status/done").map_err(&e)?;
        let grid_shape = done.shape();
        Ok(Output {
            done,
            method: file.dataset("status/method").map_err(&e)?,
            failed: file.dataset("status/failed").map_err(&e)?,
            wall_time: file.dataset("status/wall_time").map_err(&e)?,
            rank: file.dataset("status/rank").map_err(&e)?,
            error: file.dataset("status/error").map_err(&e)?,
            grid_rank: grid_shape.len(),
            grid_shape,
            results,
            file,
            path: path.to_path_buf(),
        })
    }

    fn point_selection(&self, index: &[usize], trailing: &[usize]) -> Hyperslab {
        let mut s: Vec<SliceOrIndex> = index.iter().map(|&i| SliceOrIndex::Index(i)).collect();
        s.extend(trailing.iter().map(|&n| SliceOrIndex::SliceCount {
            start: 0,
            step: 1,
            count: n,
            block: 1,
        }));
        Hyperslab::from(s)
    }

    /// Write one finished point (results, then status) and flush.
    pub fn write(&mut self, result: &TaskResult) -> Result<(), DriverError> {
        let mut index = vec![0; self.grid_rank];
        let mut flat = result.index;
        for k in (0..self.grid_rank).rev() {
            index[k] = flat % self.grid_shape[k];
            flat /= self.grid_shape[k];
        }
        let path = self.path.clone();
        let e = h5err(&path);
        let sel0 = self.point_selection(&index, &[]);
        match &result.outcome {
            Ok(values) => {
                let mut offset = 0;
                for (ds, spec) in &self.results {
                    let n = spec.len;
                    let view = ndarray::ArrayViewD::from_shape(
                        ndarray::IxDyn(&spec.shape),
                        &values[offset..offset + n],
                    )
                    .expect("observable length matches its shape");
                    ds.write_slice(view, self.point_selection(&index, &spec.shape))
                        .map_err(&e)?;
                    offset += n;
                }
            }
            Err(err) => {
                write_scalar_at(&self.error, sel0.clone(), fixed_ascii::<ERROR_LEN>(&err.0))
                    .map_err(&e)?;
                write_scalar_at(&self.failed, sel0.clone(), 1u8).map_err(&e)?;
            }
        }
        if result.outcome.is_ok() && self.was_failed(&sel0).map_err(&e)? {
            // a retried point that now succeeded: clear its failure
            write_scalar_at(&self.error, sel0.clone(), FixedAscii::<ERROR_LEN>::new())
                .map_err(&e)?;
            write_scalar_at(&self.failed, sel0.clone(), 0u8).map_err(&e)?;
        }
        write_scalar_at(
            &self.method,
            sel0.clone(),
            fixed_ascii::<METHOD_LEN>(&result.method),
        )
        .map_err(&e)?;
        write_scalar_at(&self.wall_time, sel0.clone(), result.wall_time).map_err(&e)?;
        write_scalar_at(&self.rank, sel0.clone(), result.rank).map_err(&e)?;
        write_scalar_at(&self.done, sel0, 1u8).map_err(&e)?;
        self.file.flush().map_err(&e)
    }

    fn was_failed(&self, sel: &Hyperslab) -> hdf5::Result<bool> {
        let v = self
            .failed
            .read_slice::<u8, _, ndarray::IxDyn>(sel.clone())?;
        Ok(v.iter().any(|&f| f != 0))
    }

    /// Points that failed so far (for the summary).
    pub fn failed_count(&self) -> Result<usize, DriverError> {
        let f: Vec<u8> = self.failed.read_raw().map_err(h5err(&self.path))?;
        Ok(f.iter().filter(|&&x| x != 0).count())
    }
}

/// A dataset laid out for crash safety: contiguous, allocated at once and
/// filled with `fill`, so that later writes never change metadata.
fn preallocated<T: hdf5::H5Type + Into<hdf5::types::OwnedDynValue>>(
    group: &hdf5::Group,
    name: &str,
    shape: &[usize],
    fill: T,
) -> hdf5::Result<Dataset> {
    group
        .new_dataset::<T>()
        .no_chunk()
        .alloc_time(Some(hdf5::dataset::AllocTime::Early))
        .fill_value(fill)
        .shape(shape.to_vec())
        .create(name)
}

/// `text` as fixed-length ASCII of at most `N - 1` bytes (other characters as `?`).
fn fixed_ascii<const N: usize>(text: &str) -> FixedAscii<N> {
    let clean: Vec<u8> = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c as u8
            } else {
                b'?'
            }
        })
        .take(N - 1)
        .collect();
    FixedAscii::<N>::from_ascii(&clean).expect("sanitised ASCII fits")
}

fn write_scalar_at<T: hdf5::H5Type>(ds: &Dataset, sel: Hyperslab, value: T) -> hdf5::Result<()> {
    ds.write_slice(ndarray::arr0(value).view(), sel)
}

/// Check the output path before anything is written: exists → needs `--resume`
/// or `--force`; the directory must exist.
pub fn check_output_path(path: &Path, resume: bool, force: bool) -> Result<bool, InputError> {
    let flag = "--output";
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(InputError::new(
            flag,
            format!("directory {} does not exist", parent.display()),
        ));
    }
    if path.is_dir() {
        return Err(InputError::new(
            flag,
            format!("{} is a directory", path.display()),
        ));
    }
    let exists = path.exists();
    if exists && !resume && !force {
        return Err(InputError::new(
            flag,
            format!(
                "{} exists; pass --resume to complete it or --force to overwrite it",
                path.display()
            ),
        ));
    }
    Ok(exists)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_format_is_iso8601() {
        let t = utc_now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        assert!(t.as_str() > "2024-01-01");
    }

    #[test]
    fn output_path_checks() {
        let dir = std::env::temp_dir().join(format!("qk-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.h5");
        assert!(!check_output_path(&f, false, false).unwrap());
        std::fs::write(&f, b"x").unwrap();
        assert!(check_output_path(&f, false, false)
            .unwrap_err()
            .to_string()
            .contains("--resume"));
        assert!(check_output_path(&f, true, false).unwrap());
        assert!(check_output_path(&f, false, true).unwrap());
        assert!(check_output_path(&dir.join("missing/a.h5"), false, false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
