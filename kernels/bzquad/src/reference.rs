//! Brute-force reference: plain midpoint sums over the full zone with Richardson
//! extrapolation. Used by the tests as an independent check of the cubature engines.
//!
//! The midpoint rule with N cells per axis samples q_α = −π + (j + ½)·2π/N, never Γ or
//! M. For a periodic integrand whose only singularity is a point singularity
//! homogeneous of degree −p at Γ (or M), the error expands in powers h^(d−p),
//! h^(d−p+2), … (h = 2π/N; Lyness 1976), so successive halvings of h are combined by
//! Richardson extrapolation with the caller's list of exponents. Slow by design
//! (N^d evaluations per level).

use std::f64::consts::PI;

/// Midpoint average of `f(s2, c2)` over [−π, π]^d with `n` cells per axis.
pub fn midpoint(dim: u32, n: usize, f: &impl Fn(f64, f64) -> f64) -> f64 {
    let tab: Vec<(f64, f64)> = (0..n)
        .map(|j| {
            let q = -PI + (j as f64 + 0.5) * 2.0 * PI / n as f64;
            let (s, c) = (0.5 * q).sin_cos();
            (s * s, c * c)
        })
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
                    let (s, c) = (a.0 + b.0, a.1 + b.1);
                    for x in &tab {
                        total += f(s + x.0, c + x.1);
                    }
                }
            }
        }
    }
    total / (n as f64).powi(dim as i32)
}

/// Midpoint sums at n0, 2n0, …, 2^(levels−1) n0 cells per axis, Richardson-extrapolated
/// by eliminating the error terms h^p for each p in `exponents` in turn (needs
/// `levels > exponents.len()`). Returns (extrapolated value, the finest plain sum).
pub fn midpoint_richardson(
    dim: u32,
    n0: usize,
    levels: usize,
    exponents: &[f64],
    f: &impl Fn(f64, f64) -> f64,
) -> (f64, f64) {
    let mut t: Vec<f64> = (0..levels).map(|k| midpoint(dim, n0 << k, f)).collect();
    let finest = *t.last().unwrap_or(&f64::NAN);
    for &p in exponents {
        if t.len() < 2 {
            break;
        }
        let r = 2f64.powf(p);
        t = t
            .windows(2)
            .map(|w| (r * w[1] - w[0]) / (r - 1.0))
            .collect();
    }
    (*t.last().unwrap_or(&f64::NAN), finest)
}
