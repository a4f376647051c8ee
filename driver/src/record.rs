//! What a worker returns for one grid point, and the driver's check of it.
//!
//! A [`Record`] is a sequence of named slots, one per declared observable in declaration
//! order, each holding the observable's values for the point (one for a scalar, the
//! product of its trailing axes' lengths for an array, row-major), plus an optional
//! provenance label: which method produced the result (`/status/method`, e.g.
//! `"nd/real/direct"`, or `"colamd"` after an automatic retry).
//!
//! ```
//! use qk_driver::model::Record;
//! let r = Record::new()
//!     .scalar("jz", -0.5)
//!     .array("p1_sq", &[1.0, 2.0, 3.0])
//!     .method("nd/real/direct");
//! assert_eq!(r.get("p1_sq"), Some(&[1.0, 2.0, 3.0][..]));
//! assert_eq!(r.values(), &[-0.5, 1.0, 2.0, 3.0]);
//! ```
//!
//! [`RecordLayout`] is the declared shape of a record, resolved once per run from the
//! model's observables and extra axes; [`RecordLayout::check`] turns a record that does
//! not match (a missing, extra, misnamed, short or long slot) into a [`PointError`]
//! naming the first difference.

use crate::error::{DriverError, PointError};
use crate::model::Model;
use std::borrow::Cow;

/// Longest provenance label kept in `/status/method` (bytes of ASCII; longer labels are cut).
pub const METHOD_LEN: usize = 64;

/// A worker's result for one grid point: named slots and a provenance label.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    values: Vec<f64>,
    slots: Vec<(Cow<'static, str>, usize)>,
    method: String,
}

impl Record {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append the slot `name` holding one value.
    pub fn scalar(self, name: impl Into<Cow<'static, str>>, value: f64) -> Self {
        self.array(name, std::slice::from_ref(&value))
    }

    /// Append the slot `name` holding `values` (row-major over the observable's axes).
    pub fn array(mut self, name: impl Into<Cow<'static, str>>, values: &[f64]) -> Self {
        self.values.extend_from_slice(values);
        self.slots.push((name.into(), values.len()));
        self
    }

    /// Set the provenance label: which method produced this result.
    pub fn method(mut self, label: impl Into<String>) -> Self {
        self.method = label.into();
        self
    }

    /// The values of slot `name`, if the record has it.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        let mut offset = 0;
        for (n, len) in &self.slots {
            if n == name {
                return Some(&self.values[offset..offset + len]);
            }
            offset += len;
        }
        None
    }

    /// All values, slot after slot.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The provenance label (empty when the worker set none).
    pub fn method_label(&self) -> &str {
        &self.method
    }

    /// The slots as (name, number of values).
    pub fn slots(&self) -> impl Iterator<Item = (&str, usize)> {
        self.slots.iter().map(|(n, l)| (n.as_ref(), *l))
    }

    /// The values and the label, the slot names dropped (after [`RecordLayout::check`]).
    pub fn into_parts(self) -> (Vec<f64>, String) {
        (self.values, self.method)
    }
}

/// One declared observable with its trailing shape resolved.
#[derive(Clone, Debug)]
pub struct SlotSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub len: usize,
}

/// The declared shape of every record of a run.
#[derive(Clone, Debug)]
pub struct RecordLayout {
    pub slots: Vec<SlotSpec>,
    /// Values per record (sum of the slot lengths).
    pub total: usize,
}

