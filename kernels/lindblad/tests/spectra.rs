//! Spectra by quantum regression against the dense eigendecomposition of
//! the whole Liouvillian, the superradiant line, the sum rule, the
//! fluctuation–dissipation relation of a thermal oscillator, the Krylov
//! sweep against the direct one, and the slow modes against dense
//! eigenvalues.

use num_complex::Complex64;
use qk_lindblad::lmg::LmgParams;
use qk_lindblad::spectra::krylov::{sweep, KrylovOptions};
use qk_lindblad::spectra::lmg::{
    lmg_correlation_plan, lmg_correlation_plan_reusing, lmg_operator, lmg_shifted_block,
    lmg_shifted_block_reusing, LmgOperator,
};
use qk_lindblad::spectra::reference::{dense_eigenvalues, dense_modes, dense_spectrum};
use qk_lindblad::spectra::slow::{slow_modes, SlowOptions};
use qk_lindblad::spectra::{CorrelationPlan, SpectrumKind};
use qk_lindblad::steady::ColumnOrdering;
use qk_lindblad::{LmgSolver, SteadyStateOptions};
use sprs::{CsMat, TriMat};

const KINDS: [SpectrumKind; 4] = [
    SpectrumKind::Spectrum,
    SpectrumKind::Symmetrized,
    SpectrumKind::Commutator,
    SpectrumKind::Response,
];

fn lmg_state(p: &LmgParams) -> faer::Mat<Complex64> {
    let mut s = LmgSolver::with_options(p.n, SteadyStateOptions::default()).unwrap();
    s.solve_with_state(p).unwrap().1.rho
}

fn rel_diff(a: &[Complex64], b: &[Complex64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.norm()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).norm()))
        / scale
}

fn values(v: &qk_lindblad::spectra::SpectrumValues) -> Vec<Complex64> {
    v.re.iter()
        .zip(&v.im)
        .map(|(&r, &i)| Complex64::new(r, i))
        .collect()
}

/// Every kind and operator pair at N = 6 and 7, ordered and normal phase:
/// the sparse block solves equal the dense modes' sum to 1e-10.
#[test]
fn lmg_direct_matches_dense_eigendecomposition() {
    let omegas: Vec<f64> = (0..41).map(|i| -4.0 + 0.2 * i as f64).collect();
    use LmgOperator::*;
    for (n, h) in [(6usize, 0.3), (7, 1.2)] {
        let p = LmgParams {
            n,
            h,
            lambda: 1.0,
            gamma_a: 0.05,
            gamma_b: 0.3,
        };
        let rho = lmg_state(&p);
        let sys = p.system().unwrap();
        for (a, b) in [(Jm, Jp), (Jp, Jm), (Jx, Jx), (Jy, Jx), (Jz, Jz)] {
            let (am, bm) = (lmg_operator(n, a).unwrap(), lmg_operator(n, b).unwrap());
            let mut plan = lmg_correlation_plan(&p, rho.as_ref(), a, b, 1).unwrap();
            for kind in KINDS {
                let got = plan.direct(kind, &omegas).unwrap();
                let want = dense_spectrum(
                    sys.hamiltonian(),
                    sys.collapse_ops(),
                    rho.as_ref(),
                    &am,
                    &bm,
                    kind,
                    &omegas,
                )
                .unwrap();
                let e = rel_diff(&values(&got), &want);
                assert!(e < 1e-10, "N={n} {a:?},{b:?} {kind:?}: {e:e}");
                assert!(got.backward_error.iter().all(|&b| b < 1e-13), "{kind:?}");
            }
        }
    }
}

