//! The HDF5 file of a run, written by world rank 0 only.
//!
//! Layout (one file per run, readable with h5py/xarray):
//! - `/grid/<param>`: 1D axis per parameter (fixed ones too), attributes `units`, `description`, `flag`;
//!   non-parameter axes (e.g. `/grid/kick`) likewise.
//! - `/results/<obs>`: f64, shape `[grid axes…, observable axes…]`, NaN until the point is done;
//!   attributes `units`, `description`, `axes` (the grid axis names in order).
//! - `/<table>/<column>`: optional per-run tables of the model ([`crate::model::Table`], e.g.
//!   `/thresholds` of `qk lindemann --thresholds`), 1D datasets with `units`, `description`.
//! - `/<derived>/<column>`: optional groups derived from the whole finished sweep
//!   ([`crate::model::DerivedGroup`], e.g. `/thresholds` of `qk transition --thresholds`),
//!   f64 over a subset of the grid axes, NaN-filled at creation and filled by rank 0 when
//!   every point is done.
//! - `/status/done` (u8, 1 once a point is finished, successfully or not), `/status/failed` (u8),
//!   `/status/wall_time` (s), `/status/rank`, `/status/error` (fixed 256-byte ASCII, empty when fine);
//!   all of shape `[grid axes…]`.
//! - root attributes: `qk_version`, `git_commit`, `command_line`, `created`, `mpi_library`, `mpi_ranks`,
//!   `hosts`, `model`, one attribute per parameter and option, and `signature` (the resume check).
//!
//! The axes are dimension scales ([`scales`]): netCDF readers (xarray with h5netcdf) see
//! named dimensions with coordinates.
//!
//! Crash safety: a new file is laid out completely under a temporary name — every
//! dataset contiguous, allocated at once with its fill value — flushed, fsynced and
//! renamed into place ([`crate::file_safety`]); afterwards finished points only
//! overwrite raw data in place, in group commits ([`commit`]): at most every
//! `--flush-interval` seconds, results first, then the status, then a flush. No metadata
//! changes after creation, so whatever moment a process dies, the path holds nothing,
//! the previous file, or a readable file whose `done` points are complete; a kill loses at
//! most the points finished since the last commit.

use crate::error::{DriverError, InputError};
use crate::file_safety;
use crate::grid::AxisValues;
use crate::model::{Model, SweepResults};
use crate::record::{RecordLayout, SlotSpec, METHOD_LEN};
use crate::schedule::TaskResult;
use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5::{Dataset, File, Location};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod commit;
pub mod scales;

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
    /// Finished points not yet written (the group commit).
    pending: Vec<TaskResult>,
    last_commit: Instant,
    pending_bytes: usize,
    flush_interval: Duration,
    retrying: bool,
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
    /// Create a new file: laid out under a temporary name, made durable and renamed over
    /// `path` (the caller holds the path's lock and has checked `--force`). Nothing is
    /// left at `path` or beside it when this fails.
    pub fn create(
        path: &Path,
        model: &dyn Model,
        layout: &RecordLayout,
        info: &RunInfo,
    ) -> Result<Output, DriverError> {
        // QK_SKIP_SPACE_CHECK=1 (tests): lay out anyway, to exercise a full filesystem
        if std::env::var_os("QK_SKIP_SPACE_CHECK").is_none() {
            file_safety::check_space(path, file_bytes(model, layout))?;
        }
        let temp = file_safety::temp_path(path);
        let laid_out = Self::lay_out(&temp, model, layout, info)
            .and_then(|()| file_safety::publish(&temp, path).map_err(DriverError::Io));
        if let Err(err) = laid_out {
            let _ = std::fs::remove_file(&temp);
            let free = file_safety::free_space(&file_safety::parent_dir(path))
                .map(crate::sysinfo::format_bytes)
                .unwrap_or_else(|| "unknown".into());
            return Err(DriverError::Layout {
                path: path.to_path_buf(),
                free,
                why: match err {
                    DriverError::Hdf5 { source, .. } => source.to_string(),
                    other => other.to_string(),
                },
            });
        }
        let file = File::open_rw(path).map_err(h5err(path))?;
        Self::attach(path, file, layout)
    }

    /// Write the whole layout of a new file at `temp` (created exclusively) and close it.
    fn lay_out(
        temp: &Path,
        model: &dyn Model,
        layout: &RecordLayout,
        info: &RunInfo,
    ) -> Result<(), DriverError> {
        let e = h5err(temp);
        let file = File::create_excl(temp).map_err(&e)?;
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

        let write_grid = || -> hdf5::Result<Vec<(String, Dataset)>> {
            let g = file.create_group("grid")?;
            let mut axes = Vec::new();
            let extra = model.extra_axes();
            let all = grid
                .axes
                .iter()
                .map(|a| (&a.name, &a.values, &a.units, &a.description, &a.flag))
                .chain(
                    extra
                        .iter()
                        .map(|x| (&x.name, &x.values, &x.units, &x.description, &x.flag)),
                );
            for (name, values, units, description, flag) in all {
                let ds = values_dataset(&g, name, values)?;
                str_attr(&ds, "units", units)?;
                str_attr(&ds, "description", description)?;
                str_attr(&ds, "flag", flag)?;
                scales::set_scale(&ds, name)?;
                axes.push((name.clone(), ds));
            }
            Ok(axes)
        };
        let scale_axes = write_grid().map_err(&e)?;

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

        let write_derived = || -> hdf5::Result<()> {
            for d in model.derived() {
                let g = file.create_group(&d.name)?;
                str_attr(&g, "description", &d.description)?;
                str_list_attr(&g, "axes", &d.axes)?;
                let dshape = derived_shape(model, &d.axes);
                for c in &d.columns {
                    let ds = preallocated(&g, &c.name, &dshape, f64::NAN)?;
                    str_attr(&ds, "units", &c.units)?;
                    str_attr(&ds, "description", &c.description)?;
                    scales::attach_all(&ds, &d.axes, &scale_axes)?;
                }
            }
            Ok(())
        };
        write_derived().map_err(&e)?;

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
                let dims: Vec<String> = axis_names.iter().chain(&o.dims).cloned().collect();
                scales::attach_all(&ds, &dims, &scale_axes)?;
            }
            scales::link_into(&r, &scale_axes)?;
            let s = file.create_group("status")?;
            let status = |ds: Dataset, units: &str, description: &str| -> hdf5::Result<()> {
                if !units.is_empty() {
                    str_attr(&ds, "units", units)?;
                }
                str_attr(&ds, "description", description)?;
                str_list_attr(&ds, "axes", &axis_names)?;
                scales::attach_all(&ds, &axis_names, &scale_axes)
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
            let grid_axes: Vec<(String, Dataset)> = scale_axes
                .iter()
                .filter(|(n, _)| axis_names.contains(n))
                .cloned()
                .collect();
            scales::link_into(&s, &grid_axes)
        };
        make().map_err(&e)?;
        file.flush().map_err(&e)?;
        file.close().map_err(&e)
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
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size == 0 || !is_hdf5(path) {
            return Err(InputError::new(
                "--resume",
                format!(
                    "cannot resume {}: {}; it was left as it is (use --force to start over)",
                    path.display(),
                    if size == 0 {
                        "it is empty".to_string()
                    } else {
                        format!("it is not an HDF5 file ({size} bytes)")
                    }
                ),
            )
            .into());
        }
        let file = File::open_rw(path).map_err(|err| {
            InputError::new(
                "--resume",
                format!(
                    "cannot resume {}: {err} (truncated, damaged, or open in another program); it was left as it is (use --force to start over)",
                    path.display()
                ),
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
        let mut out = Self::attach(path, file, layout).map_err(|err| {
            InputError::new(
                "--resume",
                format!(
                    "cannot resume {}: its layout is incomplete ({err}); it was left as it is",
                    path.display()
                ),
            )
        })?;
        let done: Vec<u8> = out.done.read_raw().map_err(h5err(path))?;
        out.set_retrying(retry_failed);
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
            pending: Vec::new(),
            last_commit: Instant::now(),
            pending_bytes: 0,
            flush_interval: Duration::from_secs(1),
            retrying: false,
        })
    }
}

