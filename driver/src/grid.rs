//! Parameter grids: the `v | v1,v2,… | start:stop:count` syntax and the
//! Cartesian product of the axes.
//!
//! Every model parameter is an axis, a fixed one simply has length 1. Grid
//! points are numbered in row-major (C) order over the axes, the first axis
//! slowest, which is also the order of the leading dimensions of every
//! `/results/<obs>` dataset.

use crate::error::{DriverError, InputError};

/// The values an axis takes.
#[derive(Clone, Debug, PartialEq)]
pub enum AxisValues {
    /// Real parameters (written as f64).
    Real(Vec<f64>),
    /// Integer parameters such as a system size (written as i64).
    Int(Vec<i64>),
    /// Named choices such as a lattice (written as strings); the task sees the index.
    Label(Vec<String>),
}

impl AxisValues {
    pub fn len(&self) -> usize {
        match self {
            AxisValues::Real(v) => v.len(),
            AxisValues::Int(v) => v.len(),
            AxisValues::Label(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of entry `i` as the task sees it (labels: their index).
    pub fn value(&self, i: usize) -> f64 {
        match self {
            AxisValues::Real(v) => v[i],
            AxisValues::Int(v) => v[i] as f64,
            AxisValues::Label(_) => i as f64,
        }
    }

    /// Canonical text used in the run signature (exact, round-trippable).
    pub fn canonical(&self) -> String {
        match self {
            AxisValues::Real(v) => v
                .iter()
                .map(|x| format!("{x:e}"))
                .collect::<Vec<_>>()
                .join(","),
            AxisValues::Int(v) => v
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(","),
            AxisValues::Label(v) => v.join(","),
        }
    }
}

/// One axis of the parameter grid.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Dataset name under `/grid/` (snake case, e.g. `gamma_a`).
    pub name: String,
    /// The command-line flag it came from, for error messages (e.g. `--gamma-a`).
    pub flag: String,
    pub values: AxisValues,
    pub units: String,
    pub description: String,
}

/// Parse a real grid `v | v1,v2,… | start:stop:count` given to `flag`.
/// Values must be finite.
pub fn parse_real(flag: &str, text: &str) -> Result<Vec<f64>, DriverError> {
    let bad = |msg: String| -> DriverError { InputError::new(flag, msg).into() };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad(
            "empty grid; expected v, v1,v2,... or start:stop:count".into()
        ));
    }
    let number = |s: &str| -> Result<f64, DriverError> {
        let s = s.trim();
        let x: f64 = s
            .parse()
            .map_err(|_| bad(format!("'{s}' is not a number")))?;
        if !x.is_finite() {
            return Err(bad(format!("'{s}' is not a finite number")));
        }
        Ok(x)
    };
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() != 3 {
            return Err(bad(format!("'{text}': a range is start:stop:count")));
        }
        let start = number(parts[0])?;
        let stop = number(parts[1])?;
        let count_text = parts[2].trim();
        let count: i64 = count_text.parse().map_err(|_| {
            bad(format!(
                "'{count_text}': the count in start:stop:count must be a whole number"
            ))
        })?;
        if count < 1 {
            return Err(bad(format!(
                "'{text}': the count in start:stop:count must be at least 1"
            )));
        }
        if count == 1 {
            if start != stop {
                return Err(bad(format!(
                    "'{text}': a single point needs start = stop (or give just the value)"
                )));
            }
            return Ok(vec![start]);
        }
        let n = count as usize;
        let step = (stop - start) / (count - 1) as f64;
        // Endpoints exact; interior points by start + i*step.
        Ok((0..n)
            .map(|i| {
                if i + 1 == n {
                    stop
                } else {
                    start + i as f64 * step
                }
            })
            .collect())
    } else {
        text.split(',').map(number).collect()
    }
}

/// Parse an integer grid (`v | v1,v2,… | start:stop:count`); every value must be a
/// whole number.
pub fn parse_int(flag: &str, text: &str) -> Result<Vec<i64>, DriverError> {
    let reals = parse_real(flag, text)?;
    reals
        .iter()
        .map(|&x| {
            if x.fract() != 0.0 || x.abs() > 9.0e15 {
                Err(InputError::new(flag, format!("{x} is not a whole number")).into())
            } else {
                Ok(x as i64)
            }
        })
        .collect()
}

/// Parse a comma-separated list of labels, each one of `allowed`.
pub fn parse_labels(flag: &str, text: &str, allowed: &[&str]) -> Result<Vec<String>, DriverError> {
    text.split(',')
        .map(|s| {
            let s = s.trim();
            if allowed.contains(&s) {
                Ok(s.to_string())
            } else {
                Err(InputError::new(
                    flag,
                    format!(
                        "unknown value '{s}' (expected one of: {})",
                        allowed.join(", ")
                    ),
                )
                .into())
            }
        })
        .collect()
}

