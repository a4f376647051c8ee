//! Tests of qk-bzquad against independent references.
//!
//! Reference values (REF_*) were produced by `scripts/bz_reference.py` (mpmath, 32
//! digits) from one-dimensional special-function integrals that never touch the
//! Brillouin zone:
//!   I_d(0) = π^(−1/2) ∫_0^∞ t^(−1/2) (e^(−t/2) I_0(t/2))^d dt,
//!   I_3(τ) = 2τ ∫_0^∞ θ(t) (e^(−t/2) I_0(t/2))³ dt, θ(t) = Σ_n exp(−4π²n²τ²t)
//!            (the Matsubara expansion coth(s/2τ)/s = 2τ Σ_n 1/(s² + (2πnτ)²)),
//!   square lattice ⟨(1 − γ²)^(∓1/2)⟩ from (1/π)∫_0^π dθ/(1 − γ cos θ) = (1 − γ²)^(−1/2)
//!            and ⟨1/(1 − zγ)⟩ = 1/AGM(1, √(1 − z²)) (complete elliptic integral);
//! each cross-checked by the script with two quadrature rules to 1e-20.
//! Literature constants: Watson (1939) W = 0.505462019717326; Anderson/Kubo spin-wave
//! ΔS = 0.196602 (square), 0.0784 (cubic), ⟨√(1−γ²)⟩ = 0.8420 (square);
//! Anderson's zero-point coefficient zc = 0.58 (cubic).

// The reference constants are quoted verbatim (22 digits) from the script's output.
#![allow(clippy::excessive_precision)]

use qk_bzquad::cubature::{duffy_octant, trapezoid_full, trapezoid_wedge};
use qk_bzquad::lindemann::{coth_over_s, coth_remainder};
use qk_bzquad::reference::midpoint_richardson;
use qk_bzquad::*;

const REF_I2_0: f64 = 1.285_764_496_588_915_496_397;
const REF_I3_0: f64 = 0.910_688_103_288_860_251_042;
const REF_I3_TAU: [(f64, f64); 6] = [
    (0.1, 0.924_323_130_242_764_765_252),
    (0.25, 1.007_577_528_829_677_996_343),
    (0.5, 1.315_591_840_308_689_692_831),
    (1.0, 2.184_513_734_008_543_154_665),
    (2.0, 4.126_514_018_533_739_579_924),
    (3.0, 6.120_946_181_819_513_022_402),
];
const REF_SQUARE_INV_ROOT: f64 = 1.393_203_929_685_676_859_184;
const REF_SQUARE_ROOT: f64 = 0.842_052_579_047_173_926_103;

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn zero_temperature_means_match_mpmath_to_1e10() {
    for (d, r) in [(2u32, REF_I2_0), (3, REF_I3_0)] {
        let q = lindemann_mean(d, 0.0, 1e-10).unwrap();
        assert!(rel(q.value, r) < 1e-10, "I_{d}(0) = {} vs {r}", q.value);
        assert!(!q.diverges && q.evaluations > 0);
        assert!(q.error < 1e-9 * r, "error estimate {}", q.error);
    }
}

#[test]
fn finite_temperature_3d_matches_mpmath_to_1e10_both_methods() {
    for &(tau, r) in &REF_I3_TAU {
        for method in [Method::Auto, Method::Trapezoid, Method::Duffy] {
            let o = Options {
                method,
                ..Options::default()
            };
            let q = lindemann_mean_with(3, tau, &o).unwrap();
            assert!(
                rel(q.value, r) < 1e-10,
                "{method:?} tau={tau}: {} vs {r} (rel {:e})",
                q.value,
                rel(q.value, r)
            );
            // The reported error estimate covers the true error.
            assert!((q.value - r).abs() <= q.error.max(1e-15 * r) * 10.0);
        }
    }
}

