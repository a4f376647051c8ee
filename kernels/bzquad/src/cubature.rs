//! Cubature engines for Brillouin-zone averages of cubic-symmetric lattice functions.
//!
//! Every integrand in this crate depends on the wave vector q ∈ [−π, π]^d only through
//!
//! ```text
//!     s2(q) = Σ_α sin²(q_α/2) = (d − Σ_α cos q_α)/2,     c2(q) = Σ_α cos²(q_α/2) = d − s2,
//! ```
//!
//! both evaluated from half-angle sines and cosines so that neither loses accuracy where
//! it is small (s2 near Γ = 0, c2 near M = (π, …, π)). Such a function is even in each
//! q_α and symmetric under permutations of the axes (the full cubic group, 2^d·d!
//! elements), so the BZ average `⟨f⟩ = (2π)^(−d) ∫ f d^dq` equals the average over the
//! octant [0, π]^d, and inside the octant over the irreducible wedge
//! 0 ≤ q_1 ≤ … ≤ q_d ≤ π (1/48 of the zone in 3D, 1/8 in 2D).
//!
//! Two engines:
//!
//! * [`duffy_octant`] — for integrands singular at Γ (and optionally at M). The octant is
//!   cut into 2^d sub-cubes of side π/2. The sub-cube at Γ is reduced to its wedge and
//!   mapped by the Duffy transform q_d = hu, q_{d−1} = huv, q_{d−2} = huvw (h = π/2,
//!   Jacobian h^d u^{d−1} v^{d−2}); the factor u^{d−1} cancels a |q|^{−(d−1)}
//!   singularity, so 1/|q| (d = 2, 3) and 1/|q|² (d = 3) become analytic on the unit
//!   cube and tensor Gauss–Legendre converges exponentially. The u axis may be cut into
//!   geometrically graded panels (used for coth(s/2τ) at small τ, whose poles sit at
//!   distance ∝ τ from Γ). The sub-cube at M is treated the same way through
//!   q → π − q (which swaps s2 and c2); the mixed sub-cubes are smooth and use plain
//!   tensor Gauss–Legendre, one per permutation class with its multiplicity C(d, k).
//!   Each class is refined through increasing orders until successive values agree.
//! * [`trapezoid_wedge`] / [`trapezoid_adaptive`] — the periodic trapezoidal rule on the
//!   N^d grid q_j = 2πj/N, folded onto the wedge with multiplicity weights. For smooth
//!   periodic (analytic) integrands it converges exponentially; the Lindemann kernel
//!   uses it on the analytic remainder after the 1/s² singularity is subtracted.
//!   [`trapezoid_full`] is the same sum without any symmetry, used to show that the
//!   wedge reduction gives the full-zone value.

use crate::gauss::{composite, gauss_legendre, Rule};
use std::f64::consts::PI;

/// A converged (or best) estimate of a BZ average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The average ⟨f⟩ over the zone.
    pub value: f64,
    /// Error estimate: the difference between the last two refinement levels (an
    /// upper bound in practice, since convergence is exponential).
    pub error: f64,
    /// Number of integrand evaluations spent, all levels included.
    pub evaluations: u64,
}

/// Gauss–Legendre orders tried in turn by [`duffy_octant`].
const ORDERS: [usize; 10] = [6, 9, 13, 18, 24, 32, 40, 48, 56, 64];

/// Grid sizes tried in turn by [`trapezoid_adaptive`].
const GRIDS: [usize; 11] = [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Sub-cube at Γ, Duffy-mapped wedge.
    Gamma,
    /// Sub-cube at M, Duffy-mapped through q → π − q.
    M,
    /// Sub-cube with `k` axes in [π/2, π] and the rest in [0, π/2], 0 < k < d.
    Mixed(u32),
}

#[inline]
fn half_sc(q: f64) -> (f64, f64) {
    let (s, c) = (0.5 * q).sin_cos();
    (s * s, c * c)
}

fn factorial(n: u32) -> f64 {
    (1..=n).map(f64::from).product()
}

fn binomial(n: u32, k: u32) -> f64 {
    factorial(n) / (factorial(k) * factorial(n - k))
}