/// H = ω₀ Jz, C = √κ J−, ρ = |j,−j⟩⟨j,−j|: ⟨J−(τ)J+⟩ = 2j e^{−(iω₀+κj)τ},
/// so S(ω) = 2·2j·κj / ((κj)² + (ω + ω₀)²) exactly (QuTiP's sign).
#[test]
fn superradiant_line_is_one_lorentzian() {
    let (n, w0, kappa) = (8usize, 1.3, 0.2f64);
    let j = n as f64 / 2.0;
    let ops = qk_lindblad::spin_operators(n).unwrap();
    let h = ops.jz.map(|z| z * w0);
    let c = vec![ops.jm.map(|z| z * kappa.sqrt())];
    let d = n + 1;
    let mut rho = faer::Mat::<Complex64>::zeros(d, d);
    rho[(n, n)] = Complex64::new(1.0, 0.0); // m = j − k = −j at k = N
    let parity = qk_lindblad::lmg_parity(n);
    let mut plan = CorrelationPlan::new(
        &h,
        &c,
        Some(&parity),
        rho.as_ref(),
        &ops.jm,
        &ops.jp,
        |_| ColumnOrdering::Colamd,
        1,
    )
    .unwrap();
    let omegas: Vec<f64> = (0..81).map(|i| -3.0 + 0.05 * i as f64).collect();
    let got = plan.direct(SpectrumKind::Spectrum, &omegas).unwrap();
    let g = kappa * j;
    for (k, &om) in omegas.iter().enumerate() {
        let want = 2.0 * 2.0 * j * g / (g * g + (om + w0) * (om + w0));
        assert!(
            (got.re[k] - want).abs() < 1e-10 * want.max(1.0),
            "ω = {om}: {} vs {want}",
            got.re[k]
        );
    }
}

/// ∫ S_AB dω/2π = Re(⟨AB⟩ − ⟨A⟩⟨B⟩): Gauss–Legendre in θ, ω = c tan θ.
#[test]
fn sum_rule() {
    let p = LmgParams {
        n: 8,
        h: 0.6,
        lambda: 1.0,
        gamma_a: 0.05,
        gamma_b: 0.3,
    };
    let rho = lmg_state(&p);
    // nodes of Gauss–Legendre on (−π/2, π/2) by the midpoint rule in θ with
    // many points (the integrand is smooth and periodic-like: spectral accuracy)
    let m = 4000;
    let c = 2.0;
    let theta: Vec<f64> = (0..m)
        .map(|i| -std::f64::consts::FRAC_PI_2 + std::f64::consts::PI * (i as f64 + 0.5) / m as f64)
        .collect();
    let omegas: Vec<f64> = theta.iter().map(|t| c * t.tan()).collect();
    let dtheta = std::f64::consts::PI / m as f64;
    use LmgOperator::*;
    for (a, b) in [(Jm, Jp), (Jx, Jx), (Jz, Jz)] {
        let (am, bm) = (lmg_operator(p.n, a).unwrap(), lmg_operator(p.n, b).unwrap());
        let mut plan = lmg_correlation_plan(&p, rho.as_ref(), a, b, 1).unwrap();
        let s = plan.direct(SpectrumKind::Spectrum, &omegas).unwrap();
        let integral: f64 =
            s.re.iter()
                .zip(&theta)
                .map(|(&v, &t)| v * c / (t.cos() * t.cos()) * dtheta)
                .sum::<f64>()
                / (2.0 * std::f64::consts::PI);
        let ab = &am * &bm;
        let mean = |op: &CsMat<Complex64>| -> Complex64 {
            op.iter().map(|(v, (r, cc))| *v * rho[(cc, r)]).sum()
        };
        let want = (mean(&ab) - mean(&am) * mean(&bm)).re;
        assert!(
            (integral - want).abs() < 1e-6 * want.abs().max(1.0),
            "{a:?},{b:?}: {integral} vs {want}"
        );
    }
}

fn op(d: usize, entries: &[(usize, usize, f64)]) -> CsMat<Complex64> {
    let mut t = TriMat::new((d, d));
    for &(r, c, v) in entries {
        t.add_triplet(r, c, Complex64::new(v, 0.0));
    }
    t.to_csc()
}