#[test]
fn methods_agree_including_small_tau() {
    for tau in [0.01, 0.03, 0.05, 0.2, 0.7, 1.3, 2.9, 10.0] {
        let t = lindemann_mean_with(
            3,
            tau,
            &Options {
                method: Method::Trapezoid,
                rel_tol: 1e-12,
                ..Options::default()
            },
        );
        let d = lindemann_mean_with(
            3,
            tau,
            &Options {
                method: Method::Duffy,
                rel_tol: 1e-12,
                ..Options::default()
            },
        )
        .unwrap();
        if let Ok(t) = t {
            assert!(
                rel(t.value, d.value) < 1e-11,
                "tau={tau}: {} vs {}",
                t.value,
                d.value
            );
        }
    }
    // Very small τ: thermal correction → 0, I_3(τ) → I_3(0) from above.
    let cold = lindemann_mean(3, 1e-4, 1e-10).unwrap();
    assert!(cold.value > REF_I3_0 && rel(cold.value, REF_I3_0) < 1e-6);
}

#[test]
fn watson_integral_from_the_duffy_engine() {
    // <1/(3 − Σ cos q)> = <1/(2 s2)>: a 1/|q|² singularity, no subtraction involved.
    let e = duffy_octant(3, &|s2, _| 0.5 / s2, &[0.0, 1.0], 1e-12, 0.0).unwrap();
    assert!(rel(e.value, 0.505_462_019_717_326) < 1e-12, "{}", e.value);
    assert!(rel(WATSON, 0.505_462_019_717_326) < 1e-15);
}

#[test]
fn high_temperature_asymptote() {
    // I_3(τ) = 4Wτ + ⟨λ(s²/4τ²)⟩/(2τ) = 4Wτ + 1/(6τ) − ⟨s²⟩/(360τ³) + O(τ^-5), ⟨s²⟩ = 3/2.
    for tau in [5.0, 20.0, 100.0] {
        let q = lindemann_mean(3, tau, 1e-12).unwrap();
        let asym = 4.0 * WATSON * tau + 1.0 / (6.0 * tau) - 1.5 / (360.0 * tau.powi(3));
        assert!(
            rel(q.value, asym) < 1e-3 / tau.powi(5),
            "tau={tau}: {} vs {asym}",
            q.value
        );
        assert!(rel(q.value, 4.0 * WATSON * tau) < 0.1 / (tau * tau));
    }
}

#[test]
fn brute_force_midpoint_richardson_agrees() {
    // 3D, T = 0: 1/|q| at Γ → error terms h^2, h^4.
    let (r, plain) = midpoint_richardson(3, 16, 4, &[2.0, 4.0], &|s2, _| 1.0 / s2.sqrt());
    assert!(rel(r, REF_I3_0) < 2e-6, "I3(0) brute {r}, plain {plain}");
    assert!(
        rel(plain, REF_I3_0) > 1e-5,
        "plain sum should be visibly off"
    );
    // 2D, T = 0: h^1, h^3.
    let (r, _) = midpoint_richardson(2, 64, 5, &[1.0, 3.0, 5.0], &|s2, _| 1.0 / s2.sqrt());
    assert!(rel(r, REF_I2_0) < 1e-7, "I2(0) brute {r}");
    // 3D, τ = 0.5: 8τ/|q|² → h^1, h^3.
    let tau = 0.5;
    let (r, _) = midpoint_richardson(3, 16, 4, &[1.0, 3.0], &|s2, _| coth_over_s(s2, tau));
    let k = lindemann_mean(3, tau, 1e-10).unwrap();
    assert!(rel(r, k.value) < 1e-5, "I3(0.5) brute {r} vs {}", k.value);
    // Square-lattice spin waves: 1/|q| at Γ and M.
    let (r, _) = midpoint_richardson(2, 64, 5, &[1.0, 3.0, 5.0], &|s2, c2| 1.0 / (s2 * c2).sqrt());
    assert!(
        rel(r, REF_SQUARE_INV_ROOT) < 1e-7,
        "square inv-root brute {r}"
    );
}

