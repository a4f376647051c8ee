//! Parameter grids: the `v | v1,v2,… | start:stop:count` syntax and the
//! Cartesian product of the axes.
//!
//! Every model parameter is an axis, a fixed one simply has length 1. Grid
//! points are numbered in row-major (C) order over the axes, the first axis
//! slowest, which is also the order of the leading dimensions of every
//! `/results/<obs>` dataset.

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

    /// The largest value of an integer axis (`None` for other kinds or when empty).
    pub fn max_int(&self) -> Option<i64> {
        match self {
            AxisValues::Int(v) => v.iter().copied().max(),
            _ => None,
        }
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

impl Axis {
    fn with(name: &str, flag: &str, values: AxisValues, units: &str, description: &str) -> Axis {
        Axis {
            name: name.into(),
            flag: flag.into(),
            values,
            units: units.into(),
            description: description.into(),
        }
    }

    /// The axis `name` (dataset `/grid/<name>`) of a real grid given to `flag`.
    pub fn real(name: &str, flag: &str, grid: &RealGrid, units: &str, description: &str) -> Axis {
        Self::with(
            name,
            flag,
            AxisValues::Real(grid.0.clone()),
            units,
            description,
        )
    }

    /// The axis `name` of an integer grid given to `flag`.
    pub fn int(name: &str, flag: &str, grid: &IntGrid, units: &str, description: &str) -> Axis {
        Self::with(
            name,
            flag,
            AxisValues::Int(grid.0.clone()),
            units,
            description,
        )
    }

    /// The axis `name` of labels (named choices) given to `flag`; a task sees the index.
    pub fn labels(
        name: &str,
        flag: &str,
        labels: Vec<String>,
        units: &str,
        description: &str,
    ) -> Axis {
        Self::with(name, flag, AxisValues::Label(labels), units, description)
    }
}

/// Why a grid argument could not be parsed (clap adds the flag).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct GridError(pub String);

/// A real grid `v | v1,v2,… | start:stop:count` (inclusive ends, finite values), parsed by
/// clap: `#[arg(long, allow_hyphen_values = true)] h: RealGrid`, or with a range rule
/// `#[arg(long, value_parser = grid::positive)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RealGrid(pub Vec<f64>);

/// An integer grid (same syntax, every value a whole number).
#[derive(Clone, Debug, PartialEq)]
pub struct IntGrid(pub Vec<i64>);

impl std::str::FromStr for RealGrid {
    type Err = GridError;
    fn from_str(text: &str) -> Result<Self, GridError> {
        parse_reals(text).map(RealGrid)
    }
}

impl std::str::FromStr for IntGrid {
    type Err = GridError;
    fn from_str(text: &str) -> Result<Self, GridError> {
        parse_reals(text)?
            .iter()
            .map(|&x| {
                if x.fract() != 0.0 || x.abs() > 9.0e15 {
                    Err(GridError(format!("{x} is not a whole number")))
                } else {
                    Ok(x as i64)
                }
            })
            .collect::<Result<_, _>>()
            .map(IntGrid)
    }
}

fn reals_where(text: &str, ok: fn(f64) -> bool, rule: &str) -> Result<RealGrid, GridError> {
    let g: RealGrid = text.parse()?;
    match g.0.iter().find(|&&v| !ok(v)) {
        Some(v) => Err(GridError(format!("{v} is not allowed: {rule}"))),
        None => Ok(g),
    }
}

fn ints_where(text: &str, ok: fn(i64) -> bool, rule: &str) -> Result<IntGrid, GridError> {
    let g: IntGrid = text.parse()?;
    match g.0.iter().find(|&&v| !ok(v)) {
        Some(v) => Err(GridError(format!("{v} is not allowed: {rule}"))),
        None => Ok(g),
    }
}

/// Value parser: a real grid of positive values.
pub fn positive(text: &str) -> Result<RealGrid, GridError> {
    reals_where(text, |x| x > 0.0, "must be positive")
}

/// Value parser: a real grid of non-negative values.
pub fn non_negative(text: &str) -> Result<RealGrid, GridError> {
    reals_where(text, |x| x >= 0.0, "must be at least 0")
}

/// Value parser: an integer grid of values at least 1.
pub fn positive_ints(text: &str) -> Result<IntGrid, GridError> {
    ints_where(text, |n| n >= 1, "must be at least 1")
}

/// Value parser: an integer grid of values in `LO..=HI`.
pub fn ints_in<const LO: i64, const HI: i64>(text: &str) -> Result<IntGrid, GridError> {
    let g: IntGrid = text.parse()?;
    match g.0.iter().find(|&&v| !(LO..=HI).contains(&v)) {
        Some(v) => Err(GridError(format!(
            "{v} is not allowed: must lie in {LO}..={HI}"
        ))),
        None => Ok(g),
    }
}

/// Parse `v | v1,v2,… | start:stop:count` into its values (finite). A range whose values
/// alone would not fit in this node's memory is refused before anything is allocated.
pub fn parse_reals(text: &str) -> Result<Vec<f64>, GridError> {
    let bad = |msg: String| GridError(msg);
    let text = text.trim();
    if text.is_empty() {
        return Err(bad(
            "empty grid; expected v, v1,v2,... or start:stop:count".into()
        ));
    }
    let number = |s: &str| -> Result<f64, GridError> {
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
        crate::limits::check_axis_length(count as u64).map_err(bad)?;
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

    /// Number of grid points (saturating: a grid that large is refused before use).
    pub fn len(&self) -> usize {
        self.shape()
            .iter()
            .fold(1usize, |a, &b| a.saturating_mul(b))
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

    fn reals(text: &str) -> Vec<f64> {
        text.parse::<RealGrid>().unwrap().0
    }

    #[test]
    fn single_list_and_range() {
        assert_eq!(reals("0.5"), vec![0.5]);
        assert_eq!(reals("-0.3, 0.005,1e-2"), vec![-0.3, 0.005, 0.01]);
        assert_eq!(reals("-0.5:1.5:5"), vec![-0.5, 0.0, 0.5, 1.0, 1.5]);
        assert_eq!(reals("2:2:1"), vec![2.0]);
        // the stop value is hit exactly even when the step is not representable
        let r = reals("0:1:201");
        assert_eq!(r.len(), 201);
        assert_eq!(*r.last().unwrap(), 1.0);
    }

    #[test]
    fn bad_grids_say_why() {
        for (bad, why) in [
            ("", "empty"),
            ("abc", "not a number"),
            ("1,,2", "not a number"),
            ("0:1:0", "at least 1"),
            ("0:1:-3", "at least 1"),
            ("0:1", "start:stop:count"),
            ("0:1:2:3", "start:stop:count"),
            ("nan", "finite"),
            ("inf", "finite"),
            ("1,NaN", "finite"),
            ("0:1:1.5", "whole number"),
            ("0:1:1", "start = stop"),
        ] {
            let e = bad.parse::<RealGrid>().unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn a_range_larger_than_memory_is_refused_before_allocation() {
        let e = "0:1:100000000000000".parse::<RealGrid>().unwrap_err();
        assert!(e.to_string().contains("memory"), "{e}");
    }

    #[test]
    fn integer_grids_and_rules() {
        let ints = |t: &str| t.parse::<IntGrid>().map(|g| g.0);
        assert_eq!(ints("25,50,100").unwrap(), vec![25, 50, 100]);
        assert_eq!(ints("10:40:4").unwrap(), vec![10, 20, 30, 40]);
        assert!(ints("2.5").unwrap_err().to_string().contains("whole"));
        assert!(ints("10:20:3").is_ok());
        assert!(ints("10:21:3").is_err());
        assert!(positive_ints("0").is_err() && positive_ints("1,2").is_ok());
        assert!(ints_in::<1, 3>("1,3").is_ok());
        assert!(ints_in::<1, 3>("1,4")
            .unwrap_err()
            .to_string()
            .contains("1..=3"));
        assert!(positive("0.1,0").is_err() && positive("0.1").is_ok());
        assert!(non_negative("-0.1").is_err() && non_negative("0").is_ok());
    }

    #[test]
    fn row_major_points() {
        let axis = |name: &str, v: Vec<f64>| Axis::real(name, "--x", &RealGrid(v), "", "");
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
