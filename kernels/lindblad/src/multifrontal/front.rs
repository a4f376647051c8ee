//! Partial LU of one dense front with threshold pivoting, delayed pivots
//! and static pivot perturbation: what happens when a pivot is tiny.
//!
//! # The front
//!
//! A front is an `m × m` column-major matrix whose leading `f` rows and
//! columns are *fully summed* (no later contribution will reach them) and
//! whose trailing `b = m − f` rows and columns are the boundary, still to be
//! summed by the ancestors. `factor_front` eliminates up to `f` pivots,
//! choosing rows among the fully summed rows and columns among the fully
//! summed columns, and leaves, with `k` the number eliminated,
//!
//! ```text
//!   rows  [pivots (k) | delayed rows (f − k) | boundary (b)]
//!   cols  [pivots (k) | delayed cols (f − k) | boundary (b)]
//!   a[0..k, 0..k] = L11 \ U11,   a[0..k, k..m] = U12,
//!   a[k..m, 0..k] = L21,         a[k..m, k..m] = S   (Schur complement),
//! ```
//!
//! so that `P F Q = [L11 0; L21 I] [U11 U12; 0 S]` with the permutations
//! recorded in `rows` / `cols`. The delayed rows and columns travel with
//! `S` to the parent, where they are fully summed among the parent's own.
//!
//! # Pivoting
//!
//! Column `c` (in natural order) is tried with the largest entry `p` of its
//! fully summed rows; with `s` the largest entry of the whole column of the
//! front (fully summed and boundary rows, as updated so far) it is accepted
//! when
//!
//! ```text
//!   |p| > tiny   and   |p| ≥ u · s                      (threshold partial pivoting)
//! ```
//!
//! so that every entry of `L` is bounded by `1/u`. A column that fails is
//! moved behind the remaining candidates and *delayed* (MA41 / MUMPS:
//! Duff & Reid, ACM TOMS 9 (1983) 302; Amestoy, Duff, Koster & L'Excellent,
//! SIMAX 23 (2001) 15, where `u = 0.01` is the default). Where delaying is
//! not possible (a root of the elimination tree, `PivotPolicy::can_delay`
//! false) the best available pivot is taken whatever `u`; if even that is
//! zero to round-off (`|p| ≤ tiny`) the fully summed block, and with it the
//! whole matrix, is singular: an error (`FrontError::ZeroPivot`), unless
//! the policy asks for *static pivoting* (`Perturbation`): a pivot with
//! `|p| ≤ below` is then replaced by `to` with the sign (phase) of `p` (Li
//! & Demmel, ACM TOMS 29 (2003) 110; Schenk & Gärtner, FGCS 20 (2004) 475,
//! with no delays at all in that mode). A perturbed factor is the exact LU of
//! `A + Σ δ_i e_r eᵀ_c`, a rank-`q` change that the caller corrects by
//! GMRES on the perturbed factor (Arioli, Duff, Gratton & Pralet, SISC 29
//! (2007) 2024).
//!
//! # Algorithm
//!
//! Right-looking and blocked by panels of `PANEL` columns: inside a panel,
//! rank-1 updates of the panel's columns (all `m` rows, so the threshold
//! test sees the boundary rows); after it, the panel's row interchanges are
//! applied to the other columns, the fully summed columns to the right are
//! updated by a triangular solve and one matrix product, and the panel's
//! rejected columns are rotated behind the candidates. The boundary columns
//! are updated once at the end (`U12 = L11⁻¹ P F12`, `S = F22 − L21 U12`,
//! one matrix product of inner dimension `k`). The flops are those of the
//! unpivoted partial factorization; the work is deterministic (no
//! dependence on threads), so factors are bit-identical for any thread
//! count.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_unit_lower_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, MatMut, Par};
use qk_buffers::ZeroBits;

