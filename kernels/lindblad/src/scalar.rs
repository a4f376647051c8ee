//! Scalars of the trace-constrained systems ([`crate::steady`]): `f64` for
//! the real formulation on the Hermitian half of ρ, `Complex64` for the
//! complex one. Each names the precision of its mixed-precision
//! preconditioner (`f32`, `Complex<f32>`) and how it is formed from the
//! complex entries of the Liouvillian.

use crate::liouvillian::NONE;
use crate::multifrontal::FactorScalar;
use num_complex::{Complex32, Complex64};

/// Which part of a complex Liouvillian entry an entry of the system takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Re,
    NegRe,
    Im,
    NegIm,
    /// The whole complex value (complex formulation).
    Whole,
}

/// A scalar of a trace-constrained system.
pub(crate) trait SystemScalar: FactorScalar<Input = Self> {
    /// Single-precision counterpart (the GMRES preconditioner's factor).
    type Low: FactorScalar<Input = Self>;
    /// Whether the system is the real formulation.
    const REAL: bool;
    /// Real flops per flop of the factorization count, bytes per entry.
    const FLOP_FACTOR: f64;
    const BYTES: usize;
    fn conj(self) -> Self;
    fn widen(x: Self::Low) -> Self;
    /// The system entry from a Liouvillian entry `z`.
    fn part(z: Complex64, part: Part) -> Self;
    fn finite(self) -> bool;
    /// The block unknown from the system solution: `x[re]` (complex), or
    /// `x[re] + i·sign·x[im]` (real; `im` = NONE on the diagonal).
    fn block_value(x: &[Self], re: usize, im: usize, sign: f64) -> Complex64;
    /// `(re, im)` of the value (`im = 0` for a real system).
    fn re_im(self) -> (f64, f64);
    /// The value from `(re, im)` (`im` ignored for a real system).
    fn from_re_im(re: f64, im: f64) -> Self;
}

impl SystemScalar for f64 {
    type Low = f32;
    const REAL: bool = true;
    const FLOP_FACTOR: f64 = 1.0;
    const BYTES: usize = 8;
    fn conj(self) -> Self {
        self
    }
    fn widen(x: f32) -> Self {
        x as f64
    }
    fn part(z: Complex64, part: Part) -> Self {
        match part {
            Part::Re | Part::Whole => z.re,
            Part::NegRe => -z.re,
            Part::Im => z.im,
            Part::NegIm => -z.im,
        }
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
    fn block_value(x: &[Self], re: usize, im: usize, sign: f64) -> Complex64 {
        let im = if im == NONE { 0.0 } else { sign * x[im] };
        Complex64::new(x[re], im)
    }
    fn re_im(self) -> (f64, f64) {
        (self, 0.0)
    }
    fn from_re_im(re: f64, _im: f64) -> Self {
        re
    }
}

impl SystemScalar for Complex64 {
    type Low = Complex32;
    const REAL: bool = false;
    const FLOP_FACTOR: f64 = 4.0;
    const BYTES: usize = 16;
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
    fn widen(x: Complex32) -> Self {
        Complex64::new(x.re as f64, x.im as f64)
    }
    fn part(z: Complex64, _part: Part) -> Self {
        z
    }
    fn finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
    fn block_value(x: &[Self], re: usize, _im: usize, _sign: f64) -> Complex64 {
        x[re]
    }
    fn re_im(self) -> (f64, f64) {
        (self.re, self.im)
    }
    fn from_re_im(re: f64, im: f64) -> Self {
        Complex64::new(re, im)
    }
}
