#!/usr/bin/env python3
"""Figures of the spectra and the Liouvillian gap from qk output (seed 001 Fig. 3,
critical slowing down, seed 000 fluctuation-dissipation).

  fig3 FILE.h5   probe transmission T(nu) of seed 001 Fig. 3 from `qk spectrum --kind
                 response --a jp --b jm` (grid over n and h; Gamma_a, Gamma_b as the seed),
                 one panel per h, one curve per N, with the linearized (N -> infinity)
                 resonance positions and half-widths marked.
  gap FILE_N.h5 FILE_H.h5
                 gap vs N (log-log, fitted exponent per h) from `qk gap` over n at a few h,
                 and gap vs h at fixed N from `qk gap` over h.
  merge FILE.h5 [MORE.h5 ...]
                 the resonances near h+c against N (seed 001: "the two features merge into a
                 single peak at nu = 0, which ultimately diverges at h = h+c") from `qk spectrum
                 --kind response --a jp --b jm` over n and a few h >= h+c: T(nu) per N with the
                 linearized (Holstein-Primakoff) transmission, the peak position and height vs N
                 with fitted exponents, T(0) vs N; prints the measured numbers.
  teff SYM.h5 COMM.h5
                 T_eff(omega) = omega / (2 arcoth(2 C++/C+-)) of the driven LMG steady state
                 from `qk spectrum --kind symmetrized` and `--kind commutator` (same grid),
                 next to the thermal oscillator, whose C++/C+- is n+1/2 at every omega.

Common flags: --outdir DIR (default .). Run scripts/spectra_figures.sh for the qk commands.

Transmission (derived in qk_lindblad::spectra::lmg): the probe drives cavity mode b, which
the seed eliminates adiabatically (kappa_b >> everything, delta_b = 0); the dissipator
(Gamma_b/N) D[J+] of eq. (5) means b = -i (lambda_b/sqrt(N) J+ + eps e^{-i nu t}) / kappa_b,
so the atoms feel H' = -f(t) J- with f = i g e^{-i nu t}, and the coherent output at the
probe frequency, normalized by the empty cavity, is
    T(nu) = |1 + i (Gamma_b / N) chi_{J+ J-}(nu)|^2,
chi the Kubo response of qk spectrum --kind response (chi = i int_0^inf <[A(t), B]> e^{i nu t}).
In the normal phase chi = i N / (Gamma_b + i (2h - nu)) + ..., a dip to 0 of full width
2 Gamma_b at nu = 2h (the seed's "dip of width 2 Gamma_b at nu ~ 2h").
Linearized reference: the Jacobian of the semiclassical equations (6) at the stable fixed
point (eq. 7 or Z = 1), restricted to the sphere's tangent plane, has eigenvalues mu; the
resonances sit at nu = -Im mu with half-width -Re mu.
"""
import argparse
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fixed_point(h, lam, gb):
    hm = (lam - np.sqrt(lam**2 - gb**2)) / 2
    hp = (lam + np.sqrt(lam**2 - gb**2)) / 2
    if hm < h < hp:
        L = lam + np.sqrt(lam**2 - gb**2)
        x = np.sqrt((L**2 - 4 * h**2) / (2 * lam * L))
        return np.array([x, gb / L * x, 2 * h / L])
    return np.array([0.0, 0.0, 1.0])


def jacobian_modes(h, lam, gb):
    """Eigenvalues of eqs. (6) linearized at the stable fixed point, tangent to the sphere."""
    X, Y, Z = fixed_point(h, lam, gb)
    J = np.array([
        [-gb * Z, 2 * h, -gb * X],
        [-2 * h + 2 * lam * Z, -gb * Z, 2 * lam * X - gb * Y],
        [-2 * lam * Y + 2 * gb * X, -2 * lam * X + 2 * gb * Y, 0.0],
    ])
    r = np.array([X, Y, Z])
    # orthonormal basis of the tangent plane
    a = np.array([1.0, 0, 0]) if abs(r[0]) < 0.9 else np.array([0, 1.0, 0])
    t1 = a - r * (a @ r)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(r, t1)
    T = np.stack([t1, t2], axis=1)
    return np.linalg.eigvals(T.T @ J @ T)