/// Scalar of the stored factors: `f64` or `Complex64`, or `f32` /
/// `Complex<f32>` for a half-size factor used as a preconditioner (values
/// are rounded on assembly from [`FactorScalar::Input`]).
pub trait FactorScalar:
    faer::traits::ComplexField
    + Copy
    + Default
    + Send
    + Sync
    + PartialEq
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + ZeroBits
    + 'static
{
    /// Scalar of the matrix being factorized (`f64` or `Complex64`).
    type Input: Copy + Send + Sync;
    /// Pivots with modulus at or below this fraction of `max |A_ij|` count
    /// as zero. Double precision: a round-off level; single precision (a
    /// preconditioner, whose errors the Krylov method corrects): only a
    /// vanishing pivot.
    const PIVOT_FLOOR: f64;
    /// Unit round-off of the factor's precision.
    const EPSILON: f64;
    /// Rounds an input value.
    fn from_input(x: Self::Input) -> Self;
    /// The real value `x`.
    fn from_f64(x: f64) -> Self;
    /// `|x|` in double precision.
    fn magnitude(self) -> f64;
    /// `|x|` of an input value.
    fn input_magnitude(x: Self::Input) -> f64;
}

impl FactorScalar for f64 {
    type Input = f64;
    const PIVOT_FLOOR: f64 = 1e-14;
    const EPSILON: f64 = f64::EPSILON;
    fn from_input(x: f64) -> Self {
        x
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn magnitude(self) -> f64 {
        self.abs()
    }
    fn input_magnitude(x: f64) -> f64 {
        x.abs()
    }
}

impl FactorScalar for f32 {
    type Input = f64;
    const PIVOT_FLOOR: f64 = 1e-30;
    const EPSILON: f64 = f32::EPSILON as f64;
    fn from_input(x: f64) -> Self {
        x as f32
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn magnitude(self) -> f64 {
        self.abs() as f64
    }
    fn input_magnitude(x: f64) -> f64 {
        x.abs()
    }
}

impl FactorScalar for num_complex::Complex64 {
    type Input = num_complex::Complex64;
    const PIVOT_FLOOR: f64 = 1e-14;
    const EPSILON: f64 = f64::EPSILON;
    fn from_input(x: Self::Input) -> Self {
        x
    }
    fn from_f64(x: f64) -> Self {
        num_complex::Complex64::new(x, 0.0)
    }
    fn magnitude(self) -> f64 {
        self.norm_sqr().sqrt()
    }
    fn input_magnitude(x: Self::Input) -> f64 {
        x.norm_sqr().sqrt()
    }
}

impl FactorScalar for num_complex::Complex32 {
    type Input = num_complex::Complex64;
    const PIVOT_FLOOR: f64 = 1e-30;
    const EPSILON: f64 = f32::EPSILON as f64;
    fn from_input(x: Self::Input) -> Self {
        num_complex::Complex32::new(x.re as f32, x.im as f32)
    }
    fn from_f64(x: f64) -> Self {
        num_complex::Complex32::new(x as f32, 0.0)
    }
    fn magnitude(self) -> f64 {
        (self.norm_sqr() as f64).sqrt()
    }
    fn input_magnitude(x: Self::Input) -> f64 {
        x.norm_sqr().sqrt()
    }
}

/// Columns per panel of the blocked factorization.
pub(crate) const PANEL: usize = 32;

/// How pivots are chosen in a front (module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PivotPolicy {
    /// Threshold `u ∈ [0, 1]` of the partial-pivoting test.
    pub threshold: f64,
    /// Moduli at or below `tiny` are zero.
    pub tiny: f64,
    /// Columns failing the test may be delayed (false at a root).
    pub can_delay: bool,
    /// Static pivoting: what to do with an accepted pivot that is too
    /// small; `None`: a pivot at or below `tiny` that cannot be delayed is
    /// an error ([`FrontError::ZeroPivot`]).
    pub perturb: Option<Perturbation>,
}

/// Static pivoting: pivots with modulus at or below `below` become `to`
/// (with their sign or phase).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Perturbation {
    pub below: f64,
    pub to: f64,
}

/// What one front's factorization did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FrontOutcome {
    /// Pivots eliminated (`k`).
    pub eliminated: usize,
    /// Pivots replaced by a perturbation.
    pub perturbed: usize,
}