/// A damped oscillator with thermal rates κ(n̄+1) D[a] + κn̄ D[a†] (Fock
/// space cut at 14): the weights of its Lorentzians in C₊₊ and C₊₋ obey
/// C₊₊ = ½ coth(βω/2) C₊₋ at the resonance (weights n̄ + ½ and 1), the
/// spectra themselves only at ω = ω₀.
#[test]
fn thermal_oscillator_fdt_weights() {
    let d = 14;
    let (w0, kappa, nbar) = (1.0f64, 0.1f64, 0.4f64);
    let a = op(
        d,
        &(1..d)
            .map(|k| (k - 1, k, (k as f64).sqrt()))
            .collect::<Vec<_>>(),
    );
    let ad = op(
        d,
        &(1..d)
            .map(|k| (k, k - 1, (k as f64).sqrt()))
            .collect::<Vec<_>>(),
    );
    let h = op(
        d,
        &(0..d).map(|k| (k, k, w0 * k as f64)).collect::<Vec<_>>(),
    );
    let c = vec![
        a.map(|z| z * (kappa * (nbar + 1.0)).sqrt()),
        ad.map(|z| z * (kappa * nbar).sqrt()),
    ];
    let parity: Vec<bool> = (0..d).map(|k| k % 2 == 1).collect();
    let st =
        qk_lindblad::steady_state(&h, &c, Some(&parity), SteadyStateOptions::default()).unwrap();
    let rho = st.rho;
    let beta = ((1.0 + nbar) / nbar).ln() / w0;
    // weights: sum of residues of the modes at Im λ ≈ ω₀
    let weight = |kind| -> Complex64 {
        dense_modes(&h, &c, rho.as_ref(), &ad, &a, kind)
            .unwrap()
            .iter()
            .filter(|m| (m.lambda.im - w0).abs() < 0.5 * w0)
            .map(|m| m.residue)
            .sum()
    };
    let wpp = weight(SpectrumKind::Symmetrized);
    let wpm = weight(SpectrumKind::Commutator);
    let ratio = (wpp / wpm).re;
    let want = 0.5 / (beta * w0 / 2.0).tanh();
    // truncation of the Fock space at 14 costs n̄^14 ≈ 3e-6 of the weight
    assert!((ratio - want).abs() < 1e-4, "{ratio} vs {want}");
    // the sparse solves agree with the dense modes for this generic model
    let omegas: Vec<f64> = (0..21).map(|i| 0.5 + 0.05 * i as f64).collect();
    for kind in [SpectrumKind::Symmetrized, SpectrumKind::Commutator] {
        let mut plan = CorrelationPlan::new(
            &h,
            &c,
            Some(&parity),
            rho.as_ref(),
            &ad,
            &a,
            |_| ColumnOrdering::Colamd,
            1,
        )
        .unwrap();
        let got = plan.direct(kind, &omegas).unwrap();
        let want = dense_spectrum(&h, &c, rho.as_ref(), &ad, &a, kind, &omegas).unwrap();
        assert!(rel_diff(&values(&got), &want) < 1e-10);
    }
}

/// The Krylov sweep equals the direct one to 1e-10 (relative to the peak)
/// on a dense grid, for an odd and an even block.
#[test]
fn krylov_matches_direct() {
    let p = LmgParams {
        n: 30,
        h: 0.8,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.05,
    };
    let rho = lmg_state(&p);
    let omegas: Vec<f64> = (0..201).map(|i| -3.0 + 0.03 * i as f64).collect();
    use LmgOperator::*;
    for (a, b) in [(Jm, Jp), (Jz, Jz)] {
        for kind in [SpectrumKind::Spectrum, SpectrumKind::Response] {
            let mut plan = lmg_correlation_plan(&p, rho.as_ref(), a, b, 1).unwrap();
            let direct = plan.direct(kind, &omegas).unwrap();
            let (kry, rep) = sweep(&mut plan, kind, &omegas, KrylovOptions::default()).unwrap();
            let e = rel_diff(&values(&kry), &values(&direct));
            assert!(e < 1e-10, "{a:?},{b:?} {kind:?}: {e:e} {rep:?}");
            assert!(rep.shifts < omegas.len() / 4, "{rep:?}");
            assert!(kry.backward_error.iter().all(|&b| b <= 1e-10));
        }
    }
}

