#!/usr/bin/env python3
"""Render the two-kicked-particles figures of seed 002 from a `qk kicked` HDF5 file.

  Fig. 2a: <p1^2> vs kicks, one curve per hbar (log-log), other axes fixed.
  Fig. 2b: momentum (sine-basis) distribution of particle 1, |psi_1(p)|^2 vs p = hbar k,
           at the last observed momentum time, one curve per hbar (log y).
  Fig. 5:  purity Tr rho_1^2 vs kicks, one curve per value of a chosen axis
           (default k2), log-log and semi-log panels.

Layout read (ARCHITECTURE.md, driver/src/output.rs):
  /grid/<param>           1D axis per parameter (hbar, mass, eps, k1, k2, lambda, ...)
  /grid/kick              the observed kick numbers (time axis of the series)
  /grid/momentum_kick     kicks at which momentum_p1 was recorded (optional)
  /results/p1_sq, p2_sq, purity, norm   shape [grid axes..., n_kick]
  /results/momentum_p1    shape [grid axes..., n_momentum_times, n1] (optional)
  attribute `axes` on each result: grid axis names in order (else: /grid members
  other than the time axes, in file order)
  /status/done            [grid axes...] (optional); points not done, or NaN, are left out.

Usage:
  plot_kicked.py FILE.h5 [--outdir DIR] [--curves hbar] [--purity-curves k2]
                 [--select mass=0 --select eps=1 ...] [--momentum-index -1]
  plot_kicked.py --selftest      # write a synthetic file with h5py and plot it
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

TIME_AXES = ("kick", "momentum_kick")


def _names(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def grid_axes(f, result):
    ds = f["results"][result]
    if "axes" in ds.attrs:
        return _names(np.atleast_1d(ds.attrs["axes"]))
    return [k for k in f["grid"].keys() if k not in TIME_AXES]


def parse_select(items, axes, shape):
    sel = {name: 0 for name in axes}
    for item in items or []:
        if "=" not in item:
            sys.exit(f"plot_kicked: --select expects NAME=INDEX, got {item!r}")
        name, idx = item.split("=", 1)
        if name not in sel:
            sys.exit(f"plot_kicked: --select {name}: no such axis (axes: {', '.join(axes)})")
        i = int(idx)
        n = shape[axes.index(name)]
        if not -n <= i < n:
            sys.exit(f"plot_kicked: --select {name}={i}: axis has {n} values")
        sel[name] = i % n
    return sel


def curves(f, name, axes, vary, sel, done):
    """Yield (value, series) along axis `vary`, other axes at `sel`."""
    ds = f["results"][name]
    values = f["grid"][vary][:]
    for i, v in enumerate(values):
        index = tuple(i if a == vary else sel[a] for a in axes)
        if done is not None and not done[index]:
            continue
        y = np.asarray(ds[index], dtype=float)
        if np.all(np.isnan(y)):
            continue
        yield float(v), y


def fixed_label(axes, vary, sel, f, skip=()):
    parts = []
    for a in axes:
        if a == vary or a in skip:
            continue
        parts.append(f"{a}={f['grid'][a][sel[a]]:g}")
    return ", ".join(parts)


def plot(path, outdir=None, vary="hbar", purity_vary=None, select=None, momentum_index=-1):
    with h5py.File(path, "r") as f:
        if "results" not in f or "p1_sq" not in f["results"]:
            sys.exit(f"plot_kicked: {path}: no /results/p1_sq (not a qk kicked file?)")
        axes = grid_axes(f, "p1_sq")
        shape = f["results"]["p1_sq"].shape[: len(axes)]
        n_t = f["results"]["p1_sq"].shape[-1]
        kicks = f["grid"]["kick"][:] if "kick" in f["grid"] else np.arange(1, n_t + 1)
        if vary not in axes:
            sys.exit(f"plot_kicked: --curves {vary}: no such axis (axes: {', '.join(axes)})")
        if purity_vary is None:
            purity_vary = "k2" if "k2" in axes and shape[axes.index("k2")] > 1 else vary
        if purity_vary not in axes:
            sys.exit(f"plot_kicked: --purity-curves {purity_vary}: no such axis")
        sel = parse_select(select, axes, shape)
        done = None
        if "status" in f and "done" in f["status"]:
            done = np.asarray(f["status"]["done"][...]) == 1
            if "failed" in f["status"]:
                done &= np.asarray(f["status"]["failed"][...]) == 0

        outdir = outdir or os.path.dirname(os.path.abspath(path))
        os.makedirs(outdir, exist_ok=True)
        stem = os.path.splitext(os.path.basename(path))[0]
        written = []

        # Fig. 2a
        fig, ax = plt.subplots(figsize=(6, 4.5))
        n = 0
        for v, y in curves(f, "p1_sq", axes, vary, sel, done):
            ok = (kicks > 0) & (y > 0) & np.isfinite(y)
            ax.loglog(kicks[ok], y[ok], label=f"{vary} = {v:g}")
            n += 1
        ax.set_xlabel("kicks t")
        ax.set_ylabel(r"$\langle p_1^2 \rangle$")
        ax.set_title("Fig. 2a: " + fixed_label(axes, vary, sel, f), fontsize=8)
        if n:
            ax.legend(fontsize=8)
        out = os.path.join(outdir, f"{stem}_fig2a_p1sq.png")
        fig.tight_layout()
        fig.savefig(out, dpi=120)
        plt.close(fig)
        written.append(out)

        # Fig. 2b
        if "momentum_p1" in f["results"]:
            ds = f["results"]["momentum_p1"]
            n_mt = ds.shape[len(axes)]
            mt = f["grid"]["momentum_kick"][:] if "momentum_kick" in f["grid"] else None
            fig, ax = plt.subplots(figsize=(6, 4.5))
            hbars = f["grid"]["hbar"][:] if "hbar" in axes else None
            n = 0
            for i, v in enumerate(f["grid"][vary][:]):
                index = tuple(i if a == vary else sel[a] for a in axes)
                if done is not None and not done[index]:
                    continue
                dist = np.asarray(ds[index + (momentum_index % n_mt,)], dtype=float)
                if np.all(np.isnan(dist)):
                    continue
                hbar = float(v) if vary == "hbar" else (float(hbars[sel["hbar"]]) if hbars is not None else 1.0)
                k = np.arange(1, dist.size + 1)
                p = hbar * k
                # density per unit momentum: P(k) / (hbar) so curves with different hbar compare
                dens = dist / hbar
                ok = dens > 0
                ax.semilogy(p[ok], dens[ok], label=f"{vary} = {v:g}")
                n += 1
            when = f"t = {mt[momentum_index % n_mt]:g}" if mt is not None else f"record {momentum_index % n_mt}"
            ax.set_xlabel(r"$p = \hbar k$")
            ax.set_ylabel(r"$|\psi_1(p)|^2$ (per unit p)")
            ax.set_title(f"Fig. 2b: {when}; " + fixed_label(axes, vary, sel, f), fontsize=8)
            if n:
                ax.legend(fontsize=8)
            out = os.path.join(outdir, f"{stem}_fig2b_momentum.png")
            fig.tight_layout()
            fig.savefig(out, dpi=120)
            plt.close(fig)
            written.append(out)

        # Fig. 5
        if "purity" in f["results"]:
            fig, axs = plt.subplots(1, 2, figsize=(10, 4.2))
            n = 0
            for v, y in curves(f, "purity", axes, purity_vary, sel, done):
                ok = (kicks > 0) & (y > 0) & np.isfinite(y)
                axs[0].loglog(kicks[ok], y[ok], label=f"{purity_vary} = {v:g}")
                axs[1].semilogy(kicks[ok], y[ok], label=f"{purity_vary} = {v:g}")
                n += 1
            for a in axs:
                a.set_xlabel("kicks t")
                a.set_ylabel(r"purity Tr $\rho_1^2$")
            axs[0].set_title("Fig. 5 (log-log: power law)", fontsize=9)
            axs[1].set_title("semi-log (exponential); " + fixed_label(axes, purity_vary, sel, f), fontsize=8)
            if n:
                axs[0].legend(fontsize=8)
            out = os.path.join(outdir, f"{stem}_fig5_purity.png")
            fig.tight_layout()
            fig.savefig(out, dpi=120)
            plt.close(fig)
            written.append(out)
    for w in written:
        print(w)
    return written


def selftest():
    """Synthetic file with the driver's layout (one point not done), then plot it."""
    with tempfile.TemporaryDirectory() as td:
        path = os.path.join(td, "synthetic.h5")
        hbar = np.array([0.01, 0.02, 0.05])
        k2 = np.array([0.0, 0.03, 0.12])
        mass = np.array([0.001])
        kicks = np.arange(1, 501)
        n1 = 64
        with h5py.File(path, "w") as f:
            g = f.create_group("grid")
            g["hbar"] = hbar
            g["mass"] = mass
            g["k2"] = k2
            g["kick"] = kicks.astype(float)
            g["momentum_kick"] = np.array([250.0, 500.0])
            axes = ["hbar", "mass", "k2"]
            shape = (3, 1, 3)
            d = 0.087
            p1 = np.empty(shape + (kicks.size,))
            pur = np.empty(shape + (kicks.size,))
            mom = np.empty(shape + (2, n1))
            for i, h in enumerate(hbar):
                for j, kk in enumerate(k2):
                    tloc = 0.5 / h
                    p1[i, 0, j] = d * tloc * (1 - np.exp(-kicks / tloc))
                    pur[i, 0, j] = np.exp(-kk * kicks) if kk > 0 else 1 / (1 + 0.01 * kicks) ** 0.5
                    k = np.arange(1, n1 + 1)
                    w = np.exp(-h * k / 0.5)
                    mom[i, 0, j] = w / w.sum()
            r = f.create_group("results")
            for name, data in [("p1_sq", p1), ("p2_sq", p1 / 2), ("purity", pur),
                               ("norm", np.ones_like(p1)), ("momentum_p1", mom)]:
                ds = r.create_dataset(name, data=data)
                ds.attrs["axes"] = axes
            st = f.create_group("status")
            done = np.ones(shape, dtype=np.uint8)
            done[2, 0, 2] = 0
            st["done"] = done
            st["failed"] = np.zeros(shape, dtype=np.uint8)
            r["p1_sq"][2, 0, 2] = np.nan
        out = plot(path, outdir=td, vary="hbar", purity_vary="k2", select=["mass=0"])
        assert len(out) == 3 and all(os.path.getsize(o) > 0 for o in out), out
        # a file without the optional datasets and attributes
        with h5py.File(path, "a") as f:
            del f["results/momentum_p1"]
            for name in f["results"]:
                del f["results"][name].attrs["axes"]
            del f["status"]
        out = plot(path, outdir=td, vary="hbar")
        assert len(out) == 2, out
    print("plot_kicked selftest: ok")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", nargs="?")
    p.add_argument("--outdir", default=None, help="directory for the PNGs (default: next to FILE)")
    p.add_argument("--curves", default="hbar", help="axis with one curve per value in Fig. 2 (default hbar)")
    p.add_argument("--purity-curves", default=None, help="axis for the curves of Fig. 5 (default k2)")
    p.add_argument("--select", action="append", help="NAME=INDEX: fix another axis (default index 0)")
    p.add_argument("--momentum-index", type=int, default=-1, help="which momentum record (default last)")
    p.add_argument("--selftest", action="store_true")
    a = p.parse_args(argv)
    if a.selftest:
        selftest()
        return
    if not a.file:
        p.error("FILE is required (or --selftest)")
    if not os.path.exists(a.file):
        sys.exit(f"plot_kicked: {a.file}: no such file")
    plot(a.file, a.outdir, a.curves, a.purity_curves, a.select, a.momentum_index)


if __name__ == "__main__":
    main()