/// A real axis parsed from the grid `text` given to `flag`, every value of which must
/// satisfy `ok` (otherwise an input error saying `what`).
pub fn real_axis(
    name: &str,
    flag: &str,
    text: &str,
    units: &str,
    description: &str,
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> Result<Axis, DriverError> {
    let values = parse_real(flag, text)?;
    require(flag, &values, ok, what)?;
    Ok(Axis {
        name: name.into(),
        flag: flag.into(),
        values: AxisValues::Real(values),
        units: units.into(),
        description: description.into(),
    })
}

/// An input error naming `flag` for the first of `values` that fails `ok`.
pub fn require(
    flag: &str,
    values: &[f64],
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> Result<(), InputError> {
    match values.iter().find(|&&v| !ok(v)) {
        Some(v) => Err(InputError::new(flag, format!("{v} is not allowed: {what}"))),
        None => Ok(()),
    }
}

/// The Cartesian product of the axes, points numbered row-major.
#[derive(Clone, Debug)]
pub struct Grid {
    pub axes: Vec<Axis>,
}

impl Grid {
    pub fn new(axes: Vec<Axis>) -> Self {
        Grid { axes }
    }

    /// Lengths of the axes, in order.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.values.len()).collect()
    }

    /// Number of grid points.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Multi-index of point `flat` (row-major, first axis slowest).
    pub fn multi_index(&self, mut flat: usize) -> Vec<usize> {
        let shape = self.shape();
        let mut idx = vec![0; shape.len()];
        for (k, &n) in shape.iter().enumerate().rev() {
            idx[k] = flat % n;
            flat /= n;
        }
        idx
    }

    /// Parameter values of point `flat`, one per axis.
    pub fn point(&self, flat: usize) -> Vec<f64> {
        self.multi_index(flat)
            .iter()
            .zip(&self.axes)
            .map(|(&i, a)| a.values.value(i))
            .collect()
    }

    /// Index of the axis called `name`.
    pub fn axis_index(&self, name: &str) -> Option<usize> {
        self.axes.iter().position(|a| a.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_list_and_range() {
        assert_eq!(parse_real("--h", "0.5").unwrap(), vec![0.5]);
        assert_eq!(
            parse_real("--h", "-0.3, 0.005,1e-2").unwrap(),
            vec![-0.3, 0.005, 0.01]
        );
        let r = parse_real("--h", "-0.5:1.5:5").unwrap();
        assert_eq!(r, vec![-0.5, 0.0, 0.5, 1.0, 1.5]);
        assert_eq!(parse_real("--h", "2:2:1").unwrap(), vec![2.0]);
        // the stop value is hit exactly even when the step is not representable
        let r = parse_real("--h", "0:1:201").unwrap();
        assert_eq!(r.len(), 201);
        assert_eq!(*r.last().unwrap(), 1.0);
    }

    #[test]
    fn bad_grids_name_the_flag() {
        for bad in [
            "", "abc", "1,,2", "0:1:0", "0:1:-3", "0:1", "0:1:2:3", "nan", "inf", "1,NaN",
            "0:1:1.5", "0:1:1",
        ] {
            let e = parse_real("--gamma-a", bad).unwrap_err().to_string();
            assert!(e.contains("--gamma-a"), "{bad}: {e}");
        }
    }

    #[test]
    fn integer_grids() {
        assert_eq!(parse_int("--n", "25,50,100").unwrap(), vec![25, 50, 100]);
        assert_eq!(parse_int("--n", "10:40:4").unwrap(), vec![10, 20, 30, 40]);
        assert!(parse_int("--n", "2.5")
            .unwrap_err()
            .to_string()
            .contains("--n"));
        assert!(parse_int("--n", "10:20:3").is_ok());
        assert!(parse_int("--n", "10:21:3").is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(
            parse_labels("--lattice", "square,cubic", &["square", "cubic"])
                .unwrap()
                .len(),
            2
        );
        assert!(parse_labels("--lattice", "hex", &["square", "cubic"]).is_err());
    }

    #[test]
    fn row_major_points() {
        let axis = |name: &str, v: Vec<f64>| Axis {
            name: name.into(),
            flag: format!("--{name}"),
            values: AxisValues::Real(v),
            units: String::new(),
            description: String::new(),
        };
        let g = Grid::new(vec![
            axis("a", vec![1.0, 2.0]),
            axis("b", vec![10.0, 20.0, 30.0]),
        ]);
        assert_eq!(g.len(), 6);
        assert_eq!(g.multi_index(4), vec![1, 1]);
        assert_eq!(g.point(4), vec![2.0, 20.0]);
        assert_eq!(g.point(2), vec![1.0, 30.0]);
    }
}