impl RecordLayout {
    /// Resolve the model's observables against its extra axes. A dimension that names no
    /// extra axis is a defect of the model, reported as an error of the run.
    pub fn of(model: &dyn Model) -> Result<Self, DriverError> {
        let extra = model.extra_axes();
        let mut slots = Vec::new();
        for o in model.observables() {
            let shape = o
                .dims
                .iter()
                .map(|d| {
                    extra
                        .iter()
                        .find(|x| &x.name == d)
                        .map(|x| x.values.len())
                        .ok_or_else(|| {
                            DriverError::Model(format!(
                                "observable {} has the axis {d}, which is not an extra axis of model {}",
                                o.name,
                                model.name()
                            ))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let len = shape
                .iter()
                .try_fold(1usize, |a, &b| a.checked_mul(b))
                .ok_or_else(|| DriverError::Model(format!("observable {} is too large", o.name)))?;
            slots.push(SlotSpec {
                name: o.name,
                shape,
                len,
            });
        }
        let total = slots
            .iter()
            .try_fold(0usize, |a, s| a.checked_add(s.len))
            .ok_or_else(|| DriverError::Model("records are too large".into()))?;
        Ok(RecordLayout { slots, total })
    }

    /// Whether `record` holds exactly the declared slots, in order, with their lengths.
    pub fn check(&self, record: &Record) -> Result<(), PointError> {
        let plural = |n: usize| if n == 1 { "value" } else { "values" };
        let mut got = record.slots();
        for (k, want) in self.slots.iter().enumerate() {
            match got.next() {
                None => {
                    return Err(PointError(format!(
                        "the worker's record ends after {k} slots: observable {} is missing",
                        want.name
                    )))
                }
                Some((name, _)) if name != want.name => {
                    return Err(PointError(format!(
                        "the worker's record has {name} where observable {} is declared (slot {k})",
                        want.name
                    )))
                }
                Some((_, len)) if len != want.len => {
                    return Err(PointError(format!(
                        "the worker's record has {len} {} for {}, which is declared with {} {}",
                        plural(len),
                        want.name,
                        want.len,
                        plural(want.len)
                    )))
                }
                Some(_) => {}
            }
        }
        if let Some((name, _)) = got.next() {
            return Err(PointError(format!(
                "the worker's record has the undeclared slot {name} after the {} declared ones",
                self.slots.len()
            )));
        }
        Ok(())
    }

    /// Names of the slots holding a non-finite value in `values` (a checked record's values).
    pub fn non_finite_slots(&self, values: &[f64]) -> Vec<&str> {
        let mut offset = 0;
        let mut names = Vec::new();
        for s in &self.slots {
            if values[offset..offset + s.len]
                .iter()
                .any(|v| !v.is_finite())
            {
                names.push(s.name.as_str());
            }
            offset += s.len;
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> RecordLayout {
        RecordLayout {
            slots: vec![
                SlotSpec {
                    name: "a".into(),
                    shape: vec![],
                    len: 1,
                },
                SlotSpec {
                    name: "b".into(),
                    shape: vec![3],
                    len: 3,
                },
            ],
            total: 4,
        }
    }

    #[test]
    fn a_matching_record_passes() {
        let r = Record::new().scalar("a", 1.0).array("b", &[1.0, 2.0, 3.0]);
        assert!(layout().check(&r).is_ok());
        assert_eq!(r.values().len(), layout().total);
    }

    #[test]
    fn every_mismatch_is_a_point_error_naming_the_slot() {
        let cases = [
            (Record::new().scalar("a", 1.0), "missing"),
            (
                Record::new().scalar("a", 1.0).array("b", &[1.0, 2.0]),
                "2 values for b",
            ),
            (
                Record::new().scalar("a", 1.0).array("b", &[1.0; 4]),
                "4 values for b",
            ),
            (
                Record::new().scalar("b", 1.0).array("a", &[1.0; 3]),
                "has b where observable a",
            ),
            (
                Record::new()
                    .scalar("a", 1.0)
                    .array("b", &[1.0; 3])
                    .scalar("c", 0.0),
                "undeclared slot c",
            ),
            (Record::new(), "ends after 0 slots"),
        ];
        for (r, want) in cases {
            let e = layout().check(&r).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn non_finite_slots_are_named() {
        assert_eq!(
            layout().non_finite_slots(&[1.0, 0.0, f64::NAN, 2.0]),
            vec!["b"]
        );
        assert!(layout().non_finite_slots(&[1.0; 4]).is_empty());
    }
}
