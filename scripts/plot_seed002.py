#!/usr/bin/env python3
"""Seed 002 (two kicked particles in a well) from `qk` output: Figs. 2a, 2b, 3, 4a, 4b, 5
and a check of the seed's text claims.

  plot_seed002.py RUNDIR [--outdir DIR]      # files written by scripts/run_seed002.sh
  plot_seed002.py --selftest                 # synthetic files with the driver's layout

RUNDIR holds (names fixed by run_seed002.sh; a missing file skips its figure and claims):
  fig1_sweep.h5, fig1_eps0.h5  qk classical, D_c vs m (Fig. 1 is drawn by plot_classical.py)
  fig2.h5          qk kicked --hbar 0.01..0.05 --mass 0.001 --eps 2 --momentum-at 500
  fig2_eps0.h5     qk noise --width 0 --hbar 0.01 (eps = 0: particle 1 alone, the same 1D physics)
  fig3a.h5         qk noise --hbar 0.01 --width 0,0.005,0.008,0.01 --momentum-at 500
  fig3b.h5         qk noise --hbar 0.01,0.02,0.03,0.05 --width W --momentum-at 500
  fig3_classical.h5  qk classical --eps 0 --noise-width W (the classical line of Fig. 3)
  fig4.h5          qk transition --hbar ... --mass ... --eps 2 --thresholds (Figs. 4a, 4b; its
                   classical mean at m = 0.001 is the classical line of Fig. 2a)
  fig5.h5          qk kicked over --k2 with the purity (Fig. 5)

Conventions: momenta in the seed's dimensionless units (p = hbar k quantum); D = <p1^2>(T)/T at
the last kick (as `qk transition`); eta fits eta = A exp(alpha hbar) by least squares on log eta
over the points above the saturation level (eta > 0.15); Fig. 2b fits |psi(p)|^2 ~ exp(-p^2/zeta)
and ~ exp(-|p|/xi) on log P over the points above 1e-3 of the maximum; Fig. 5 fits P ~ t^-gamma
(log-log) and P ~ exp(-beta t) (semi-log) over t >= 10, the better one by residual.
Points not done or failed (/status) are left out. The claims table is printed and written to
OUTDIR/seed002_claims.md.
"""
import argparse
import os
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _names(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.atleast_1d(values)]


class Run:
    """One qk output file: results indexed by axis values."""

    def __init__(self, path):
        self.path = path
        self.f = h5py.File(path, "r")
        self.grid = {k: self.f["grid"][k][()] for k in self.f["grid"]}
        st = self.f.get("status")
        self.ok = None
        if st is not None and "done" in st:
            self.ok = np.asarray(st["done"][()]) == 1
            if "failed" in st:
                self.ok &= np.asarray(st["failed"][()]) == 0

    def axes(self, result):
        ds = self.f["results"][result]
        return _names(ds.attrs["axes"]) if "axes" in ds.attrs else []

    def has(self, result):
        return result in self.f["results"]

    def index(self, result, sel):
        """Index tuple of the point `sel` (axis -> value, nearest); other axes must be single-valued."""
        idx = []
        for a in self.axes(result):
            values = np.atleast_1d(self.grid[a])
            if a in sel:
                i = int(np.argmin(np.abs(values - sel[a])))
                if not np.isclose(values[i], sel[a], rtol=1e-9, atol=1e-12):
                    return None
                idx.append(i)
            elif values.size == 1:
                idx.append(0)
            else:
                raise SystemExit(f"plot_seed002: {self.path}: axis {a} has {values.size} values; select one")
        return tuple(idx)

    def get(self, result, **sel):
        """The result at one point (trailing axes kept), or None when absent or failed."""
        if not self.has(result):
            return None
        idx = self.index(result, sel)
        if idx is None:
            return None
        ok_idx = idx[: self.ok.ndim] if self.ok is not None else None
        if self.ok is not None and ok_idx is not None and len(ok_idx) == self.ok.ndim and not self.ok[ok_idx]:
            return None
        y = np.asarray(self.f["results"][result][idx], dtype=float)
        return None if np.all(np.isnan(y)) else y

    def values(self, axis):
        return np.atleast_1d(self.grid[axis]).astype(float)


