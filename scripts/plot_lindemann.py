#!/usr/bin/env python3
"""Lindemann plots from a `qk lindemann` HDF5 file (seed 003, eqs. 42-55).

Reads /grid/dim, /grid/tau, /grid/ek_over_omega and /results/lindemann_ratio,
/results/debye_ratio, and /thresholds when the file has it (--thresholds) (shape = grid axes in the order of the dataset's `axes`
attribute; missing attribute: the order dim, tau, ek_over_omega). Writes a PNG with

  left:  r0/a vs T/T_D for d = 3 at each T_D/E_K of the file, exact lattice (solid)
         and Debye approximation (dashed), with the Lindemann line r0/a = 1/2;
  right: the stability boundary in the (T/T_D, T_D/E_K) plane, exact vs Debye
         (stable above the curves), with the seed's Debye limits 18 (T = 0) and
         72 T/T_D (T >> T_D).

Conventions (kernels/bzquad/src/lindemann.rs): tau = T/Omega, T_D = kappa_3 Omega with
kappa_3 = sqrt(pi) (3 sqrt(pi)/4)^(1/3); (r0/a)^2 is proportional to E_K/T_D at fixed
T/T_D, so the critical T_D/E_K at a given tau is 4 (r0/a)^2 (T_D/E_K).

Usage:  qk lindemann --dim 3 --tau 0:6:61 --ek-over-omega 0.005,0.01,0.02,0.04 --thresholds -o FILE.h5
        scripts/plot_lindemann.py FILE.h5 [-o OUT.png]
        scripts/plot_lindemann.py --synthetic FILE.h5   (writes a test file, then plots it)
"""
import argparse
import sys

import h5py
import numpy as np

KAPPA3 = np.sqrt(np.pi) * (0.75 * np.sqrt(np.pi)) ** (1 / 3)
WATSON = 0.505462019717326
I3_ZERO = 0.9106881032888603


def read(path):
    with h5py.File(path, "r") as f:
        grid = {k: np.asarray(f["grid"][k]) for k in ("dim", "tau", "ek_over_omega")}
        out = {}
        for name in ("lindemann_ratio", "debye_ratio"):
            ds = f["results"][name]
            axes = ds.attrs.get("axes", ["dim", "tau", "ek_over_omega"])
            axes = [a.decode() if isinstance(a, bytes) else str(a) for a in axes]
            data = np.asarray(ds)[(...,) + (0,) * (ds.ndim - len(axes))] if ds.ndim > len(axes) else np.asarray(ds)
            order = [axes.index(a) for a in ("dim", "tau", "ek_over_omega")]
            out[name] = np.transpose(data, order)
        # Optional table of `qk lindemann --thresholds`: rows (dim, regime) with exact and Debye values.
        if "thresholds" in f:
            t = f["thresholds"]
            regime = [r.decode() if isinstance(r, bytes) else str(r) for r in t["regime"][:]]
            out["thresholds"] = {
                (int(d), r): (float(e), float(b))
                for d, r, e, b in zip(t["dim"][:], regime, t["exact"][:], t["debye"][:])
            }
    return grid, out


def synthetic(path):
    """A file with the qk layout from an independent numpy evaluation: subtracted
    periodic trapezoid for I_3(tau) (tau > 0), I_3(0) quoted, Debye integral by scipy."""
    from scipy import integrate

    dims = np.array([2, 3])
    taus = np.concatenate([[0.0], np.linspace(0.05, 3.0, 60)])
    eks = np.array([0.005, 0.01, 0.02, 0.04])
    n = 24
    q = 2 * np.pi * np.arange(n) / n
    s1 = np.sin(q / 2) ** 2
    s2 = (s1[:, None, None] + s1[None, :, None] + s1[None, None, :]).ravel()

    def i3(tau):
        if tau == 0:
            return I3_ZERO
        x = np.sqrt(s2) / (2 * tau)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(x > 1e-3, (x / np.tanh(x) - 1) / x**2, 1 / 3 - x**2 / 45)
        return 4 * WATSON * tau + lam.mean() / (2 * tau)

    lr = np.full((len(dims), len(taus), len(eks)), np.nan)
    dr = np.full_like(lr, np.nan)
    for a, d in enumerate(dims):
        for b, tau in enumerate(taus):
            if d == 3:
                i = i3(tau)
                bb = KAPPA3 / (2 * tau) if tau > 0 else np.inf
                j = 0.5 if tau == 0 else integrate.quad(lambda x: x / np.tanh(bb * x) if x > 0 else 1 / bb, 0, 1)[0]
                lr[a, b] = np.sqrt(3 * eks * i)
                dr[a, b] = np.sqrt(9 * eks / KAPPA3 * j)
            elif tau == 0:
                lr[a, b] = np.sqrt(2 * eks * 1.2857644965889155)
                dr[a, b] = np.sqrt(4 * eks / np.sqrt(np.pi))
    with h5py.File(path, "w") as f:
        f["grid/dim"] = dims
        f["grid/tau"] = taus
        f["grid/ek_over_omega"] = eks
        for name, arr in (("lindemann_ratio", lr), ("debye_ratio", dr)):
            ds = f.create_dataset(f"results/{name}", data=arr)
            ds.attrs["axes"] = ["dim", "tau", "ek_over_omega"]
            ds.attrs["units"] = "1"