/// Why a front could not be factorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrontError {
    /// A candidate column holds a non-finite value (overflow).
    NonFinite,
    /// Every remaining candidate is zero to round-off where no pivot can be
    /// delayed (the fully summed block is singular) and no perturbation is
    /// allowed.
    ZeroPivot,
}

/// Scratch of [`factor_front`], reused across fronts.
pub(crate) struct FrontScratch<T> {
    /// Front positions of the layout after the factorization: row / column
    /// `i < f` of the layout is front row / column `rows[i]` / `cols[i]`.
    pub rows: Vec<u32>,
    pub cols: Vec<u32>,
    swaps: Vec<usize>,
    piv: Vec<usize>,
    piv_inv: Vec<usize>,
    gather: Vec<T>,
    lu_mem: MemBuffer,
    /// Order the LU scratch was sized for.
    lu_order: usize,
}

impl<T: FactorScalar> FrontScratch<T> {
    pub(crate) fn new() -> Self {
        Self {
            rows: Vec::new(),
            cols: Vec::new(),
            swaps: Vec::new(),
            piv: Vec::new(),
            piv_inv: Vec::new(),
            gather: Vec::new(),
            lu_mem: MemBuffer::new(faer::dyn_stack::StackReq::EMPTY),
            lu_order: 0,
        }
    }
}

/// Partial LU of the `m × m` column-major front `a` with `f` fully summed
/// rows and columns (module docs); the layout's permutations are left in
/// `scratch.rows` / `scratch.cols`.
///
/// First the fast path: faer's blocked LU with partial pivoting of the
/// fully summed block, `L21 = F21 U11⁻¹`, and the test of every pivot
/// (`|L21| ≤ 1/u`, `|u_ii| > tiny`, and below `perturb_below` none). Only
/// when a pivot fails does `reassemble` rewrite the first `f` columns of
/// `a` with the front's original values, and the pivot-by-pivot algorithm
/// of the module docs redo the front.
///
/// # Errors
/// [`FrontError`]: a non-finite candidate column, or a zero pivot that can
/// be neither delayed nor perturbed.
pub(crate) fn factor_front<T: FactorScalar>(
    a: &mut [T],
    m: usize,
    f: usize,
    policy: &PivotPolicy,
    scratch: &mut FrontScratch<T>,
    reassemble: &mut dyn FnMut(&mut [T]),
) -> Result<FrontOutcome, FrontError> {
    debug_assert!(f <= m && a.len() >= m * m);
    if try_fast(a, m, f, policy, scratch) {
        scratch.rows.clear();
        scratch
            .rows
            .extend(scratch.piv[..f].iter().map(|&p| p as u32));
        scratch.cols.clear();
        scratch.cols.extend(0..f as u32);
        return Ok(FrontOutcome {
            eliminated: f,
            perturbed: 0,
        });
    }
    reassemble(a);
    let FrontScratch {
        rows, cols, swaps, ..
    } = scratch;
    factor_front_by_pivots(a, m, f, policy, rows, cols, swaps)
}

/// The fast path of [`factor_front`]; false (with `a`'s first `f` columns
/// overwritten) when a pivot fails its test.
fn try_fast<T: FactorScalar>(
    a: &mut [T],
    m: usize,
    f: usize,
    policy: &PivotPolicy,
    scratch: &mut FrontScratch<T>,
) -> bool {
    if f == 0 {
        return true;
    }
    if scratch.lu_order < f {
        let req = lu_in_place_scratch::<usize, T>(f, f, Par::Seq, Default::default());
        scratch.lu_mem = MemBuffer::new(req);
        scratch.lu_order = f;
    }
    scratch.piv.resize(f, 0);
    scratch.piv_inv.resize(f, 0);
    let b = m - f;
    {
        let front = MatMut::from_column_major_slice_mut(&mut a[..f * m], m, f);
        let (f11, f21) = front.split_at_row_mut(f);
        let mut f11 = f11;
        lu_in_place(
            f11.rb_mut(),
            &mut scratch.piv,
            &mut scratch.piv_inv,
            Par::Seq,
            MemStack::new(&mut scratch.lu_mem),
            Default::default(),
        );
        for i in 0..f {
            let u = f11[(i, i)].magnitude();
            if !(u > policy.tiny && policy.perturb.is_none_or(|p| u > p.below)) {
                return false;
            }
        }
        if b > 0 {
            // L21 = F21 U11⁻¹  ⇔  U11ᵀ L21ᵀ = F21ᵀ
            let mut f21 = f21;
            solve_lower_triangular_in_place(
                f11.rb().transpose(),
                f21.rb_mut().transpose_mut(),
                Par::Seq,
            );
        }
    }
    if b > 0 && policy.can_delay && policy.threshold > 0.0 {
        let bound = 1.0 / policy.threshold;
        for j in 0..f {
            if !a[j * m + f..(j + 1) * m]
                .iter()
                .all(|v| v.magnitude() <= bound)
            {
                return false;
            }
        }
    }
    if b > 0 {
        // U12 = L11⁻¹ P F12, S −= L21 U12
        scratch.gather.resize(f, T::default());
        for j in f..m {
            let col = &mut a[j * m..j * m + f];
            for (g, &p) in scratch.gather.iter_mut().zip(&scratch.piv) {
                *g = col[p];
            }
            col.copy_from_slice(&scratch.gather);
        }
        update_right(a, m, 0, f, f, m);
    }
    true
}

