//! Discrete sine transform of type I (DST-I) on complex data.
//!
//! # Definition and normalisation
//!
//! For a vector `x_1 … x_n` the *unnormalised* DST-I computed here is
//!
//! ```text
//!     S[x]_k = Σ_{j=1}^{n} x_j sin(π j k / (n+1)),      k = 1 … n,
//! ```
//!
//! (FFTW's `RODFT00` up to its factor 2). It is its own inverse up to a
//! factor: `S S = (n+1)/2 · I`, so the orthonormal transform is
//! `O = sqrt(2/(n+1)) S`. On the well grid `x_j = jπ/(n+1)` the columns of `O`
//! are the samples of the sine eigenfunctions `φ_k(x) = sqrt(2/π) sin(kx)`
//! weighted by `sqrt(Δx)`, so `O` maps grid values (normalised with
//! `Σ|ψ_j|² = 1`) to sine-basis coefficients.
//!
//! # Algorithm (a length-(n+1) complex FFT)
//!
//! The textbook route embeds `x` in an odd sequence of length `2(n+1)` and
//! takes a complex FFT of that length; half of that work only reproduces the
//! symmetry. Here the DST-I of a complex vector costs one complex FFT of
//! length `N = n+1` plus O(n) pre- and post-processing (the real-input
//! "sinft" construction, applied to the real and imaginary parts at once
//! since `S` is real-linear). With `x_0 = x_N = 0` form
//!
//! ```text
//!     y_j = sin(πj/N)(x_j + x_{N−j}) + ½(x_j − x_{N−j}),   j = 0 … N−1,
//!     Y_k = Σ_j y_j e^{−2πi jk/N}                       (one FFT of length N)
//! ```
//!
//! For a *real* `x` one finds `Re Y_k = S_{2k+1} − S_{2k−1}`, `−Im Y_k = S_{2k}`.
//! For complex `x = a + ib` the transforms of `a` and `b` are separated by the
//! Hermitian symmetry of real-input DFTs, which gives the closed form
//!
//! ```text
//!     S_1      = Y_0 / 2,
//!     S_{2k}   = (i/2)(Y_k − Y_{N−k}),
//!     S_{2k+1} = S_{2k−1} + (Y_k + Y_{N−k})/2,
//! ```
//!
//! i.e. the odd outputs are a running sum. Its round-off grows like
//! `sqrt(n)·ε·max|S|`, well inside the 1e-12 budgets of the tests (see the
//! comparison with [`dst1_naive`] in the tests). The lengths the benchmarks
//! use, `n = 2^p − 1`, make `N` a power of two.
//!
//! Measured alternative: the odd extension of length `2(n+1)` through one
//! complex FFT of that length is about 2× slower (criterion group
//! `dst1d_64rows` in `benches/propagator.rs`, 64 rows of n = 2047 on the
//! project's 2-core development machine: 0.59 ms vs 1.20 ms), so it is not used.

use num_complex::Complex64 as C64;
use rustfft::{Fft, FftPlanner};
use std::f64::consts::PI;
use std::sync::Arc;

/// A planned DST-I of one length (plan once, apply many times).
pub struct Dst1 {
    n: usize,
    fft: Arc<dyn Fft<f64>>,
    /// `sin(π j / (n+1))`, `j = 0 … n`.
    sin_tab: Vec<f64>,
}

impl std::fmt::Debug for Dst1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dst1").field("n", &self.n).finish()
    }
}

impl Dst1 {
    /// Plan a DST-I of length `n ≥ 1` (uses `planner`, which caches FFT plans).
    pub fn new(n: usize, planner: &mut FftPlanner<f64>) -> Self {
        assert!(n >= 1, "DST-I length must be at least 1");
        let big_n = n + 1;
        let fft = planner.plan_fft_forward(big_n);
        let sin_tab = (0..big_n)
            .map(|j| (PI * j as f64 / big_n as f64).sin())
            .collect();
        Dst1 { n, fft, sin_tab }
    }

    /// Transform length `n`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always false (length ≥ 1); present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Length of one row of the FFT work buffer, `n + 1`.
    pub fn work_len(&self) -> usize {
        self.n + 1
    }

    /// Scratch length RustFFT needs for an in-place transform.
    pub fn scratch_len(&self) -> usize {
        self.fft.get_inplace_scratch_len()
    }

    /// Pre-processing: `x` (length n) → `y` (length n+1).
    #[inline]
    pub fn pre(&self, x: &[C64], y: &mut [C64]) {
        let n = self.n;
        let big_n = n + 1;
        assert!(x.len() == n && y.len() == big_n);
        y[0] = C64::new(0.0, 0.0);
        // Pairs (j, N−j) with j < N−j; x_j is x[j−1], x_{N−j} is x[n−j].
        let half = big_n / 2;
        let pairs = if big_n % 2 == 0 { half - 1 } else { half };
        let (lo, hi) = y[1..].split_at_mut(pairs);
        let hi_len = hi.len();
        let hi = &mut hi[hi_len - pairs..];
        for ((((yl, yh), a), b), s) in lo
            .iter_mut()
            .zip(hi.iter_mut().rev())
            .zip(&x[..pairs])
            .zip(x.iter().rev())
            .zip(&self.sin_tab[1..])
        {
            let sym = (a + b) * s;
            let anti = (a - b) * 0.5;
            *yl = sym + anti;
            *yh = sym - anti;
        }
        if big_n % 2 == 0 {
            // j = N/2: sin(π/2) = 1, x_j = x_{N−j}
            y[half] = x[half - 1] * 2.0;
        }
    }