#[test]
fn divergent_cases_are_flagged_and_really_diverge() {
    for (d, tau) in [(1u32, 0.0), (1, 0.7), (2, 0.3), (2, 1e-6)] {
        let q = lindemann_mean(d, tau, 1e-10).unwrap();
        assert!(q.diverges && q.value.is_nan(), "d={d} tau={tau}");
        let p = lindemann_ratio(d, tau, 0.01, 1e-10).unwrap();
        assert!(p.ratio.is_nan() && !p.stable && p.debye_ratio.is_nan() && !p.debye_stable);
    }
    for (d, tau) in [(2u32, 0.0), (3, 0.0), (3, 0.5)] {
        assert!(!lindemann_mean(d, tau, 1e-10).unwrap().diverges);
    }
    // The midpoint sums of the flagged cases grow without bound (log N in 2D at T > 0,
    // linearly/log in 1D), whereas a convergent case settles.
    let grow = |d: u32, tau: f64| {
        let f = |s2: f64, _c2: f64| {
            if tau == 0.0 {
                1.0 / s2.sqrt()
            } else {
                coth_over_s(s2, tau)
            }
        };
        let a = qk_bzquad::reference::midpoint(d, 64, &f);
        let b = qk_bzquad::reference::midpoint(d, 256, &f);
        b - a
    };
    assert!(grow(2, 0.3) > 0.3, "2D T>0 increment {}", grow(2, 0.3)); // ≈ (8τ/2π)·ln 4
    assert!(grow(1, 0.0) > 0.5);
    assert!(grow(1, 0.5) > 10.0);
    assert!(grow(3, 0.3).abs() < 0.05);
}

#[test]
fn wedge_equals_full_zone() {
    for (d, n) in [(1u32, 64usize), (2, 64), (3, 32)] {
        for tau in [0.1, 1.0] {
            let f = |s2: f64, _c2: f64| coth_remainder(s2, tau);
            let (w, ew) = trapezoid_wedge(d, n, &f);
            let (full, ef) = trapezoid_full(d, n, &f);
            assert!(
                rel(w, full) < 1e-13,
                "d={d} tau={tau}: wedge {w} full {full}"
            );
            assert!(ew < ef);
        }
    }
    // Asymmetric-looking but cubic-symmetric integrand with both s2 and c2.
    let f = |s2: f64, c2: f64| (s2 * 0.3).exp() * (1.0 + c2 * c2);
    let (w, ew) = trapezoid_wedge(3, 24, &f);
    let (full, ef) = trapezoid_full(3, 24, &f);
    assert!(rel(w, full) < 1e-13);
    assert_eq!(ef, 24 * 24 * 24);
    assert!(ew * 25 < ef, "wedge points {ew}");
    // And the Duffy wedge scheme agrees with the full-zone trapezoid on a smooth function.
    let e = duffy_octant(3, &f, &[0.0, 1.0], 1e-13, 0.0).unwrap();
    assert!(rel(e.value, full) < 1e-12);
}