/// A plan's shifted block reused at other points of the same pattern (the
/// ordering and symbolic analysis kept, new values) gives bit-identical
/// spectra and slow modes to a new plan; a block of another pattern (other
/// N, other parity block) is not reused.
#[test]
fn reused_symbolic_analysis_is_bit_identical() {
    use LmgOperator::*;
    let point = |n: usize, h: f64| LmgParams {
        n,
        h,
        lambda: 1.0,
        gamma_a: 0.01,
        gamma_b: 0.05,
    };
    let omegas: Vec<f64> = (0..40).map(|i| -2.95 + 0.15 * i as f64).collect();
    let mut cached = None;
    for (n, h, a, b) in [
        (20usize, 0.5, Jp, Jm),
        (20, 1.3, Jp, Jm),
        (20, 0.99, Jx, Jx),
        (21, 0.7, Jp, Jm),
        (21, 0.8, Jz, Jz),
        (21, 1.1, Jz, Jz),
    ] {
        let p = point(n, h);
        let rho = lmg_state(&p);
        let mut fresh = lmg_correlation_plan(&p, rho.as_ref(), a, b, 1).unwrap();
        let mut reused =
            lmg_correlation_plan_reusing(&p, rho.as_ref(), a, b, 1, cached.take()).unwrap();
        for kind in [SpectrumKind::Spectrum, SpectrumKind::Response] {
            let (f, _) = sweep(&mut fresh, kind, &omegas, KrylovOptions::default()).unwrap();
            let (r, _) = sweep(&mut reused, kind, &omegas, KrylovOptions::default()).unwrap();
            assert_eq!(f, r, "N={n} h={h} {a:?},{b:?} {kind:?}");
            assert_eq!(
                fresh.direct(kind, &omegas[..5]).unwrap(),
                reused.direct(kind, &omegas[..5]).unwrap()
            );
        }
        cached = Some(reused.into_block());
    }
    // refill refuses another pattern and keeps the plan unchanged
    let (mut odd20, _) = lmg_shifted_block(&point(20, 0.5), true, 1).unwrap();
    let p21 = point(21, 0.5);
    let sys = p21.system().unwrap();
    let lb = qk_lindblad::liouvillian::BlockLiouvillian::assemble_block(
        sys.hamiltonian(),
        sys.collapse_ops(),
        sys.parity(),
        true,
    )
    .unwrap();
    assert!(!odd20.refill(&lb).unwrap());
    let even21 = qk_lindblad::liouvillian::BlockLiouvillian::assemble_block(
        sys.hamiltonian(),
        sys.collapse_ops(),
        sys.parity(),
        false,
    )
    .unwrap();
    let (mut odd21, _) = lmg_shifted_block(&p21, true, 1).unwrap();
    assert!(!odd21.refill(&even21).unwrap());
    assert!(odd21.refill(&lb).unwrap());
    // slow modes with a reused even block
    let mut cached = None;
    for h in [0.4, 1.2] {
        let p = point(12, h);
        let (mut fresh, t) = lmg_shifted_block(&p, false, 1).unwrap();
        let (mut reused, _) = lmg_shifted_block_reusing(&p, false, 1, cached.take()).unwrap();
        let o = SlowOptions::default();
        let a = slow_modes(&mut fresh, Some(&t), o).unwrap();
        let b = slow_modes(&mut reused, Some(&t), o).unwrap();
        assert_eq!(a, b, "h={h}");
        cached = Some(reused);
    }
}