/// The shape of a derived group over the grid axes `axes` (unknown names count 1).
fn derived_shape(model: &dyn Model, axes: &[String]) -> Vec<usize> {
    axes.iter()
        .map(|n| {
            model
                .grid()
                .axes
                .iter()
                .find(|a| &a.name == n)
                .map_or(1, |a| a.values.len())
        })
        .collect()
}

impl Output {
    /// Fill the model's derived groups ([`Model::derive`]) from the file's results once
    /// every point is done (a no-op otherwise, and for models without derived groups);
    /// call after the last commit. Writes raw data only, then flushes.
    pub fn write_derived(&mut self, model: &dyn Model) -> Result<(), DriverError> {
        let groups = model.derived();
        if groups.is_empty() {
            return Ok(());
        }
        let e = h5err(&self.path);
        let done: Vec<u8> = self.done.read_raw().map_err(&e)?;
        if done.contains(&0) {
            return Ok(());
        }
        let failed: Vec<u8> = self.failed.read_raw().map_err(&e)?;
        let mut results = SweepResults {
            ok: done
                .iter()
                .zip(&failed)
                .map(|(&d, &f)| d != 0 && f == 0)
                .collect(),
            values: Vec::new(),
        };
        for (ds, spec) in &self.results {
            results
                .values
                .push((spec.name.clone(), ds.read_raw::<f64>().map_err(&e)?));
        }
        let derived = model.derive(&results);
        if derived.len() != groups.len() {
            return Err(DriverError::Model(format!(
                "derive returned {} groups, {} declared",
                derived.len(),
                groups.len()
            )));
        }
        for (g, cols) in groups.iter().zip(derived) {
            let len: usize = derived_shape(model, &g.axes).iter().product();
            if cols.len() != g.columns.len() || cols.iter().any(|c| c.len() != len) {
                return Err(DriverError::Model(format!(
                    "derived group {} does not match its declaration",
                    g.name
                )));
            }
            for (c, values) in g.columns.iter().zip(cols) {
                let ds = self
                    .file
                    .dataset(&format!("{}/{}", g.name, c.name))
                    .map_err(&e)?;
                ds.write_raw(&values).map_err(&e)?;
            }
        }
        self.file.flush().map_err(&e)
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

/// Whether `path` starts with the HDF5 signature (at offset 0: files qk writes).
fn is_hdf5(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"\x89HDF\r\n\x1a\n"
}

/// About how many bytes a new file takes: every dataset at full size plus metadata.
pub fn file_bytes(model: &dyn Model, layout: &RecordLayout) -> u64 {
    let points = model.grid().len() as u64;
    let per_point = layout.total as u64 * 8 + 1 + 1 + 8 + 4 + (ERROR_LEN + METHOD_LEN) as u64;
    let axes: u64 = model
        .grid()
        .axes
        .iter()
        .map(|a| a.values.len() as u64 * 16)
        .chain(
            model
                .extra_axes()
                .iter()
                .map(|x| x.values.len() as u64 * 16),
        )
        .sum();
    points.saturating_mul(per_point).saturating_add(axes) + (64 << 10)
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
}