def linear_transmission(nu, h, lam, gb):
    """T(nu) of the linearized (N -> infinity) normal phase: Holstein-Primakoff about the
    state J+ pumps to (J+ = sqrt(N) c, J- = sqrt(N) c^dag, Jz = N/2 - c^dag c),
        d<c>/dt    = -(Gb + 2ih) c + i lam (c + cbar) + i sqrt(N) f e^{-i nu t},
        d<cbar>/dt = -(Gb - 2ih) cbar - i lam (c + cbar)
    (the f-linear Kubo drive of H' = -f J-; Gamma_a drops out of the means), so
    chi_{J+J-}/N = c / (sqrt(N) f) and T = |1 + i Gb chi/N|^2, N-independent; det M = 0 at
    nu = 0 exactly at h = h+c, where T(0) diverges. Eigenvalues of M: -Gb +- sqrt(4h(lam-h))."""
    out = []
    for v in np.atleast_1d(nu):
        m = np.array([[-(gb + 2j * h) + 1j * lam + 1j * v, 1j * lam],
                      [-1j * lam, -(gb - 2j * h) - 1j * lam + 1j * v]])
        try:
            c = np.linalg.solve(m, np.array([-1j, 0.0]))[0]
        except np.linalg.LinAlgError:
            c = np.inf
        out.append(abs(1 + 1j * gb * c) ** 2)
    return np.array(out)