/// Integral over the class's region, not yet divided by π^d.
fn class_integral<F: Fn(f64, f64) -> f64>(
    dim: u32,
    class: Class,
    order: usize,
    gamma_edges: &[f64],
    f: &F,
) -> (f64, u64) {
    let h = 0.5 * PI;
    match class {
        Class::Gamma => duffy(dim, order, gamma_edges, &|s2, c2| f(s2, c2)),
        Class::M => duffy(dim, order, &[0.0, 1.0], &|s2, c2| f(c2, s2)),
        Class::Mixed(k) => {
            let r = gauss_legendre(order);
            let low: Vec<(f64, f64, f64)> =
                r.x.iter()
                    .zip(&r.w)
                    .map(|(x, w)| {
                        let (s, c) = half_sc(h * x);
                        (s, c, h * w)
                    })
                    .collect();
            let high: Vec<(f64, f64, f64)> =
                r.x.iter()
                    .zip(&r.w)
                    .map(|(x, w)| {
                        let (s, c) = half_sc(h + h * x);
                        (s, c, h * w)
                    })
                    .collect();
            let mult = binomial(dim, k);
            let mut total = 0.0;
            let n = order as u64;
            match (dim, k) {
                (2, 1) => {
                    for a in &low {
                        let mut acc = 0.0;
                        for b in &high {
                            acc += b.2 * f(a.0 + b.0, a.1 + b.1);
                        }
                        total += a.2 * acc;
                    }
                    (mult * total, n * n)
                }
                (3, 1) | (3, 2) => {
                    // Axes: first in `low`, last in `high`, middle low for k = 1, high for k = 2.
                    let mid = if k == 1 { &low } else { &high };
                    for a in &low {
                        for b in mid {
                            let (s_ab, c_ab, w_ab) = (a.0 + b.0, a.1 + b.1, a.2 * b.2);
                            let mut acc = 0.0;
                            for c in &high {
                                acc += c.2 * f(s_ab + c.0, c_ab + c.1);
                            }
                            total += w_ab * acc;
                        }
                    }
                    (mult * total, n * n * n)
                }
                _ => (0.0, 0),
            }
        }
    }
}

/// Duffy-mapped wedge of the sub-cube [0, π/2]^d at Γ, times d! (permutations).
fn duffy<F: Fn(f64, f64) -> f64>(dim: u32, order: usize, u_edges: &[f64], f: &F) -> (f64, u64) {
    let h = 0.5 * PI;
    let ru: Rule = composite(u_edges, order);
    let rv = gauss_legendre(order);
    let mut total = 0.0;
    let mut evals = 0u64;
    match dim {
        1 => {
            for (u, wu) in ru.x.iter().zip(&ru.w) {
                let (s, c) = half_sc(h * u);
                total += wu * f(s, c);
            }
            evals += ru.len() as u64;
            (h * total, evals)
        }
        2 => {
            for (u, wu) in ru.x.iter().zip(&ru.w) {
                let (s3, c3) = half_sc(h * u);
                let mut acc = 0.0;
                for (v, wv) in rv.x.iter().zip(&rv.w) {
                    let (s2, c2) = half_sc(h * u * v);
                    acc += wv * f(s3 + s2, c3 + c2);
                }
                total += wu * u * acc;
            }
            evals += (ru.len() * rv.len()) as u64;
            (2.0 * h * h * total, evals)
        }
        _ => {
            for (u, wu) in ru.x.iter().zip(&ru.w) {
                let (s3, c3) = half_sc(h * u);
                let mut acc_v = 0.0;
                for (v, wv) in rv.x.iter().zip(&rv.w) {
                    let (s2, c2) = half_sc(h * u * v);
                    let (sa, ca) = (s3 + s2, c3 + c2);
                    let huv = h * u * v;
                    let mut acc_w = 0.0;
                    for (w, ww) in rv.x.iter().zip(&rv.w) {
                        let (s1, c1) = half_sc(huv * w);
                        acc_w += ww * f(sa + s1, ca + c1);
                    }
                    acc_v += wv * v * acc_w;
                }
                total += wu * u * u * acc_v;
            }
            evals += (ru.len() * rv.len() * rv.len()) as u64;
            (6.0 * h * h * h * total, evals)
        }
    }
}

/// Failure of an adaptive engine to reach its tolerance within its finest level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotConverged(pub Estimate);