def open_runs(rundir):
    runs = {}
    for name in ["fig1_sweep", "fig1_eps0", "fig2", "fig2_eps0", "fig3a", "fig3b", "fig3_classical", "fig4", "fig5"]:
        path = os.path.join(rundir, name + ".h5")
        if os.path.exists(path):
            try:
                runs[name] = Run(path)
            except OSError as e:
                print(f"plot_seed002: {path}: not readable ({e}); skipped", file=sys.stderr)
    return runs


def linfit(x, y):
    """Least-squares line y = a + b x: (a, b, rms residual)."""
    A = np.vstack([np.ones_like(x), x]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ coef
    return coef[0], coef[1], float(np.sqrt(np.mean(res**2)))


def profile_fits(p, dens):
    """Gaussian exp(-p^2/zeta) and exponential exp(-|p|/xi) fits of log dens: (zeta, rms_g, xi, rms_e)."""
    keep = dens > 1e-3 * dens.max()
    x, y = p[keep], np.log(dens[keep])
    _, bg, rg = linfit(x**2, y)
    _, be, re = linfit(x, y)
    return -1.0 / bg, rg, -1.0 / be, re


def decay_fits(t, y):
    """Power law t^-gamma and exponential exp(-beta t) fits over t >= 10: (gamma, rms_pow, beta, rms_exp)."""
    keep = (t >= 10) & (y > 0) & np.isfinite(y)
    lt, ly = np.log(t[keep]), np.log(y[keep])
    _, bp, rp = linfit(lt, ly)
    _, bx, rx = linfit(t[keep], ly)
    return -bp, rp, -bx, rx


class Claims:
    def __init__(self):
        self.rows = []

    def add(self, fig, claim, measured, agree):
        verdict = "agrees" if agree else "does not agree"
        self.rows.append((fig, claim, measured, verdict))

    def markdown(self):
        out = ["| figure | seed's claim | measured (qk) | verdict |", "| --- | --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.rows]
        return "\n".join(out) + "\n"


def save(fig, outdir, name, written):
    path = os.path.join(outdir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)


def fig1_claims(runs, claims):
    sweep, eps0 = runs.get("fig1_sweep"), runs.get("fig1_eps0")
    if sweep is None or eps0 is None:
        return
    d0 = eps0.get("d_ratio", mass=eps0.values("mass")[0])
    e0 = eps0.get("d_ratio_err", mass=eps0.values("mass")[0])
    masses = np.sort(sweep.values("mass"))
    for eps in [2.0, 4.0]:
        if not np.any(np.isclose(sweep.values("eps"), eps)):
            continue
        dc = [sweep.get("d_ratio", mass=m, eps=eps) for m in masses]
        de = [sweep.get("d_ratio_err", mass=m, eps=eps) for m in masses]
        if dc[0] is None or dc[-1] is None or d0 is None:
            continue
        z = abs(float(dc[0]) - float(d0)) / np.hypot(float(de[0]), float(e0))
        claims.add("1", f"eps={eps:g}: D_c decreases as m decreases, to the unperturbed level",
                   f"D_c(m={masses[-1]:g}) = {float(dc[-1]):.3f}, D_c(m={masses[0]:g}) = {float(dc[0]):.3f} ± {float(de[0]):.3f}, "
                   f"eps=0: {float(d0):.3f} ± {float(e0):.3f} ({z:.1f} sigma)",
                   float(dc[0]) < float(dc[-1]) and z < 3)


def fig2(runs, outdir, written, claims):
    q = runs.get("fig2")
    if q is None:
        return
    kick = q.values("kick")
    hbars = q.values("hbar")
    mass = q.values("mass")[0]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    final = {}
    for h in hbars:
        y = q.get("p1_sq", hbar=h)
        if y is not None:
            ax.plot(kick, y, "k-", lw=1)
            ax.annotate(f"{h:g}", (kick[-1], y[-1]), fontsize=7)
            final[h] = (y, y[-1])
    classical = None
    t4 = runs.get("fig4")
    if t4 is not None and t4.has("p1_sq_c"):
        sel = dict(mass=mass)
        if t4.values("hbar").size > 1:
            sel["hbar"] = t4.values("hbar")[0]
        yc = t4.get("p1_sq_c", **sel)
        if yc is not None:
            kc = t4.values("kick")
            ax.plot(kc, yc, "r-", lw=1.5, label=f"classical (m = {mass:g})")
            classical = np.interp(kick[-1], kc, yc)
    e0 = runs.get("fig2_eps0")
    y0 = None
    if e0 is not None:
        y0 = e0.get("p_sq", hbar=e0.values("hbar")[0], width=0.0)
        if y0 is not None:
            ax.plot(e0.values("kick"), y0, "b--", label=f"eps = 0, hbar = {e0.values('hbar')[0]:g}")
    ax.set_xlabel("t (kicks)")
    ax.set_ylabel(r"$\langle p_1^2 \rangle$")
    ax.set_title(f"Fig. 2a: hbar = {', '.join(f'{h:g}' for h in hbars)} (black, top to bottom), m = {mass:g}", fontsize=8)
    ax.legend(fontsize=8)
    save(fig, outdir, "fig2a.png", written)

    hmin, hmax = hbars.min(), hbars.max()
    if hmax in final:
        y, _ = final[hmax]
        half = y[np.searchsorted(kick, kick[-1] / 2)]
        growth = y[-1] / half
        claims.add("2a", f"DL at hbar = {hmax:g}: <p1^2> saturates",
                   f"<p1^2>(T)/<p1^2>(T/2) = {growth:.2f}" + (f"; eta_q/c = {y[-1] / classical:.2f}" if classical else ""),
                   growth < 1.3)
    if hmin in final and classical:
        r = final[hmin][1] / classical
        claims.add("2a", f"QCC at hbar = {hmin:g}: quantum follows the classical line",
                   f"<p1^2>_q(T)/<p1^2>_c(T) = {r:.2f}", 0.8 <= r <= 1.25)
    if y0 is not None and hmin in final:
        r0 = y0[-1] / final[hmin][1]
        claims.add("2a", f"eps = 0 at hbar = {e0.values('hbar')[0]:g} is suppressed by coherence (the interaction makes QCC)",
                   f"<p^2>_(eps=0)(T) / <p1^2>_(eps=2)(T) = {r0:.2f}", r0 < 0.7)

    if not q.has("momentum_p1"):
        return
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for h, style in [(hmin, "b-"), (hmax, "k-")]:
        dist = q.get("momentum_p1", hbar=h)
        if dist is None:
            continue
        dist = dist[-1] if dist.ndim == 2 else dist
        k = np.arange(1, dist.size + 1)
        p, dens = h * k, dist / h
        ok = dens > 0
        ax.semilogy(p[ok], dens[ok], style, lw=1, label=f"hbar = {h:g}")
        zeta, rg, xi, re = profile_fits(p[ok], dens[ok])
        pk = p[ok][dens[ok] > 1e-3 * dens.max()]
        a0 = dens.max()
        if h == hmin:
            ax.semilogy(pk, a0 * np.exp(-(pk**2) / zeta), "r-.", label=f"Gaussian fit zeta = {zeta:.3g}")
            claims.add("2b", f"hbar = {h:g}: Gaussian momentum profile",
                       f"rms log-residual Gaussian {rg:.2f} vs exponential {re:.2f}", rg < re)
        else:
            ax.semilogy(pk, a0 * np.exp(-pk / xi), "r--", label=f"exponential fit xi = {xi:.3g}")
            claims.add("2b", f"hbar = {h:g}: exponentially localized profile",
                       f"rms log-residual exponential {re:.2f} vs Gaussian {rg:.2f}", re < rg)
    ax.set_xlabel("p")
    ax.set_ylabel(r"$|\psi_1(p)|^2$ (per unit p)")
    ax.set_title(f"Fig. 2b: t = {q.values('momentum_kick')[-1]:g}, m = {mass:g}", fontsize=8)
    ax.legend(fontsize=8)
    save(fig, outdir, "fig2b.png", written)


def fig3(runs, outdir, written, claims):
    a, b, c = runs.get("fig3a"), runs.get("fig3b"), runs.get("fig3_classical")
    if a is None and b is None:
        return
    fig, axs = plt.subplots(1, 3, figsize=(15, 4.3))
    yc = kc = None
    if c is not None:
        yc = c.get("p1_sq", mass=c.values("mass")[0])
        kc = c.values("kick")
    finals = []
    if a is not None:
        h = a.values("hbar")[0]
        for w in a.values("width"):
            y = a.get("p_sq", hbar=h, width=w)
            if y is not None:
                axs[0].plot(a.values("kick"), y, label=f"W = {w:g}")
                finals.append((w, y[-1]))
        if yc is not None:
            axs[0].plot(kc, yc, "r--", label="classical")
        axs[0].set_title(f"Fig. 3a: hbar = {h:g}", fontsize=9)
        if len(finals) > 1:
            ws, ys = zip(*finals)
            mono = bool(np.all(np.diff(np.array(ys)[np.argsort(ws)]) > 0))
            txt = ", ".join(f"{y:.1f}" for _, y in sorted(finals))
            cl = f"; classical {np.interp(a.values('kick')[-1], kc, yc):.1f}" if yc is not None else ""
            claims.add("3a", "DL to chaotic diffusion as W grows (hbar = 0.01)",
                       f"<p^2>(T) for W = {', '.join(f'{w:g}' for w in sorted(ws))}: {txt}{cl}", mono)
    if b is not None:
        w = b.values("width")[0]
        fb = []
        for h in b.values("hbar"):
            y = b.get("p_sq", hbar=h, width=w)
            if y is not None:
                axs[1].plot(b.values("kick"), y, label=f"hbar = {h:g}")
                fb.append((h, y[-1]))
        if yc is not None:
            axs[1].plot(kc, yc, "r--", label="classical")
        axs[1].set_title(f"Fig. 3b: W = {w:g}", fontsize=9)
        if len(fb) > 1:
            hs, ys = zip(*sorted(fb))
            claims.add("3b", f"quantum to classical transition as hbar decreases (W = {w:g})",
                       "<p^2>(T) for hbar = " + ", ".join(f"{h:g}" for h in hs) + ": " + ", ".join(f"{y:.1f}" for y in ys),
                       bool(np.all(np.diff(ys) < 0)))
        if b.has("momentum"):
            q = runs.get("fig2")
            for h, style in [(b.values("hbar").min(), "b"), (b.values("hbar").max(), "k")]:
                d = b.get("momentum", hbar=h, width=w)
                if d is None:
                    continue
                d = d[-1] if d.ndim == 2 else d
                k = np.arange(1, d.size + 1)
                axs[2].semilogy(h * k[d > 0], d[d > 0] / h, style + "-", lw=0.8, label=f"noise W = {w:g}, hbar = {h:g}")
                if q is not None and q.has("momentum_p1"):
                    d2 = q.get("momentum_p1", hbar=h)
                    if d2 is not None:
                        d2 = d2[-1] if d2.ndim == 2 else d2
                        k2 = np.arange(1, d2.size + 1)
                        axs[2].semilogy(h * k2[d2 > 0], d2[d2 > 0] / h, style + ":", lw=1.2, label=f"two particles, hbar = {h:g}")
                        n = min(d.size, d2.size)
                        pn, p2 = d[:n] / d[:n].sum(), d2[:n] / d2[:n].sum()
                        sn = np.sqrt(np.sum(pn * (h * k[:n]) ** 2))
                        s2 = np.sqrt(np.sum(p2 * (h * k2[:n]) ** 2))
                        claims.add("3c", f"noise (W = {w:g}) and two particles (m = {q.values('mass')[0]:g}) states agree, hbar = {h:g}",
                                   f"rms p: noise {sn:.2f}, two particles {s2:.2f}", abs(sn / s2 - 1) < 0.25)
            axs[2].set_title("Fig. 3c: t = T momentum distributions", fontsize=9)
            axs[2].set_xlabel("p")
    for ax in axs[:2]:
        ax.set_xlabel("t (kicks)")
        ax.set_ylabel(r"$\langle p^2 \rangle$")
    for ax in axs:
        ax.legend(fontsize=7)
    save(fig, outdir, "fig3.png", written)


def fig4(runs, outdir, written, claims):
    t = runs.get("fig4")
    if t is None:
        return
    hbars, masses = t.values("hbar"), t.values("mass")
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.3))
    markers = {0: "^", 1: "o", 2: "s"}
    alphas = {}
    for j, m in enumerate(masses):
        eta = np.array([np.nan if (v := t.get("eta", hbar=h, mass=m)) is None else float(v) for h in hbars])
        err = np.array([np.nan if (v := t.get("eta_err", hbar=h, mass=m)) is None else float(v) for h in hbars])
        ok = np.isfinite(eta)
        axs[0].errorbar(hbars[ok], eta[ok], yerr=err[ok], fmt=markers.get(j, "d"), label=f"m = {m:g}")
        fit = ok & (eta > 0.15)
        if fit.sum() >= 2:
            a, alpha, _ = linfit(hbars[fit], np.log(eta[fit]))
            hh = np.linspace(hbars[fit].min(), hbars[fit].max(), 50)
            axs[0].plot(hh, np.exp(a + alpha * hh), "r--", lw=1)
            alphas[m] = alpha
        if ok.sum() >= 2:
            first, last = eta[ok][0], eta[ok][-1]
            claims.add("4a", f"m = {m:g}: eta decays from about 1 to the saturation level about 0.1 as hbar grows",
                       f"eta(hbar = {hbars[ok][0]:g}) = {first:.2f}, eta(hbar = {hbars[ok][-1]:g}) = {last:.2f}"
                       + (f", alpha = {alphas[m]:.1f}" if m in alphas else ""),
                       first > 0.7 and 0.03 < last < 0.3)
    axs[0].set_yscale("log")
    axs[0].set_xlabel(r"$\hbar_{eff}$")
    axs[0].set_ylabel(r"$\eta = D_q/D_c$")
    axs[0].set_title("Fig. 4a (dashed: eta ~ exp(alpha hbar) over eta > 0.15)", fontsize=9)
    axs[0].legend(fontsize=8)
    if len(alphas) >= 2:
        ms = sorted(alphas)
        rates = [-alphas[m] for m in ms]
        claims.add("4a", "the decay rate alpha grows as m decreases",
                   "; ".join(f"m = {m:g}: {-alphas[m]:.1f}" for m in ms), bool(np.all(np.diff(rates) < 0)))
    if "thresholds" in t.f:
        th = t.f["thresholds"]
        # the axes of eta without hbar, in order; single-valued ones other than mass: index 0
        names = [a for a in t.axes("eta") if a != "hbar"]
        idx = tuple(slice(None) if a == "mass" else 0 for a in names)
        hc, hce = th["hbar_c"][idx], th["hbar_c_err"][idx]
        hl, hle = th["hbar_l"][idx], th["hbar_l_err"][idx]
        ok_c, ok_l = np.isfinite(hc), np.isfinite(hl)
        axs[1].errorbar(masses[ok_c], hc[ok_c], yerr=hce[ok_c], fmt="o", label=r"$\hbar_c$ ($\eta$ = 0.9)")
        axs[1].errorbar(masses[ok_l], hl[ok_l], yerr=hle[ok_l], fmt="^", label=r"$\hbar_l$ ($\eta$ = 0.1)")
        both = ok_c & ok_l
        if not (ok_c.any() or ok_l.any()):
            axs[1].text(0.5, 0.5, "no threshold bracketed by the hbar grid", transform=axs[1].transAxes,
                        ha="center", fontsize=9)
        claims.add("4b", "hbar_c < hbar_l (a transition region between QCC and DL) for every m",
                   "; ".join(f"m = {m:g}: hbar_c = {c:.4f} ± {ce:.4f}, hbar_l = {ll:.4f} ± {le:.4f}"
                             for m, c, ce, ll, le in zip(masses, hc, hce, hl, hle)),
                   bool(both.any() and np.all(hc[both] < hl[both])))
        axs[1].set_xscale("log")
        axs[1].set_xlabel("m")
        axs[1].set_ylabel(r"$\hbar_{eff}$")
        axs[1].set_title("Fig. 4b: QCC below hbar_c, DL above hbar_l", fontsize=9)
        axs[1].legend(fontsize=8)
    save(fig, outdir, "fig4.png", written)