/// The pivot-by-pivot partial LU of the module docs (threshold test per
/// column, delays, perturbation); `rows` / `cols` receive the layout.
fn factor_front_by_pivots<T: FactorScalar>(
    a: &mut [T],
    m: usize,
    f: usize,
    policy: &PivotPolicy,
    rows: &mut Vec<u32>,
    cols: &mut Vec<u32>,
    swaps: &mut Vec<usize>,
) -> Result<FrontOutcome, FrontError> {
    rows.clear();
    rows.extend(0..f as u32);
    cols.clear();
    cols.extend(0..f as u32);
    let mut out = FrontOutcome::default();
    let mut k = 0usize;
    let mut cand_end = f;
    while k < cand_end {
        let (j0, j1) = (k, (k + PANEL).min(cand_end));
        let mut pe = j1;
        let kp0 = k;
        swaps.clear();
        while k < pe {
            let col = &a[k * m..(k + 1) * m];
            let (mut r, mut pmax) = (k, -1.0f64);
            for (i, v) in col[k..f].iter().enumerate() {
                let x = v.magnitude();
                if x > pmax {
                    (r, pmax) = (k + i, x);
                }
            }
            let smax =
                col[f..].iter().fold(
                    pmax,
                    |s, v| if v.magnitude() > s { v.magnitude() } else { s },
                );
            if !pmax.is_finite() || !smax.is_finite() {
                return Err(FrontError::NonFinite);
            }
            let acceptable = pmax > policy.tiny && pmax >= policy.threshold * smax;
            if !acceptable && policy.can_delay {
                // delay: behind the panel's remaining candidates (same
                // update state: both have every pivot of the panel so far)
                if k != pe - 1 {
                    swap_columns(a, m, k, pe - 1);
                    cols.swap(k, pe - 1);
                }
                pe -= 1;
                continue;
            }
            match policy.perturb {
                Some(p) if pmax <= p.below => {
                    let v = a[k * m + r];
                    let mag = v.magnitude();
                    a[k * m + r] = if mag > 0.0 {
                        v * T::from_f64(p.to / mag)
                    } else {
                        T::from_f64(p.to)
                    };
                    out.perturbed += 1;
                }
                None if pmax <= policy.tiny => return Err(FrontError::ZeroPivot),
                _ => {}
            }
            if r != k {
                for j in j0..j1 {
                    a.swap(j * m + k, j * m + r);
                }
                rows.swap(k, r);
            }
            swaps.push(r);
            let inv = T::from_f64(1.0) / a[k * m + k];
            for v in &mut a[k * m + k + 1..(k + 1) * m] {
                *v *= inv;
            }
            // rank-1 update of the panel's columns to the right
            let (left, right) = a.split_at_mut((k + 1) * m);
            let lcol = &left[k * m + k + 1..];
            for j in k + 1..j1 {
                let cj = &mut right[(j - k - 1) * m..(j - k) * m];
                let u = cj[k];
                if u != T::default() {
                    for (x, &l) in cj[k + 1..].iter_mut().zip(lcol) {
                        *x -= l * u;
                    }
                }
            }
            k += 1;
        }
        // the panel's interchanges on every other column
        if !swaps.is_empty() {
            for j in (0..j0).chain(j1..m) {
                let cj = &mut a[j * m..(j + 1) * m];
                for (t, &r) in swaps.iter().enumerate() {
                    if r != kp0 + t {
                        cj.swap(kp0 + t, r);
                    }
                }
            }
        }
        // fully summed columns to the right: U block and Schur update
        if k > kp0 && j1 < f {
            update_right(a, m, kp0, k, j1, f);
        }
        // the panel's rejected columns [k, j1) go behind the candidates
        let nrej = j1 - k;
        if nrej > 0 && j1 < cand_end {
            a[k * m..cand_end * m].rotate_left(nrej * m);
            cols[k..cand_end].rotate_left(nrej);
        }
        cand_end -= nrej;
    }
    out.eliminated = k;
    // boundary columns: U12 = L11⁻¹ P F12, S −= L21 U12
    if k > 0 && m > f {
        update_right(a, m, 0, k, f, m);
    }
    Ok(out)
}