    /// In-place FFT of a batch of rows of length `n+1` stored back to back.
    #[inline]
    pub fn fft_batch(&self, rows: &mut [C64], scratch: &mut [C64]) {
        self.fft.process_with_scratch(rows, scratch);
    }

    /// Post-processing: FFT output `y` (length n+1) → `S[x]` in `out` (length n).
    #[inline]
    pub fn post(&self, y: &[C64], out: &mut [C64]) {
        let n = self.n;
        let big_n = n + 1;
        assert!(y.len() == big_n && out.len() == n);
        let mut odd = y[0] * 0.5; // S_1
        let (first, rest) = out.split_first_mut().expect("n >= 1");
        *first = odd;
        // (out[2k−1], out[2k]) = (S_{2k}, S_{2k+1}), k = 1, 2, …; y_k ascending, y_{N−k} descending.
        let mut chunks = rest.chunks_exact_mut(2);
        let mut full = 0;
        for ((c, yk), ynk) in chunks.by_ref().zip(&y[1..]).zip(y[1..].iter().rev()) {
            let d = yk - ynk;
            c[0] = C64::new(-0.5 * d.im, 0.5 * d.re);
            odd += (yk + ynk) * 0.5;
            c[1] = odd;
            full += 1;
        }
        if let [last] = chunks.into_remainder() {
            let k = full + 1;
            let d = y[k] - y[big_n - k];
            *last = C64::new(-0.5 * d.im, 0.5 * d.re);
        }
    }

    /// Unnormalised DST-I of one vector in place (`work` ≥ n+1, `scratch` ≥
    /// [`Dst1::scratch_len`]). Convenience for tests and 1D use.
    pub fn process(&self, x: &mut [C64], work: &mut [C64], scratch: &mut [C64]) {
        let big_n = self.n + 1;
        let w = &mut work[..big_n];
        self.pre(x, w);
        self.fft.process_with_scratch(w, scratch);
        self.post(w, x);
    }
}

/// Naive O(n²) unnormalised DST-I, `S[x]_k = Σ_j x_j sin(π j k/(n+1))`.
/// The reference the fast transform is tested against.
pub fn dst1_naive(x: &[C64]) -> Vec<C64> {
    let n = x.len();
    let denom = (n + 1) as f64;
    (1..=n)
        .map(|k| {
            x.iter()
                .enumerate()
                .map(|(jm1, &xj)| {
                    // reduce j·k mod 2(n+1) so the sine argument stays small
                    let jk = ((jm1 + 1) * k) % (2 * (n + 1));
                    xj * (PI * jk as f64 / denom).sin()
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<C64> {
        // SplitMix64, so the test needs no RNG dependency.
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        (0..n).map(|_| C64::new(next(), next())).collect()
    }

    #[test]
    fn fast_matches_naive() {
        let mut planner = FftPlanner::new();
        for &n in &[1usize, 2, 3, 4, 5, 16, 17, 31, 100, 255, 257] {
            let plan = Dst1::new(n, &mut planner);
            let x = pseudo_random(n, n as u64);
            let want = dst1_naive(&x);
            // dirty work and scratch buffers
            let mut work = vec![C64::new(7.0, -3.0); n + 1];
            let mut scratch = vec![C64::new(f64::NAN, 1.0); plan.scratch_len()];
            let mut got = x.clone();
            plan.process(&mut got, &mut work, &mut scratch);
            let scale = want.iter().map(|v| v.norm()).fold(1.0, f64::max);
            for k in 0..n {
                let err = (got[k] - want[k]).norm();
                assert!(err <= 1e-13 * scale, "n={n} k={k} err={err:e}");
            }
        }
    }

    #[test]
    fn inverse_up_to_factor() {
        let mut planner = FftPlanner::new();
        for &n in &[1usize, 2, 7, 64, 63] {
            let plan = Dst1::new(n, &mut planner);
            let x = pseudo_random(n, 99 + n as u64);
            let mut y = x.clone();
            let mut work = vec![C64::default(); n + 1];
            let mut scratch = vec![C64::default(); plan.scratch_len()];
            plan.process(&mut y, &mut work, &mut scratch);
            plan.process(&mut y, &mut work, &mut scratch);
            let f = 2.0 / (n + 1) as f64;
            for k in 0..n {
                assert!((y[k] * f - x[k]).norm() < 1e-13, "n={n}");
            }
        }
    }
}