/// BZ average ⟨f⟩ of an integrand `f(s2, c2)` whose only singularities are at Γ
/// and/or M (integrable after the Duffy map: |q|^(−p) with p < d, times smooth), by the Duffy/sub-cube scheme described in the module
/// docs. `gamma_edges` are the panel edges of the radial Duffy variable u ∈ [0, 1] in
/// the Γ sub-cube (`[0.0, 1.0]` for a single panel). Converged when the sum of the
/// classes' last differences is below `max(rel_tol·|value|, abs_tol)`.
///
/// `dim` must be 1, 2 or 3 (the caller validates).
pub fn duffy_octant<F: Fn(f64, f64) -> f64>(
    dim: u32,
    f: &F,
    gamma_edges: &[f64],
    rel_tol: f64,
    abs_tol: f64,
) -> Result<Estimate, NotConverged> {
    let mut classes = vec![Class::Gamma];
    for k in 1..dim {
        classes.push(Class::Mixed(k));
    }
    // The M sub-cube is always Duffy-mapped: needed when f is singular there, a harmless
    // analytic change of variables when it is not.
    classes.push(Class::M);
    if dim == 1 {
        // [0, π/2] and [π/2, π] only.
        classes = vec![Class::Gamma, Class::M];
    }
    let nc = classes.len();
    let mut level = vec![0usize; nc];
    let mut value = vec![0.0; nc];
    let mut diff = vec![f64::INFINITY; nc];
    let mut evaluations = 0u64;
    let norm = PI.powi(dim as i32);
    for (i, &c) in classes.iter().enumerate() {
        let (a, e0) = class_integral(dim, c, ORDERS[0], gamma_edges, f);
        let (b, e1) = class_integral(dim, c, ORDERS[1], gamma_edges, f);
        evaluations += e0 + e1;
        value[i] = b / norm;
        diff[i] = (b - a).abs() / norm;
        level[i] = 1;
    }
    loop {
        let total: f64 = value.iter().sum();
        let target = (rel_tol * total.abs()).max(abs_tol);
        let err: f64 = diff.iter().sum();
        if err <= target || !err.is_finite() {
            let est = Estimate {
                value: total,
                error: err,
                evaluations,
            };
            return if err.is_finite() && total.is_finite() {
                Ok(est)
            } else {
                Err(NotConverged(est))
            };
        }
        // Refine the class with the largest difference.
        let (i, _) = diff
            .iter()
            .enumerate()
            .fold((0, -1.0), |m, (i, &d)| if d > m.1 { (i, d) } else { m });
        if level[i] + 1 >= ORDERS.len() {
            return Err(NotConverged(Estimate {
                value: total,
                error: err,
                evaluations,
            }));
        }
        level[i] += 1;
        let (b, e) = class_integral(dim, classes[i], ORDERS[level[i]], gamma_edges, f);
        evaluations += e;
        let b = b / norm;
        diff[i] = (b - value[i]).abs();
        value[i] = b;
    }
}

/// Geometrically graded panel edges on [0, 1] for the radial Duffy variable: edges
/// 1, r, r², … down to the first below `scale`, then 0 (at most 40 panels).
pub fn graded_edges(scale: f64, ratio: f64) -> Vec<f64> {
    let mut edges = vec![1.0];
    let mut b = 1.0;
    while b > scale && edges.len() < 40 {
        b *= ratio;
        edges.push(b);
    }
    edges.push(0.0);
    edges.reverse();
    edges
}

/// Half-zone index weights of the folded trapezoid grid: 1 at j = 0 and j = N/2, else 2.
fn fold_weight(j: usize, n: usize) -> f64 {
    if j == 0 || 2 * j == n {
        1.0
    } else {
        2.0
    }
}

/// Periodic trapezoid average of `f(s2, c2)` on the N^d grid q_j = 2πj/N (N even),
/// summed over the irreducible wedge j_1 ≤ … ≤ j_d ≤ N/2 with each point weighted by
/// its number of images under the cubic group. Returns (average, evaluations).
pub fn trapezoid_wedge<F: Fn(f64, f64) -> f64>(dim: u32, n: usize, f: &F) -> (f64, u64) {
    let n = n.max(2) & !1;
    let m = n / 2;
    let tab: Vec<(f64, f64, f64)> = (0..=m)
        .map(|j| {
            let (s, c) = half_sc(2.0 * PI * j as f64 / n as f64);
            (s, c, fold_weight(j, n))
        })
        .collect();
    let mut total = 0.0;
    let mut evals = 0u64;
    match dim {
        1 => {
            for a in &tab {
                total += a.2 * f(a.0, a.1);
            }
            evals += tab.len() as u64;
        }
        2 => {
            for (i, a) in tab.iter().enumerate() {
                // Diagonal point: one image under the swap.
                total += a.2 * a.2 * f(2.0 * a.0, 2.0 * a.1);
                let mut acc = 0.0;
                for b in &tab[i + 1..] {
                    acc += b.2 * f(a.0 + b.0, a.1 + b.1);
                }
                total += 2.0 * a.2 * acc;
                evals += (m + 1 - i) as u64;
            }
        }
        _ => {
            for i in 0..=m {
                let a = tab[i];
                for j in i..=m {
                    let b = tab[j];
                    let (sab, cab, wab) = (a.0 + b.0, a.1 + b.1, a.2 * b.2);
                    for (k, c) in tab.iter().enumerate().skip(j) {
                        let perms = if i == j && j == k {
                            1.0
                        } else if i == j || j == k {
                            3.0
                        } else {
                            6.0
                        };
                        total += perms * wab * c.2 * f(sab + c.0, cab + c.1);
                    }
                    evals += (m + 1 - j) as u64;
                }
            }
        }
    }
    (total / (n as f64).powi(dim as i32), evals)
}