/// With pivots `p0..p1` eliminated in columns `p0..p1`, updates columns
/// `c0..c1`: rows `p0..p1` by the unit lower triangle of the pivots (`U`
/// block), rows `p1..m` by the product of the pivots' `L` block and that `U`
/// block.
fn update_right<T: FactorScalar>(
    a: &mut [T],
    m: usize,
    p0: usize,
    p1: usize,
    c0: usize,
    c1: usize,
) {
    debug_assert!(p1 <= c0);
    let (left, right) = a.split_at_mut(c0 * m);
    let lblk = MatMut::from_column_major_slice_mut(&mut left[p0 * m..p1 * m], m, p1 - p0);
    let lblk = lblk.rb();
    let tri = lblk.subrows(p0, p1 - p0);
    let lower = lblk.subrows(p1, m - p1);
    let rblk = MatMut::from_column_major_slice_mut(&mut right[..(c1 - c0) * m], m, c1 - c0);
    let (_, rest) = rblk.split_at_row_mut(p0);
    let (mut ublk, sblk) = rest.split_at_row_mut(p1 - p0);
    solve_unit_lower_triangular_in_place(tri, ublk.rb_mut(), Par::Seq);
    if p1 < m {
        matmul(
            sblk,
            Accum::Add,
            lower,
            ublk.rb(),
            T::from_f64(-1.0),
            Par::Seq,
        );
    }
}