def fig5(runs, outdir, written, claims):
    r = runs.get("fig5")
    if r is None or not r.has("purity"):
        return
    kick = r.values("kick")
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.3))
    fits = {}
    for k2 in r.values("k2"):
        y = r.get("purity", k2=k2)
        if y is None:
            continue
        axs[0].loglog(kick, y, label=f"K2 = {k2:g}")
        axs[1].semilogy(kick, y, label=f"K2 = {k2:g}")
        fits[k2] = (decay_fits(kick, y), y)
    for k2, ((g, rp, b, rx), y) in fits.items():
        keep = kick >= 10
        if rp <= rx:
            axs[0].loglog(kick[keep], y[keep][0] * (kick[keep] / kick[keep][0]) ** (-g), "b--", lw=0.8)
        else:
            axs[1].semilogy(kick[keep], y[keep][0] * np.exp(-b * (kick[keep] - kick[keep][0])), "r-.", lw=0.8)
    for ax in axs:
        ax.set_xlabel("t (kicks)")
        ax.set_ylabel(r"purity Tr $\rho_1^2$")
        ax.legend(fontsize=7)
    axs[0].set_title("Fig. 5 (log-log; dashed: power law)", fontsize=9)
    axs[1].set_title("semi-log (dash-dotted: exponential)", fontsize=9)
    save(fig, outdir, "fig5.png", written)
    ks = sorted(fits)
    if len(ks) >= 3:
        weak, strong = ks[: len(ks) // 2 + 1], ks[-2:]
        desc = "; ".join(f"K2 = {k:g}: power {fits[k][0][1]:.3f} (gamma {fits[k][0][0]:.2f}) vs exp {fits[k][0][3]:.3f} (beta {fits[k][0][2]:.3g})" for k in ks)
        claims.add("5", "power-law decay for small K2, exponential for strong K2 (0.09, 0.12), nearly unchanged between strong K2",
                   desc,
                   all(fits[k][0][1] < fits[k][0][3] for k in weak[:1]) and all(fits[k][0][3] < fits[k][0][1] for k in strong))


def render(rundir, outdir=None):
    outdir = outdir or rundir
    os.makedirs(outdir, exist_ok=True)
    runs = open_runs(rundir)
    if not runs:
        sys.exit(f"plot_seed002: {rundir}: none of the seed-002 files (run scripts/run_seed002.sh)")
    written, claims = [], Claims()
    fig1_claims(runs, claims)
    fig2(runs, outdir, written, claims)
    fig3(runs, outdir, written, claims)
    fig4(runs, outdir, written, claims)
    fig5(runs, outdir, written, claims)
    for r in runs.values():
        r.f.close()
    table = claims.markdown()
    with open(os.path.join(outdir, "seed002_claims.md"), "w") as fh:
        fh.write(table)
    for w in written:
        print(w)
    print(table)
    return written, claims


def selftest():
    """Synthetic files in the driver's layout (one failed point), rendered and checked."""

    def write(path, axes, results, kicks=None, momentum_kick=None, failed=None, extra=None):
        with h5py.File(path, "w") as f:
            g = f.create_group("grid")
            for a, v in axes.items():
                g[a] = np.atleast_1d(np.asarray(v, dtype=float))
            if kicks is not None:
                g["kick"] = kicks.astype(float)
            if momentum_kick is not None:
                g["momentum_kick"] = np.asarray(momentum_kick, dtype=float)
            shape = tuple(np.atleast_1d(v).size for v in axes.values())
            r = f.create_group("results")
            for name, data in results.items():
                ds = r.create_dataset(name, data=data)
                ds.attrs["axes"] = list(axes)
            st = f.create_group("status")
            st["done"] = np.ones(shape, dtype=np.uint8)
            fl = np.zeros(shape, dtype=np.uint8)
            if failed is not None:
                fl[failed] = 1
            st["failed"] = fl
            if extra:
                extra(f)

    with tempfile.TemporaryDirectory() as td:
        t = np.arange(10, 501, 10)
        hb = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
        n = 3000
        k = np.arange(1, n + 1)
        dc = 0.1
        p1 = np.array([[dc * t * (1 if h == 0.01 else 0.02 / h / 2 * (1 - np.exp(-t / 100)) * 5) for h in hb]]).reshape(5, 1, t.size)
        p1[0, 0] = dc * t * 0.95
        p1[-1, 0] = 4.0 * (1 - np.exp(-t / 50))
        mom = np.empty((5, 1, 1, n))
        for i, h in enumerate(hb):
            p = h * k
            w = np.exp(-(p**2) / 100.0) if i == 0 else np.exp(-p / 1.0)
            mom[i, 0, 0] = w / w.sum()
        write(os.path.join(td, "fig2.h5"), {"hbar": hb, "mass": [0.001]},
              {"p1_sq": p1, "momentum_p1": mom}, kicks=t, momentum_kick=[500])
        w = np.array([0.0, 0.005, 0.008, 0.01])
        pn = np.array([[dc * t * (0.3 + 0.7 * x / 0.01) for x in w]]).reshape(1, 4, t.size)
        write(os.path.join(td, "fig3a.h5"), {"hbar": [0.01], "width": w}, {"p_sq": pn}, kicks=t)
        write(os.path.join(td, "fig2_eps0.h5"), {"hbar": [0.01], "width": [0.0]}, {"p_sq": pn[:, :1]}, kicks=t)
        hb3 = np.array([0.01, 0.02, 0.03, 0.05])
        pb = np.array([dc * t / (1 + 30 * (h - 0.01)) for h in hb3]).reshape(4, 1, t.size)
        mb = np.empty((4, 1, 1, n))
        for i, h in enumerate(hb3):
            mb[i, 0, 0] = mom[0 if i == 0 else -1, 0, 0]
        write(os.path.join(td, "fig3b.h5"), {"hbar": hb3, "width": [0.01]}, {"p_sq": pb, "momentum": mb},
              kicks=t, momentum_kick=[500])
        write(os.path.join(td, "fig3_classical.h5"), {"mass": [1.0]}, {"p1_sq": (dc * t)[None]}, kicks=t)
        masses = np.array([0.001, 0.01, 1.0])
        h4 = np.linspace(0.01, 0.05, 8)
        eta = np.array([[max(0.1, np.exp(-(100 - 20 * j) * (h - 0.008))) for j in range(3)] for h in h4])
        pc = np.tile(dc * t, (8, 3, 1))

        def thresholds(f):
            g = f.create_group("thresholds")
            for name, v in [("hbar_c", [0.012, 0.013, 0.015]), ("hbar_c_err", [1e-3] * 3),
                            ("hbar_l", [0.045, 0.05, np.nan]), ("hbar_l_err", [2e-3] * 3)]:
                g.create_dataset(name, data=np.array(v))

        write(os.path.join(td, "fig4.h5"), {"hbar": h4, "mass": masses},
              {"eta": eta, "eta_err": 0.05 * eta, "p1_sq_c": pc}, kicks=t, failed=(7, 2), extra=thresholds)
        k2 = np.array([0.0, 0.03, 0.05, 0.09, 0.12])
        pur = np.array([(1 + 0.05 * t) ** -0.5 if x < 0.06 else np.exp(-0.01 * t) for x in k2]).reshape(1, 5, t.size)
        write(os.path.join(td, "fig5.h5"), {"mass": [0.01], "k2": k2}, {"purity": pur}, kicks=t)
        written, claims = render(td)
        assert len(written) == 5 and all(os.path.getsize(w) > 0 for w in written), written
        figs = {r[0] for r in claims.rows}
        assert figs >= {"2a", "2b", "3a", "3b", "3c", "4a", "4b", "5"}, figs
        bad = [r for r in claims.rows if r[3] != "agrees"]
        assert not bad, bad
        # an empty file is reported and skipped, not a traceback
        open(os.path.join(td, "fig5.h5"), "w").close()
        written, _ = render(td)
        assert len(written) == 4, written
    print("plot_seed002 selftest: ok")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rundir", nargs="?")
    p.add_argument("--outdir", default=None, help="directory for the PNGs and the claims table (default RUNDIR)")
    p.add_argument("--selftest", action="store_true")
    a = p.parse_args(argv)
    if a.selftest:
        selftest()
        return
    if not a.rundir:
        p.error("RUNDIR is required (or --selftest)")
    if not os.path.isdir(a.rundir):
        sys.exit(f"plot_seed002: {a.rundir}: no such directory")
    render(a.rundir, a.outdir)


if __name__ == "__main__":
    main()