def plot(path, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid, res = read(path)
    dims = list(grid["dim"])
    if 3 not in dims:
        print("plot_lindemann: the file has no d = 3 points", file=sys.stderr)
        return 2
    a = dims.index(3)
    tau = grid["tau"]
    eks = grid["ek_over_omega"]
    order = np.argsort(tau)
    t_td = tau[order] / KAPPA3
    lr = res["lindemann_ratio"][a][order]
    dr = res["debye_ratio"][a][order]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for k, ek in enumerate(eks):
        td_ek = KAPPA3 / ek
        line = ax1.plot(t_td, lr[:, k], "-", label=f"$T_D/E_K$ = {td_ek:.3g}")[0]
        ax1.plot(t_td, dr[:, k], "--", color=line.get_color())
    ax1.axhline(0.5, color="k", lw=0.8)
    ax1.text(0.0, 0.51, "Lindemann $r_0/a = 1/2$", ha="left", va="bottom")
    ax1.set_xlabel("$T/T_D$")
    ax1.set_ylabel("$r_0/a$")
    ax1.set_title("d = 3: exact lattice (solid), Debye (dashed)")
    ax1.legend(fontsize=8)

    # Critical T_D/E_K = 4 (r0/a)^2 (T_D/E_K), the same for every E_K column.
    crit_exact = np.nanmedian(4 * lr**2 * (KAPPA3 / eks)[None, :], axis=1)
    crit_debye = np.nanmedian(4 * dr**2 * (KAPPA3 / eks)[None, :], axis=1)
    ax2.plot(t_td, crit_exact, "-", label="exact lattice")
    ax2.plot(t_td, crit_debye, "--", label="Debye approximation")
    hot = t_td[t_td > 0]
    ax2.plot(hot, 72 * hot, ":", color="gray", label="seed: $72\\,T/T_D$ ($T \\gg T_D$)")
    ax2.axhline(18, color="gray", lw=0.8, ls="-.", label="seed: 18 ($T = 0$)")
    table = res.get("thresholds", {})
    if (3, "T >> T_D") in table:
        hi = table[(3, "T >> T_D")][0]
        ax2.plot(hot, hi * hot, ":", color="C0", label=f"exact: {hi:.4g}$\\,T/T_D$ ($T \\gg T_D$, table)")
    if (3, "T = 0") in table:
        lo = table[(3, "T = 0")][0]
        ax2.plot([0], [lo], "o", color="C0", label=f"exact: {lo:.4g} ($T = 0$, table)")
    ax2.fill_between(t_td, crit_exact, np.nanmax(crit_exact) * 1.1, alpha=0.1, label="stable (exact)")
    ax2.set_xlabel("$T/T_D$")
    ax2.set_ylabel("critical $T_D/E_K$")
    ax2.set_title("stability boundary, d = 3 (stable above)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--synthetic", action="store_true", help="write a synthetic FILE first")
    args = ap.parse_args()
    if args.synthetic:
        synthetic(args.file)
    out = args.output or args.file.rsplit(".", 1)[0] + "_lindemann.png"
    try:
        return plot(args.file, out)
    except (OSError, KeyError) as e:
        print(f"plot_lindemann: cannot read {args.file}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