def merge(paths, outdir):
    """The files share the lambda, Gamma and omega axes; their (N, h) points are pooled (a
    point done in several files: the first)."""
    pts = {}
    for path in paths:
        with h5py.File(path, locking=False) as f:
            nf = attrs_axis(f, "n").astype(float)
            hf = attrs_axis(f, "h")
            lam = attrs_axis(f, "lambda")[0]
            gb = attrs_axis(f, "gamma_b")[0]
            ga = attrs_axis(f, "gamma_a")[0]
            w = attrs_axis(f, "omega")
            re = f["results/re"][...][:, :, 0, 0, 0, :]
            im = f["results/im"][...][:, :, 0, 0, 0, :]
            dn = f["status/done"][...].reshape(len(nf), len(hf)).astype(bool)
        for i, nv in enumerate(nf):
            for j, hv in enumerate(hf):
                if dn[i, j]:
                    pts.setdefault((nv, hv), re[i, j] + 1j * im[i, j])
    n = np.array(sorted({k[0] for k in pts}))
    h = np.array(sorted({k[1] for k in pts}))
    chi = np.zeros((len(n), len(h), len(w)), complex)
    done = np.zeros((len(n), len(h)), bool)
    for (nv, hv), v in pts.items():
        i, j = int(np.searchsorted(n, nv)), int(np.searchsorted(h, hv))
        chi[i, j], done[i, j] = v, True
    re, im = chi.real, chi.imag
    T = np.abs(1 + 1j * (gb / n[:, None, None]) * (re + 1j * im)) ** 2
    hp = (lam + np.sqrt(lam**2 - gb**2)) / 2
    i0 = int(np.argmin(np.abs(w)))
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.4))
    wl = np.linspace(w[0], w[-1], 2001)
    for j, hv in enumerate(h[:2]):
        ax = axes[j]
        for i, nv in enumerate(n):
            if done[i, j]:
                ax.plot(w, T[i, j], lw=1, label=f"N={int(nv)}")
        ax.plot(wl, linear_transmission(wl, hv, lam, gb), "k--", lw=1, label="linearized (N→∞)")
        top = np.nanmax(np.where(done[:, j, None], T[:, j], np.nan))
        ax.set_ylim(0, 1.3 * top)
        ax.set_xlabel("ν/λ")
        ax.set_ylabel("T(ν)")
        ax.set_title(f"h/λ = {hv / lam:.7g}" + (" = h₊ᶜ/λ" if abs(hv - hp) < 1e-12 else ""), fontsize=9)
        ax.legend(fontsize=7)
    a3, a4 = axes[2], axes[3]
    print(f"merge: h+c = {hp!r}; omega grid {w[0]}..{w[-1]} ({len(w)}), T(0) at omega = {w[i0]}")
    for j, hv in enumerate(h):
        ok = done[:, j]
        pos, height, t0 = [], [], []
        for i in np.nonzero(ok)[0]:
            neg = w < 0
            k = int(np.argmax(np.where(neg, T[i, j], -np.inf)))
            pos.append(-w[k])
            height.append(T[i, j, k])
            t0.append(T[i, j, i0])
        nn = n[ok]
        pos, height, t0 = map(np.array, (pos, height, t0))
        (l3,) = a3.loglog(nn, pos, "o-", ms=3)
        lin = linear_transmission(wl[wl < 0], hv, lam, gb)
        lin_pos = -wl[wl < 0][int(np.argmax(lin))]
        sl = np.polyfit(np.log(nn[-3:]), np.log(pos[-3:]), 1)[0] if len(nn) >= 3 else np.nan
        l3.set_label(f"h/λ={hv / lam:.6g}: |ν_peak| ∝ N^{sl:.2f} (last 3 N); linearized {lin_pos:.3g}")
        a3.axhline(max(lin_pos, 1e-3), color=l3.get_color(), ls=":", lw=0.8)
        (l4,) = a4.loglog(nn, height, "o-", ms=3)
        sh = np.polyfit(np.log(nn[-3:]), np.log(height[-3:]), 1)[0] if len(nn) >= 3 else np.nan
        lin_h = np.max(lin)
        l4.set_label(f"h/λ={hv / lam:.6g}: peak T ∝ N^{sh:.2f}; linearized {lin_h:.3g}")
        a4.loglog(nn, t0, "x--", ms=4, color=l4.get_color(), lw=0.7)
        a4.axhline(lin_h, color=l4.get_color(), ls=":", lw=0.8)
        for i, nv in enumerate(nn):
            print(f"merge: h = {hv:.10g} N = {int(nv)}: peak at nu = {-pos[i]:+.4f} T_peak = {height[i]:.4f} "
                  f"T(0) = {t0[i]:.4f}")
        print(f"merge: h = {hv:.10g}: fitted |nu_peak| ~ N^{sl:.3f}, T_peak ~ N^{sh:.3f} (last 3 N); "
              f"linearized peak at nu = {-lin_pos:+.4f}, T_peak = {lin_h:.4g}, T(0) = "
              f"{linear_transmission([0.0], hv, lam, gb)[0]:.4g}")
    a3.set_xlabel("N")
    a3.set_ylabel("|ν| of the peak (ν < 0)")
    a3.set_title("peak position; dotted: linearized")
    a3.legend(fontsize=6)
    a4.set_xlabel("N")
    a4.set_ylabel("T at the peak (o), T(0) (x)")
    a4.set_title("peak height; dotted: linearized (∞ at h₊ᶜ)")
    a4.legend(fontsize=6)
    fig.suptitle(f"Merging of the resonances near h₊ᶜ (seed 001 Fig. 3), Γa/λ = {ga:g}, Γb/λ = {gb:g}")
    fig.tight_layout()
    out = os.path.join(outdir, "merge_peak_vs_n.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def attrs_axis(f, name):
    return f["grid/" + name][...]


def fig3(path, outdir):
    with h5py.File(path) as f:
        n = attrs_axis(f, "n")
        h = attrs_axis(f, "h")
        lam = attrs_axis(f, "lambda")[0]
        gb = attrs_axis(f, "gamma_b")[0]
        ga = attrs_axis(f, "gamma_a")[0]
        w = attrs_axis(f, "omega")
        re = f["results/re"][...][:, :, 0, 0, 0, :]
        im = f["results/im"][...][:, :, 0, 0, 0, :]
        done = f["status/done"][...].reshape(len(n), len(h))
    chi = re + 1j * im
    T = np.abs(1 + 1j * (gb / n[:, None, None]) * chi) ** 2
    cols = 6
    rows = int(np.ceil(len(h) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows), squeeze=False)
    for j, hv in enumerate(h):
        ax = axes[j // cols][j % cols]
        for i, nv in enumerate(n):
            if done[i, j]:
                ax.plot(w, T[i, j], lw=1, label=f"N={int(nv)}")
        for mu in jacobian_modes(hv, lam, gb):
            nu = -mu.imag
            ax.axvline(nu, color="k", ls=":", lw=0.8)
            ax.axvspan(nu + mu.real, nu - mu.real, color="0.85", zorder=0)
        ax.set_title(f"h/λ = {hv / lam:.4g}", fontsize=9)
        ax.set_xlabel("ν/λ")
        if j % cols == 0:
            ax.set_ylabel("T(ν)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Probe transmission (seed 001 Fig. 3), Γa/λ = {ga:g}, "
                 f"Γb/λ = {gb:g}; dotted: linearized resonances ν = −Im μ, shaded: ±|Re μ|")
    fig.tight_layout()
    out = os.path.join(outdir, "fig3_transmission.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def gap(path_n, path_h, outdir):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    with h5py.File(path_n) as f:
        n = attrs_axis(f, "n").astype(float)
        h = attrs_axis(f, "h")
        lam = attrs_axis(f, "lambda")[0]
        gb = attrs_axis(f, "gamma_b")[0]
        g = f["results/gap_odd"][...][:, :, 0, 0, 0]
        done = f["status/done"][...].reshape(len(n), len(h))
    hp = (lam + np.sqrt(lam**2 - gb**2)) / 2
    for j, hv in enumerate(h):
        ok = done[:, j].astype(bool)
        x, y = n[ok], g[ok, j]
        (line,) = a1.loglog(x, y, "o-", ms=3)
        k = len(x) // 2
        slope, icpt = np.polyfit(np.log(x[k:]), np.log(y[k:]), 1)
        mu = jacobian_modes(hv, lam, gb)
        lin = np.min(np.abs(mu.real))
        a1.axhline(lin, color=line.get_color(), ls=":", lw=0.8)
        a1.plot([], [], " ", label="")
        line.set_label(f"h/λ={hv / lam:.6g}: gap ∝ N^{slope:.2f} (fit N≥{int(x[k])}); N→∞ {lin:.2g}")
        print(f"gap vs N at h = {hv}: fitted exponent {slope:.3f} over N = {x[k:].astype(int)}; "
              f"linearized |Re mu|min = {lin:.4g}")
    a1.set_xlabel("N")
    a1.set_ylabel("odd-block gap min |Re λ|")
    a1.set_title(f"critical slowing down (h₊ᶜ/λ = {hp / lam:.6g}); dotted: linearized")
    a1.legend(fontsize=7)
    with h5py.File(path_h) as f:
        n2 = attrs_axis(f, "n")
        h2 = attrs_axis(f, "h")
        ge = f["results/gap_even"][...][0, :, 0, 0, 0]
        go = f["results/gap_odd"][...][0, :, 0, 0, 0]
        ok = f["status/done"][...].reshape(len(n2), len(h2))[0].astype(bool)
    a2.semilogy(h2[ok] / lam, go[ok], label="odd block")
    a2.semilogy(h2[ok] / lam, ge[ok], label="even block (steady state excluded)")
    lin = [np.min(np.abs(jacobian_modes(x, lam, gb).real)) for x in h2]
    a2.semilogy(h2 / lam, np.maximum(lin, 1e-8), "k:", label="linearized (N→∞)")
    for x in [(lam - np.sqrt(lam**2 - gb**2)) / 2, hp]:
        a2.axvline(x / lam, color="0.6", lw=0.8)
    a2.set_xlabel("h/λ")
    a2.set_ylabel("gap")
    a2.set_title(f"gap vs h at N = {int(n2[0])}")
    a2.legend(fontsize=7)
    fig.tight_layout()
    out = os.path.join(outdir, "gap_scaling.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def teff(sym, comm, outdir):
    with h5py.File(sym) as f:
        w = attrs_axis(f, "omega")
        h = attrs_axis(f, "h")
        cpp = f["results/re"][...][0, :, 0, 0, 0, :]
    with h5py.File(comm) as f:
        cpm = f["results/re"][...][0, :, 0, 0, 0, :]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for j, hv in enumerate(h):
        r = cpp[j] / cpm[j]
        with np.errstate(all="ignore"):
            te = w / (2 * np.arctanh(1 / (2 * r)))
        ok = np.abs(cpm[j]) > 1e-6 * np.max(np.abs(cpm[j]))
        a1.plot(w[ok], te[ok], ".", ms=2, label=f"h/λ = {hv:g}")
    a1.set_xlabel("ω/λ")
    a1.set_ylabel("T_eff(ω) = ω / (2 arcoth(2 C₊₊/C₊₋))")
    a1.set_ylim(-3, 3)
    a1.set_title("driven LMG (J+, J−): no single temperature")
    a1.legend(fontsize=7)
    # thermal oscillator (the exact Lorentzians of the damped oscillator with thermal rates,
    # checked against the qk kernel in kernels/lindblad/tests/spectra.rs)
    w0, kappa, nbar = 1.0, 0.1, 0.4
    beta = np.log((1 + nbar) / nbar) / w0
    x = np.linspace(0.2, 2.0, 400)
    a2.plot(x, np.full_like(x, nbar + 0.5), label="C₊₊/C₊₋ (thermal oscillator: n̄ + ½ at every ω)")
    a2.plot(x, 0.5 / np.tanh(beta * x / 2), "--", label="½ coth(βω/2)")
    a2.axvline(w0, color="0.6", lw=0.8)
    a2.set_xlabel("ω/ω₀")
    a2.set_title(f"FDT holds at the resonance only (n̄ = {nbar}, κ = {kappa})")
    a2.legend(fontsize=7)
    fig.tight_layout()
    out = os.path.join(outdir, "fdt_teff.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["fig3", "gap", "teff", "merge"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--outdir", default=".")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    if a.what == "fig3":
        fig3(a.files[0], a.outdir)
    elif a.what == "merge":
        merge(a.files, a.outdir)
    elif a.what == "gap":
        gap(a.files[0], a.files[1], a.outdir)
    else:
        teff(a.files[0], a.files[1], a.outdir)


if __name__ == "__main__":
    main()