/// The same trapezoid average as [`trapezoid_wedge`] summed over all N^d grid points
/// without any symmetry (q_α = 2πj/N − π, the zone [−π, π)^d). Returns (average,
/// evaluations).
pub fn trapezoid_full<F: Fn(f64, f64) -> f64>(dim: u32, n: usize, f: &F) -> (f64, u64) {
    let tab: Vec<(f64, f64)> = (0..n)
        .map(|j| half_sc(2.0 * PI * j as f64 / n as f64 - PI))
        .collect();
    let mut total = 0.0;
    match dim {
        1 => tab.iter().for_each(|a| total += f(a.0, a.1)),
        2 => {
            for a in &tab {
                for b in &tab {
                    total += f(a.0 + b.0, a.1 + b.1);
                }
            }
        }
        _ => {
            for a in &tab {
                for b in &tab {
                    for c in &tab {
                        total += f(a.0 + b.0 + c.0, a.1 + b.1 + c.1);
                    }
                }
            }
        }
    }
    let pts = (n as f64).powi(dim as i32);
    (total / pts, pts as u64)
}

/// Periodic trapezoid on the wedge for a smooth periodic integrand, refined through
/// N = 8, 12, 16, 24, … 256 until two successive grids agree within
/// `max(rel_tol·|value|, abs_tol)`; the finer value is returned and the difference is
/// the error estimate.
pub fn trapezoid_adaptive<F: Fn(f64, f64) -> f64>(
    dim: u32,
    f: &F,
    rel_tol: f64,
    abs_tol: f64,
) -> Result<Estimate, NotConverged> {
    let (mut prev, mut evaluations) = trapezoid_wedge(dim, GRIDS[0], f);
    let mut last = Estimate {
        value: prev,
        error: f64::INFINITY,
        evaluations,
    };
    for &n in &GRIDS[1..] {
        let (q, e) = trapezoid_wedge(dim, n, f);
        evaluations += e;
        let err = (q - prev).abs();
        last = Estimate {
            value: q,
            error: err,
            evaluations,
        };
        if err <= (rel_tol * q.abs()).max(abs_tol) {
            return Ok(last);
        }
        prev = q;
    }
    Err(NotConverged(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_trig_polynomial_is_exact() {
        // <s2^2> = <(sum sin^2)^2>: each sin^2 has mean 1/2 and <sin^4> = 3/8.
        for d in 1..=3u32 {
            let df = f64::from(d);
            let exact = df * 3.0 / 8.0 + df * (df - 1.0) / 4.0;
            let (t, _) = trapezoid_wedge(d, 8, &|s2, _| s2 * s2);
            assert!((t - exact).abs() < 1e-14, "d={d}: {t} vs {exact}");
            let (tf, _) = trapezoid_full(d, 8, &|s2, _| s2 * s2);
            assert!((tf - exact).abs() < 1e-14);
            let e = duffy_octant(d, &|s2, _| s2 * s2, &[0.0, 1.0], 1e-13, 0.0).unwrap();
            assert!((e.value - exact).abs() < 1e-13, "duffy d={d}: {}", e.value);
        }
    }

    #[test]
    fn graded_edges_are_increasing() {
        let e = graded_edges(1e-3, 0.2);
        assert_eq!(e[0], 0.0);
        assert_eq!(*e.last().unwrap(), 1.0);
        assert!(e.windows(2).all(|p| p[0] < p[1]));
        assert!(e[1] <= 1e-3 && e[1] > 1e-4);
        assert_eq!(graded_edges(2.0, 0.2), vec![0.0, 1.0]);
    }
}
