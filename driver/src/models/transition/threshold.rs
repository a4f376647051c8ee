//! Where a ratio `η(ħ)` crosses a level along the ħ_eff axis (seed 002 Fig. 4b:
//! ħ_c at η = 0.9, ħ_l at η = 0.1), with the uncertainty propagated from the
//! errors of the two bracketing samples.
//!
//! The seed's law is `η ∝ e^{αħ}`, so `ln η` is interpolated linearly in ħ
//! between the two samples that bracket the level (exact for an exponential).
//! With `a = ln η_i`, `b = ln η_{i+1}`, `l = ln level`, `h = ħ_{i+1} − ħ_i`:
//!
//! ```text
//!     ħ* = ħ_i + h (l − a)/(b − a),
//!     σ(ħ*)² = (h (l − b)/(b − a)²)² (σ_i/η_i)² + (h (l − a)/(b − a)²)² (σ_{i+1}/η_{i+1})²,
//! ```
//!
//! the linear propagation of the independent errors `σ_i` of `η_i`
//! (`σ(ln η) = σ/η`). The crossing is the first downward one scanning up in ħ
//! (the first neighbouring pair with `η_i ≥ level > η_{i+1}`: η falls through
//! the level as ħ grows, the direction of the quantum-to-classical transition;
//! an upward crossing, a fluctuation, is not a threshold); samples with
//! `η ≤ 0` or a non-finite value are skipped. Without a bracket there is no threshold: [`Crossing::Absent`],
//! never an extrapolated number.

/// One sample `η(ħ)` with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub hbar: f64,
    pub eta: f64,
    pub err: f64,
}

/// The outcome of [`first_crossing`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Crossing {
    /// The level is crossed at `hbar` ± `err`.
    Found { hbar: f64, err: f64 },
    /// The samples do not bracket the level (or fewer than two usable samples).
    Absent,
}

/// The first downward crossing of `level` (> 0) by the samples taken in ascending ħ order.
pub fn first_crossing(samples: &[Sample], level: f64) -> Crossing {
    let mut s: Vec<Sample> = samples
        .iter()
        .copied()
        .filter(|p| p.hbar.is_finite() && p.eta.is_finite() && p.eta > 0.0 && p.err.is_finite())
        .collect();
    s.sort_by(|p, q| p.hbar.total_cmp(&q.hbar));
    let l = level.ln();
    for w in s.windows(2) {
        let (p, q) = (w[0], w[1]);
        let (a, b) = (p.eta.ln(), q.eta.ln());
        if !(a >= l && l > b) {
            continue;
        }
        let h = q.hbar - p.hbar;
        let d = b - a;
        let hbar = p.hbar + h * (l - a) / d;
        let da = h * (l - b) / (d * d);
        let db = -h * (l - a) / (d * d);
        let err = ((da * p.err / p.eta).powi(2) + (db * q.err / q.eta).powi(2)).sqrt();
        return Crossing::Found { hbar, err };
    }
    Crossing::Absent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp_samples(hbars: &[f64], alpha: f64, rel: f64) -> Vec<Sample> {
        hbars
            .iter()
            .map(|&h| {
                let eta = (-alpha * h).exp();
                Sample {
                    hbar: h,
                    eta,
                    err: rel * eta,
                }
            })
            .collect()
    }

    #[test]
    fn exponential_law_is_located_exactly() {
        let alpha = 60.0;
        let hbars = [0.05, 0.0, 0.01, 0.02, 0.03, 0.04]; // unsorted on purpose
        let s = exp_samples(&hbars, alpha, 0.0);
        for level in [0.9f64, 0.5, 0.1] {
            let want = -level.ln() / alpha;
            match first_crossing(&s, level) {
                Crossing::Found { hbar, err } => {
                    assert!((hbar - want).abs() < 1e-12, "{level}: {hbar} vs {want}");
                    assert_eq!(err, 0.0);
                }
                Crossing::Absent => panic!("level {level} not found"),
            }
        }
        // e^{-60·0.01} = 0.55 < 0.9: not bracketed from below; e^{-3} = 0.05 > 0.01
        assert_eq!(first_crossing(&s[2..], 0.9), Crossing::Absent);
        assert_eq!(first_crossing(&s, 0.01), Crossing::Absent);
        assert_eq!(first_crossing(&s[..1], 0.5), Crossing::Absent);
    }

    #[test]
    fn propagated_error_matches_a_monte_carlo_of_the_samples() {
        // deterministic LCG noise (no dependency): η_i → η_i (1 + r g), g ~ N(0,1)
        let alpha = 50.0;
        let rel = 0.02;
        let s = exp_samples(&[0.0, 0.02, 0.04, 0.06], alpha, rel);
        let Crossing::Found { hbar: h0, err } = first_crossing(&s, 0.1) else {
            panic!("not found")
        };
        let mut state: u64 = 12345;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let n = 20000;
        let mut sum2 = 0.0;
        for _ in 0..n {
            let noisy: Vec<Sample> = s
                .iter()
                .map(|p| {
                    let g = (-2.0 * uniform().ln()).sqrt()
                        * (2.0 * std::f64::consts::PI * uniform()).cos();
                    Sample {
                        eta: p.eta * (1.0 + rel * g),
                        ..*p
                    }
                })
                .collect();
            let Crossing::Found { hbar, .. } = first_crossing(&noisy, 0.1) else {
                panic!("lost the crossing")
            };
            sum2 += (hbar - h0).powi(2);
        }
        let mc = (sum2 / n as f64).sqrt();
        assert!(err > 0.0);
        assert!((mc / err - 1.0).abs() < 0.05, "Monte Carlo {mc} vs propagated {err}");
    }

    #[test]
    fn upward_crossings_are_not_thresholds() {
        let s = [
            Sample { hbar: 0.1, eta: 0.5, err: 0.01 },
            Sample { hbar: 0.2, eta: 1.5, err: 0.01 },
            Sample { hbar: 0.3, eta: 0.3, err: 0.01 },
        ];
        let Crossing::Found { hbar, .. } = first_crossing(&s, 0.9) else {
            panic!("not found")
        };
        assert!(hbar > 0.2 && hbar < 0.3, "{hbar}");
        assert_eq!(first_crossing(&s[..2], 0.9), Crossing::Absent);
    }

    #[test]
    fn unusable_samples_are_skipped() {
        let s = [
            Sample { hbar: 0.01, eta: 1.0, err: 0.1 },
            Sample { hbar: 0.02, eta: f64::NAN, err: 0.1 },
            Sample { hbar: 0.03, eta: 0.0, err: 0.1 },
            Sample { hbar: 0.04, eta: 0.05, err: 0.01 },
        ];
        let Crossing::Found { hbar, .. } = first_crossing(&s, 0.1) else {
            panic!("not found")
        };
        assert!(hbar > 0.01 && hbar < 0.04);
    }
}