fn swap_columns<T: Copy>(a: &mut [T], m: usize, i: usize, j: usize) {
    let (lo, hi) = (i.min(j), i.max(j));
    let (x, y) = a.split_at_mut(hi * m);
    x[lo * m..(lo + 1) * m].swap_with_slice(&mut y[..m]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(can_delay: bool) -> PivotPolicy {
        PivotPolicy {
            threshold: 0.01,
            tiny: 1e-14,
            can_delay,
            perturb: None,
        }
    }

    fn static_policy() -> PivotPolicy {
        PivotPolicy {
            threshold: 0.0,
            tiny: 1e-14,
            can_delay: false,
            perturb: Some(Perturbation {
                below: 1e-14,
                to: 1e-8,
            }),
        }
    }

    /// Deterministic pseudo-random values in [−1, 1).
    fn rand(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// Checks `P F Q = [L11 0; L21 I][U11 U12; 0 S]` and the bound `|L| ≤ 1/u`.
    fn check(orig: &[f64], fac: &[f64], m: usize, f: usize, rows: &[u32], cols: &[u32], k: usize) {
        let rpos = |i: usize| if i < f { rows[i] as usize } else { i };
        let cpos = |j: usize| if j < f { cols[j] as usize } else { j };
        let lo = |i: usize, p: usize| {
            if i == p {
                1.0
            } else if i > p {
                fac[p * m + i]
            } else {
                0.0
            }
        };
        let mut worst = 0.0f64;
        let scale = orig.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for j in 0..m {
            for i in 0..m {
                // (L U)_ij with L = [L11 0; L21 I] (m × m), U = [U11 U12; 0 S]
                let mut s = 0.0;
                for p in 0..k.min(i + 1) {
                    if p <= j {
                        s += lo(i, p) * fac[j * m + p];
                    }
                }
                if i >= k && j >= k {
                    s += fac[j * m + i];
                }
                let want = orig[cpos(j) * m + rpos(i)];
                worst = worst.max((s - want).abs());
            }
        }
        assert!(
            worst <= 1e-12 * scale.max(1.0),
            "reconstruction error {worst}"
        );
        for p in 0..k {
            for i in p + 1..m {
                assert!(
                    fac[p * m + i].abs() <= 100.0 + 1e-9,
                    "L entry {}",
                    fac[p * m + i]
                );
            }
        }
    }

    type Factored = (Vec<f64>, Vec<u32>, Vec<u32>, FrontOutcome);

    fn try_run(orig: &[f64], m: usize, f: usize, pol: PivotPolicy) -> Result<Factored, FrontError> {
        let mut a = orig.to_vec();
        let mut scratch = FrontScratch::new();
        let out = factor_front(&mut a, m, f, &pol, &mut scratch, &mut |a: &mut [f64]| {
            a[..f * m].copy_from_slice(&orig[..f * m])
        })?;
        Ok((a, scratch.rows, scratch.cols, out))
    }

    fn run(orig: &[f64], m: usize, f: usize, pol: PivotPolicy) -> Factored {
        try_run(orig, m, f, pol).unwrap()
    }

    #[test]
    fn random_fronts_reconstruct() {
        let mut seed = 7u64;
        for &(m, f) in &[
            (1, 1),
            (3, 2),
            (40, 40),
            (70, 33),
            (100, 64),
            (130, 65),
            (5, 0),
        ] {
            let orig: Vec<f64> = (0..m * m).map(|_| rand(&mut seed)).collect();
            let (a, rows, cols, out) = run(&orig, m, f, policy(true));
            assert_eq!(out.eliminated, f, "m = {m}, f = {f}");
            check(&orig, &a, m, f, &rows, &cols, out.eliminated);
        }
    }

    /// The pivot-by-pivot path alone (the fast path's fallback) on the same
    /// random fronts, and with many delayed columns spread over several
    /// panels (rotations behind the candidates).
    #[test]
    fn pivot_by_pivot_path() {
        let mut seed = 17u64;
        for &(m, f, zeroed) in &[(70usize, 33usize, 0usize), (130, 100, 0), (150, 110, 12)] {
            let mut orig: Vec<f64> = (0..m * m).map(|_| rand(&mut seed)).collect();
            let zero_cols: Vec<usize> = (0..zeroed).map(|i| (i * 37 + 5) % f).collect();
            for &c in &zero_cols {
                for i in 0..f {
                    orig[c * m + i] = 0.0;
                }
            }
            let mut a = orig.clone();
            let (mut rows, mut cols, mut sw) = (Vec::new(), Vec::new(), Vec::new());
            let out =
                factor_front_by_pivots(&mut a, m, f, &policy(true), &mut rows, &mut cols, &mut sw)
                    .unwrap();
            assert_eq!(out.eliminated, f - zeroed, "m = {m}, f = {f}");
            let mut delayed: Vec<u32> = cols[out.eliminated..f].to_vec();
            delayed.sort_unstable();
            let mut want: Vec<u32> = zero_cols.iter().map(|&c| c as u32).collect();
            want.sort_unstable();
            assert_eq!(delayed, want);
            check(&orig, &a, m, f, &rows, &cols, out.eliminated);
        }
    }

    /// Zero diagonal everywhere (restricted diagonal pivoting would fail at
    /// once): rows are interchanged, nothing is delayed.
    #[test]
    fn zero_diagonal() {
        let (m, f) = (50, 40);
        let mut seed = 3u64;
        let mut orig: Vec<f64> = (0..m * m).map(|_| rand(&mut seed)).collect();
        for i in 0..m {
            orig[i * m + i] = 0.0;
        }
        let (a, rows, cols, out) = run(&orig, m, f, policy(true));
        assert_eq!(out.eliminated, f);
        check(&orig, &a, m, f, &rows, &cols, f);
    }

    /// The fully summed rows are zero in two columns (the pivots must come
    /// from the boundary rows, which are not available yet): exactly those
    /// two columns (and two rows) are delayed; at a root they would be
    /// perturbed instead.
    #[test]
    fn zero_fully_summed_columns_are_delayed() {
        let (m, f) = (60, 45);
        let mut seed = 11u64;
        let mut orig: Vec<f64> = (0..m * m).map(|_| rand(&mut seed)).collect();
        for &c in &[3usize, 37] {
            for i in 0..f {
                orig[c * m + i] = 0.0;
            }
        }
        let (a, rows, cols, out) = run(&orig, m, f, policy(true));
        assert_eq!(out.eliminated, f - 2);
        assert_eq!(out.perturbed, 0);
        let mut delayed: Vec<u32> = cols[f - 2..f].to_vec();
        delayed.sort_unstable();
        assert_eq!(delayed, vec![3, 37]);
        check(&orig, &a, m, f, &rows, &cols, out.eliminated);
    }

    /// A zero leading block: the first 20 fully summed columns couple only
    /// to later fully summed rows, so pivots must be found by interchanges
    /// across the block.
    #[test]
    fn zero_leading_block() {
        let (m, f) = (80, 60);
        let mut seed = 5u64;
        let mut orig: Vec<f64> = (0..m * m).map(|_| rand(&mut seed)).collect();
        for j in 0..20 {
            for i in 0..20 {
                orig[j * m + i] = 0.0;
            }
        }
        let (a, rows, cols, out) = run(&orig, m, f, policy(true));
        assert_eq!(out.eliminated, f);
        check(&orig, &a, m, f, &rows, &cols, f);
    }

    /// A tiny pivot whose column is large in the boundary rows fails the
    /// threshold test and is delayed, even though it is far above round-off.
    #[test]
    fn threshold_delays_small_pivot() {
        let (m, f) = (3, 1);
        // column 0: fully summed entry 1e-6, boundary entries 1
        let orig = vec![1e-6, 1.0, 1.0, 1.0, 2.0, 0.0, 0.5, 0.0, 3.0];
        let (_, _, _, out) = run(&orig, m, f, policy(true));
        assert_eq!(out.eliminated, 0);
        let (a, rows, cols, out) = run(&orig, m, f, policy(false));
        assert_eq!(out.eliminated, 1);
        assert_eq!(out.perturbed, 0);
        // accepted anyway at a root: L entries 1e6 (no bound check here)
        assert!((a[1] - 1e6).abs() < 1e-3);
        let _ = (rows, cols);
    }

    /// An exactly singular fully summed block at a root: an error with
    /// threshold pivoting; with static pivoting the zero pivot is perturbed
    /// and counted, and the factors are those of the perturbed matrix.
    #[test]
    fn root_perturbs_zero_pivot() {
        let m = 4;
        // rank 3: last column = sum of the first two
        let mut orig = vec![0.0; 16];
        let cols3 = [
            [2.0, 1.0, 0.5, 1.0],
            [1.0, 3.0, 1.0, 0.0],
            [0.0, 1.0, 4.0, 1.0],
        ];
        for (j, c) in cols3.iter().enumerate() {
            orig[j * m..(j + 1) * m].copy_from_slice(c);
        }
        for i in 0..m {
            orig[3 * m + i] = orig[i] + orig[m + i];
        }
        // threshold pivoting: a singular root is an error, never a number
        assert_eq!(
            try_run(&orig, m, m, policy(false)).map(|r| r.3),
            Err(FrontError::ZeroPivot)
        );
        // static pivoting: perturbed and counted
        let (a, rows, cols, out) = run(&orig, m, m, static_policy());
        assert_eq!(out.eliminated, 4);
        assert_eq!(out.perturbed, 1);
        assert!((a[15].abs() - 1e-8).abs() < 1e-20);
        let _ = (rows, cols);
    }
}