#[test]
fn rank_count_independence() {
    // Splitting a sweep over 1–4 workers in any interleaving gives bitwise-identical
    // values: a point's result depends only on its parameters.
    let taus: Vec<f64> = (0..24).map(|k| 0.05 + 0.13 * k as f64).collect();
    let serial: Vec<u64> = taus
        .iter()
        .map(|&t| lindemann_mean(3, t, 1e-10).unwrap().value.to_bits())
        .collect();
    for ranks in 2..=4usize {
        let mut out = vec![0u64; taus.len()];
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..ranks)
                .map(|r| {
                    let taus = &taus;
                    s.spawn(move || {
                        (r..taus.len())
                            .step_by(ranks)
                            .rev()
                            .map(|i| {
                                (
                                    i,
                                    lindemann_mean(3, taus[i], 1e-10).unwrap().value.to_bits(),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (i, v) in h.join().unwrap() {
                    out[i] = v;
                }
            }
        });
        assert_eq!(out, serial, "{ranks} workers");
    }
}

#[test]
fn spin_wave_constants() {
    let sq = spin_wave(Lattice::Square, 1e-10).unwrap();
    assert!(
        rel(sq.inverse_root.value, REF_SQUARE_INV_ROOT) < 1e-10,
        "{}",
        sq.inverse_root.value
    );
    assert!(
        rel(sq.root.value, REF_SQUARE_ROOT) < 1e-10,
        "{}",
        sq.root.value
    );
    assert!((sq.delta_s - 0.196602).abs() < 5e-7);
    assert!((sq.zero_point_correction - 0.1580).abs() < 1e-4);
    // S = 1/2 linear spin-wave energy per site −0.6579 J (Anderson).
    assert!((afm_energy_per_site(&sq, 0.5) + 0.6579).abs() < 1e-4);
    let cu = spin_wave(Lattice::Cubic, 1e-10).unwrap();
    assert!(
        (cu.delta_s - 0.0784).abs() < 1e-4,
        "cubic dS {}",
        cu.delta_s
    );
    // <sqrt(1-g^2)> cubic = 0.902842 (midpoint sums 0.9028420230 / 0.9028419977 /
    // 0.9028419962 at N = 64/128/256, numpy), i.e. Anderson's beta = z c = 0.583 (he
    // quotes 0.58). The value 0.9179 sometimes quoted does not belong to this sum.
    assert!(
        (cu.root.value - 0.902_841_996).abs() < 2e-9,
        "cubic root {}",
        cu.root.value
    );
    assert!((6.0 * cu.zero_point_correction - 0.58).abs() < 0.01);
    // The cubic sums against brute force (1/|q| at Γ and M in 3D: h^2, h^4).
    let (r, _) = midpoint_richardson(3, 16, 4, &[2.0, 4.0], &|s2, c2| 1.5 / (s2 * c2).sqrt());
    assert!(
        rel(r, cu.inverse_root.value) < 2e-6,
        "brute {r} vs {}",
        cu.inverse_root.value
    );
    // Dispersions: AFM linear, FM quadratic at small k.
    let k = 1e-3;
    let afm = spinwave::afm_dispersion(Lattice::Square, &[k, 0.0]);
    let fm = spinwave::fm_dispersion(Lattice::Square, &[k, 0.0]);
    assert!(rel(afm / k, sq.afm_velocity) < 1e-6);
    assert!(rel(fm / (k * k), sq.fm_stiffness) < 1e-6);
    assert_eq!(sq.fm_zero_point_correction, 0.0);
    assert_eq!("cubic".parse::<Lattice>().unwrap(), Lattice::Cubic);
    assert!(matches!(
        "hexagonal".parse::<Lattice>(),
        Err(BzError::InvalidInput { .. })
    ));
}

#[test]
fn thresholds_table_and_debye_formulas() {
    let t = thresholds(1e-10).unwrap();
    assert_eq!(t.len(), 6);
    let find = |d: u32, r: Regime| *t.iter().find(|x| x.dim == d && x.regime == r).unwrap();
    assert_eq!(find(2, Regime::ZeroTemperature).debye, 16.0);
    assert_eq!(find(3, Regime::ZeroTemperature).debye, 18.0);
    assert_eq!(find(3, Regime::HighTemperature).debye, 72.0);
    assert!(find(1, Regime::ZeroTemperature).exact.is_infinite());
    assert!(find(2, Regime::HighTemperature).exact.is_infinite());
    // Exact thresholds from the mpmath references.
    let k2 = debye_temperature_over_omega(2).unwrap();
    let k3 = debye_temperature_over_omega(3).unwrap();
    assert!(rel(k2, std::f64::consts::PI.sqrt()) < 1e-15);
    assert!(rel(find(2, Regime::ZeroTemperature).exact, 8.0 * k2 * REF_I2_0) < 1e-10);
    assert!(rel(find(3, Regime::ZeroTemperature).exact, 12.0 * k3 * REF_I3_0) < 1e-10);
    assert!(
        rel(
            find(3, Regime::HighTemperature).exact,
            48.0 * WATSON * k3 * k3
        ) < 1e-15
    );
    // At the exact T = 0 threshold r0/a is exactly 1/2.
    let th = find(3, Regime::ZeroTemperature).exact;
    let p = lindemann_ratio(3, 0.0, k3 / th, 1e-10).unwrap();
    assert!((p.ratio - 0.5).abs() < 1e-10);
    // Debye T = 0: the ratio reaches 1/2 at T_D/E_K = 18 exactly.
    let p = lindemann_ratio(3, 0.0, k3 / 18.0, 1e-10).unwrap();
    assert!((p.debye_ratio - 0.5).abs() < 1e-14);
    // Debye high-T: (r0/a)^2 → 18 (E_K/T_D)(T/T_D).
    let tau = 1e3;
    let p = lindemann_ratio(3, tau, 1e-6, 1e-10).unwrap();
    let expect = (18.0 * 1e-6 / k3 * (tau / k3)).sqrt();
    assert!(rel(p.debye_ratio, expect) < 1e-6);
    // J_3(b) = ∫_0^1 x coth(bx) dx against a direct composite Simpson sum.
    for b in [0.05, 0.7, 3.0, 40.0] {
        let n = 20000;
        let h = 1.0 / n as f64;
        let g = |x: f64| {
            if x == 0.0 {
                1.0 / b
            } else {
                x / (b * x).tanh()
            }
        };
        let s: f64 = (0..=n)
            .map(|i| {
                let w = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * g(i as f64 * h)
            })
            .sum::<f64>()
            * h
            / 3.0;
        assert!(rel(debye_integral(3, b), s) < 1e-12, "b={b}");
    }
    // Boundary function consistent with the table at T = 0 and the asymptote.
    let (ex, de) = stability_boundary(3, 0.0, 1e-10).unwrap();
    assert!(rel(ex, th) < 1e-12 && de == 18.0);
    let (ex, de) = stability_boundary(3, 50.0, 1e-10).unwrap();
    assert!(rel(ex / 50.0, 48.0 * WATSON * k3 * k3) < 1e-3);
    assert!(rel(de / 50.0, 72.0) < 1e-3);
}

#[test]
fn invalid_input_is_rejected() {
    let bad = |r: Result<Quadrature, BzError>| matches!(r, Err(BzError::InvalidInput { .. }));
    assert!(bad(lindemann_mean(0, 0.1, 1e-10)));
    assert!(bad(lindemann_mean(4, 0.1, 1e-10)));
    assert!(bad(lindemann_mean(3, -0.1, 1e-10)));
    assert!(bad(lindemann_mean(3, f64::NAN, 1e-10)));
    assert!(bad(lindemann_mean(3, f64::INFINITY, 1e-10)));
    assert!(bad(lindemann_mean(3, 0.1, 0.0)));
    assert!(bad(lindemann_mean(3, 0.1, -1e-3)));
    assert!(bad(lindemann_mean(3, 0.1, f64::NAN)));
    assert!(bad(lindemann_mean(3, 0.1, 1e-16)));
    // Bad input wins over divergence.
    assert!(bad(lindemann_mean(1, -1.0, 1e-10)));
    assert!(matches!(
        lindemann_ratio(3, 0.1, 0.0, 1e-10),
        Err(BzError::InvalidInput { .. })
    ));
    assert!(matches!(
        spin_wave(Lattice::Square, 2.0),
        Err(BzError::InvalidInput { .. })
    ));
    let o = Options {
        method: Method::Trapezoid,
        ..Options::default()
    };
    assert!(bad(lindemann_mean_with(3, 0.0, &o)));
    let msg = lindemann_mean(5, 0.1, 1e-10).unwrap_err().to_string();
    assert!(msg.contains("dim") && msg.contains('5'), "{msg}");
}
