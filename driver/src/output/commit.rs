//! Group commit: finished points are kept in memory and written together at most every
//! `--flush-interval` seconds (and when the buffer reaches [`MAX_PENDING_BYTES`], and at
//! exit), one hyperslab per dataset for each run of consecutive points along the
//! innermost swept axis, then one flush. A process killed between commits loses only
//! the points finished since the last one (they are recomputed by `--resume`); results
//! and failure reasons are written before `done`, so a point marked done is complete.

use super::{h5err, Output, ERROR_LEN};
use crate::error::DriverError;
use crate::record::METHOD_LEN;
use crate::schedule::TaskResult;
use hdf5::types::FixedAscii;
use hdf5::{Dataset, H5Type, Hyperslab, SliceOrIndex};
use std::time::{Duration, Instant};

/// Finished points buffered at most (bytes of their values), whatever the interval.
pub const MAX_PENDING_BYTES: usize = 64 << 20;

impl Output {
    /// Commit at most every `interval` (zero: every point).
    pub fn set_flush_interval(&mut self, interval: Duration) {
        self.flush_interval = interval;
    }

    /// With `--retry-failed`: points being written may have failed before, so their
    /// failure flags and reasons are always rewritten.
    pub fn set_retrying(&mut self, retrying: bool) {
        self.retrying = retrying;
    }

    /// Take one finished point; it is written at the next commit.
    pub fn write(&mut self, result: TaskResult) -> Result<(), DriverError> {
        self.pending_bytes += 8 * result.outcome.as_ref().map_or(1, |v| v.len()) + 64;
        self.pending.push(result);
        if self.last_commit.elapsed() >= self.flush_interval
            || self.pending_bytes >= MAX_PENDING_BYTES
        {
            self.commit()?;
        }
        Ok(())
    }

    /// Commit if the interval has passed since the last commit (call while waiting).
    pub fn tick(&mut self) -> Result<(), DriverError> {
        if !self.pending.is_empty() && self.last_commit.elapsed() >= self.flush_interval {
            self.commit()?;
        }
        Ok(())
    }

    /// Time until the next commit is due (`None`: nothing is pending).
    pub fn next_commit_in(&self) -> Option<Duration> {
        (!self.pending.is_empty()).then(|| {
            self.flush_interval
                .saturating_sub(self.last_commit.elapsed())
        })
    }

    /// Points that failed so far (for the summary; call after the last commit).
    pub fn failed_count(&self) -> Result<usize, DriverError> {
        let f: Vec<u8> = self.failed.read_raw().map_err(h5err(&self.path))?;
        Ok(f.iter().filter(|&&x| x != 0).count())
    }

    /// Write every buffered point, then flush the file.
    pub fn commit(&mut self) -> Result<(), DriverError> {
        let mut batch = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        self.last_commit = Instant::now();
        if batch.is_empty() {
            return Ok(());
        }
        batch.sort_by_key(|r| r.index);
        let axis = self.run_axis();
        let row = self.grid_shape[axis];
        let mut start = 0;
        for end in 1..=batch.len() {
            let breaks = end == batch.len()
                || batch[end].index != batch[end - 1].index + 1
                || batch[end].index / row != batch[start].index / row;
            if breaks {
                self.write_run(&batch[start..end], axis)?;
                start = end;
            }
        }
        self.file.flush().map_err(h5err(&self.path))
    }

    /// The innermost grid axis longer than one (runs of consecutive points lie along it).
    fn run_axis(&self) -> usize {
        (0..self.grid_rank)
            .rev()
            .find(|&k| self.grid_shape[k] > 1)
            .unwrap_or(self.grid_rank - 1)
    }

    /// The selection of `count` points from flat index `first` along `axis` (all axes
    /// after it have length one), with the full `trailing` observable axes.
    fn selection(&self, first: usize, count: usize, axis: usize, trailing: &[usize]) -> Hyperslab {
        let mut coords = vec![0; self.grid_rank];
        let mut flat = first;
        for k in (0..self.grid_rank).rev() {
            coords[k] = flat % self.grid_shape[k];
            flat /= self.grid_shape[k];
        }
        let slice = |start, count| SliceOrIndex::SliceCount {
            start,
            step: 1,
            count,
            block: 1,
        };
        let mut s: Vec<SliceOrIndex> = coords
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                if k == axis {
                    slice(c, count)
                } else {
                    SliceOrIndex::Index(c)
                }
            })
            .collect();
        s.extend(trailing.iter().map(|&n| slice(0, n)));
        Hyperslab::from(s)
    }

    /// Write a run of consecutive points: results, failures, provenance, then `done`.
    fn write_run(&self, run: &[TaskResult], axis: usize) -> Result<(), DriverError> {
        let m = run.len();
        let first = run[0].index;
        let sel = || self.selection(first, m, axis, &[]);
        let mut offset = 0;
        for (ds, spec) in &self.results {
            let mut values = Vec::with_capacity(m * spec.len);
            for r in run {
                match &r.outcome {
                    Ok(v) => values.extend_from_slice(&v[offset..offset + spec.len]),
                    Err(_) => values.extend(std::iter::repeat_n(f64::NAN, spec.len)),
                }
            }
            let mut shape = vec![m];
            shape.extend_from_slice(&spec.shape);
            write_values(
                ds,
                &values,
                &shape,
                self.selection(first, m, axis, &spec.shape),
            )?;
            offset += spec.len;
        }
        if self.retrying || run.iter().any(|r| r.outcome.is_err()) {
            let errors: Vec<FixedAscii<ERROR_LEN>> = run
                .iter()
                .map(|r| match &r.outcome {
                    Err(err) => super::fixed_ascii::<ERROR_LEN>(&err.0),
                    Ok(_) => FixedAscii::<ERROR_LEN>::new(),
                })
                .collect();
            write_values(&self.error, &errors, &[m], sel())?;
            let failed: Vec<u8> = run.iter().map(|r| u8::from(r.outcome.is_err())).collect();
            write_values(&self.failed, &failed, &[m], sel())?;
        }
        let methods: Vec<FixedAscii<METHOD_LEN>> = run
            .iter()
            .map(|r| super::fixed_ascii::<METHOD_LEN>(&r.method))
            .collect();
        write_values(&self.method, &methods, &[m], sel())?;
        let wall: Vec<f64> = run.iter().map(|r| r.wall_time).collect();
        write_values(&self.wall_time, &wall, &[m], sel())?;
        let ranks: Vec<i32> = run.iter().map(|r| r.rank).collect();
        write_values(&self.rank, &ranks, &[m], sel())?;
        write_values(&self.done, &vec![1u8; m], &[m], sel())
    }
}

fn write_values<T: H5Type>(
    ds: &Dataset,
    values: &[T],
    shape: &[usize],
    selection: Hyperslab,
) -> Result<(), DriverError> {
    let view = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(shape), values)
        .expect("a run's values match its shape");
    ds.write_slice(view, selection)
        .map_err(|source| DriverError::Hdf5 {
            path: ds.filename().into(),
            source,
        })
}