/// The k slowest modes of each block equal the dense block eigenvalues
/// nearest 0 (the steady state excluded) to 1e-10.
#[test]
fn slow_modes_match_dense_eigenvalues() {
    for (n, h) in [(6usize, 0.3), (9, 1.1)] {
        let p = LmgParams {
            n,
            h,
            lambda: 1.0,
            gamma_a: 0.05,
            gamma_b: 0.3,
        };
        let sys = p.system().unwrap();
        let all = dense_eigenvalues(sys.hamiltonian(), sys.collapse_ops()).unwrap();
        let k = 6;
        let mut found = Vec::new();
        for odd in [false, true] {
            let (mut block, t) = lmg_shifted_block(&p, odd, 1).unwrap();
            let modes = slow_modes(
                &mut block,
                if odd { None } else { Some(&t) },
                SlowOptions {
                    k,
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(modes.eigenvalues.len(), k);
            found.extend(modes.eigenvalues);
        }
        // every returned eigenvalue is a dense eigenvalue
        for l in &found {
            let dmin = all
                .iter()
                .map(|x| (x - l).norm())
                .fold(f64::INFINITY, f64::min);
            assert!(dmin < 1e-10, "N={n}: {l} not a dense eigenvalue ({dmin:e})");
            assert!(l.norm() > 1e-9, "steady state not deflated");
        }
        // and the 2k nearest-zero nonzero dense eigenvalues are all found
        // (the two blocks' nearest k each cover the overall nearest k)
        let mut nz: Vec<Complex64> = all.iter().copied().filter(|x| x.norm() > 1e-9).collect();
        nz.sort_by(|a, b| a.norm().total_cmp(&b.norm()));
        for l in nz.iter().take(k) {
            let dmin = found
                .iter()
                .map(|x| (x - l).norm())
                .fold(f64::INFINITY, f64::min);
            assert!(dmin < 1e-10, "N={n}: dense {l} missed");
        }
    }
}

/// A shift on an eigenvalue of the block is a failure naming the shift,
/// never a number.
#[test]
fn shift_on_an_eigenvalue_fails() {
    let p = LmgParams {
        n: 5,
        h: 0.4,
        lambda: 1.0,
        gamma_a: 0.05,
        gamma_b: 0.3,
    };
    let (mut block, _) = lmg_shifted_block(&p, true, 1).unwrap();
    let modes = slow_modes(
        &mut block,
        None,
        SlowOptions {
            k: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let lambda = modes.eigenvalues[0];
    let b: Vec<Complex64> = (0..block.len())
        .map(|i| Complex64::new(1.0, i as f64))
        .collect();
    let mut x = vec![Complex64::new(0.0, 0.0); block.len()];
    let r = block.solve(lambda, &b, &mut x);
    let e = r.unwrap_err().to_string();
    assert!(e.contains("shift"), "{e}");
}

/// Normal phase, large h: the transmission has a dip of full width ≈ 2Γb
/// at ν ≈ 2√(h(h − λ)) (the linearized resonance), deep at N = 60.
#[test]
fn transmission_dip_in_the_normal_phase() {
    use qk_lindblad::spectra::lmg::transmission;
    let (n, h, gb) = (60usize, 3.0f64, 0.05f64);
    let p = LmgParams {
        n,
        h,
        lambda: 1.0,
        gamma_a: 0.0,
        gamma_b: gb,
    };
    let rho = lmg_state(&p);
    let omegas: Vec<f64> = (0..801).map(|i| 4.6 + 0.0015 * i as f64).collect();
    let mut plan =
        lmg_correlation_plan(&p, rho.as_ref(), LmgOperator::Jp, LmgOperator::Jm, 1).unwrap();
    let (chi, _) = sweep(
        &mut plan,
        SpectrumKind::Response,
        &omegas,
        KrylovOptions::default(),
    )
    .unwrap();
    let t: Vec<f64> = values(&chi)
        .iter()
        .map(|&c| transmission(gb, n, c))
        .collect();
    let (imin, tmin) =
        t.iter().enumerate().fold(
            (0, f64::INFINITY),
            |m, (i, &v)| if v < m.1 { (i, v) } else { m },
        );
    let nu0 = 2.0 * (h * (h - 1.0)).sqrt();
    assert!(
        (omegas[imin] - nu0).abs() < 0.05,
        "dip at {} vs {nu0}",
        omegas[imin]
    );
    assert!(tmin < 0.2, "dip depth {tmin}");
    // full width at half depth
    let half = 0.5 * (1.0 + tmin);
    let below: Vec<f64> = omegas
        .iter()
        .zip(&t)
        .filter(|(_, &v)| v < half)
        .map(|(&w, _)| w)
        .collect();
    let width = below.last().unwrap() - below[0];
    assert!(
        (width - 2.0 * gb).abs() < 0.5 * gb,
        "width {width} vs {}",
        2.0 * gb
    );
}
