//! Dense matrix exponentials `exp(A τ)` for the no-jump evolution.
//!
//! Scaling and squaring with a Taylor polynomial: `exp(B)` for `‖B‖₁ ≤ ½` by
//! its Taylor series summed until a term is below `10⁻¹⁸` of the sum (the
//! remainder is then below the unit round-off), then squared up. Used for the
//! dyadic propagators `exp(A dt/2ᵏ)` of [`crate::jumps`], and as the naive
//! reference `exp(L t)` of the dense Liouvillian in its tests.

use faer::Mat;
use num_complex::Complex64;

/// `‖A‖₁` (largest column sum of moduli).
pub fn norm1(a: &Mat<Complex64>) -> f64 {
    (0..a.ncols())
        .map(|j| (0..a.nrows()).map(|i| a[(i, j)].norm()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// `s A`.
pub fn scaled(a: &Mat<Complex64>, s: f64) -> Mat<Complex64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] * s)
}

/// `exp(B)` by its Taylor series; accurate for `‖B‖₁ ≤ ½`.
pub fn taylor_exp(b: &Mat<Complex64>) -> Mat<Complex64> {
    let n = b.nrows();
    let mut sum = Mat::<Complex64>::identity(n, n);
    let mut term = Mat::<Complex64>::identity(n, n);
    for k in 1..60 {
        term = scaled(&(b * &term), 1.0 / k as f64);
        sum += &term;
        if norm1(&term) <= 1e-18 * norm1(&sum) {
            break;
        }
    }
    sum
}

/// `exp(A τ)` by scaling and squaring.
pub fn expm(a: &Mat<Complex64>, tau: f64) -> Mat<Complex64> {
    let norm = norm1(a) * tau.abs();
    let s = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let b = scaled(a, tau / 2f64.powi(s));
    let mut e = taylor_exp(&b);
    for _ in 0..s {
        e = &e * &e;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_of_a_rotation_and_a_decay() {
        // A = [[-g, w], [-w, -g]]: exp(A t) = e^{-g t} R(w t)
        let (g, w, t) = (0.3, 7.0, 2.5);
        let a = Mat::from_fn(2, 2, |i, j| {
            Complex64::new(
                match (i, j) {
                    (0, 0) | (1, 1) => -g,
                    (0, 1) => w,
                    _ => -w,
                },
                0.0,
            )
        });
        let e = expm(&a, t);
        let (c, s, d) = ((w * t).cos(), (w * t).sin(), (-g * t).exp());
        let want = [[c * d, s * d], [-s * d, c * d]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((e[(i, j)] - Complex64::new(want[i][j], 0.0)).norm() < 1e-13);
            }
        }
    }
}
