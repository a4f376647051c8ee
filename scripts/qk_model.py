"""Write Lindblad models for `qk steady --model FILE.h5` (and `qk jumps --model`) and read results back.

The file format (version 1) is documented in docs/model_format.md. Example::

    import qutip as qt
    from qk_model import save_model, load_result

    a = qt.destroy(40)
    save_model("kerr.h5",
               H={"detuning": (a.dag() * a, "delta"),
                  "kerr": (a.dag() * a.dag() * a * a, "chi"),
                  "drive": (a + a.dag(), "f")},
               c_ops={"loss": (a, "kappa")},
               observables={"n": a.dag() * a, "a": a},
               parameters={"delta": None, "chi": 0.5, "f": 1.0, "kappa": 1.0},
               description="driven Kerr oscillator")
    # qk steady --model kerr.h5 --delta -2:2:41 -o kerr_out.h5
    ds = load_result("kerr_out.h5")      # xarray Dataset over the swept parameters

A term is an operator (constant, factor 1), `(operator, "param")` or
`(operator, "param", factor)`; `"param"` may be None for a constant term.
Collapse channels follow QuTiP: the operator enters as sqrt(factor * param) * A.
Operators are QuTiP `Qobj`s, scipy sparse matrices or numpy arrays.

Run `python scripts/qk_model.py --selftest` to check a round trip.
"""

from __future__ import annotations

import re
import sys

import h5py
import numpy as np
import scipy.sparse as sp

FORMAT = "qk-model"
FORMAT_VERSION = 1
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _csr(op):
    """scipy CSR (complex) of a Qobj, scipy sparse matrix or array."""
    if hasattr(op, "full") and hasattr(op, "dims"):  # qutip.Qobj
        try:
            m = op.data.as_scipy()  # qutip 5 CSR or Dia storage
        except AttributeError:  # Dense storage (e.g. Qobj(ndarray)) or qutip 4
            m = op.full()
        m = sp.csr_matrix(m)
    elif sp.issparse(op):
        m = sp.csr_matrix(op)
    else:
        m = sp.csr_matrix(np.asarray(op))
    m = m.astype(np.complex128)
    m.sum_duplicates()
    m.sort_indices()
    return m


def _dims_of(op):
    if hasattr(op, "dims"):
        return [int(x) for x in op.dims[0]]
    return None


def _term(value):
    """(operator, parameter or None, factor) of a term specification."""
    if isinstance(value, tuple):
        if len(value) == 2:
            return value[0], value[1], 1.0
        if len(value) == 3:
            return value[0], value[1], float(value[2])
        raise ValueError(f"a term is op, (op, param) or (op, param, factor), not {len(value)} items")
    return value, None, 1.0


def _write_op(group, name, op):
    if not name or "/" in name or name == ".":
        raise ValueError(f"operator name {name!r} must be nonempty without '/'")
    m = _csr(op)
    g = group.create_group(name)
    g.create_dataset("data_re", data=m.data.real.astype(np.float64))
    g.create_dataset("data_im", data=m.data.imag.astype(np.float64))
    g.create_dataset("indices", data=m.indices.astype(np.int64))
    g.create_dataset("indptr", data=m.indptr.astype(np.int64))
    g.attrs["shape"] = np.asarray(m.shape, dtype=np.int64)
    return g, m


def _read_op(g):
    shape = tuple(int(x) for x in g.attrs["shape"])
    data = g["data_re"][()] + 1j * g["data_im"][()]
    return sp.csr_matrix((data, g["indices"][()], g["indptr"][()]), shape=shape)


def _ket(v, d):
    """The initial state as a complex vector of length d (a ket Qobj or array)."""
    if hasattr(v, "full") and hasattr(v, "dims"):  # qutip.Qobj
        v = v.full()
    v = np.asarray(v, dtype=np.complex128).reshape(-1)
    if v.shape != (d,):
        raise ValueError(f"initial state of {v.size} entries, expected {d}")
    if not np.all(np.isfinite(v)) or not np.any(v != 0):
        raise ValueError("initial state must be finite and nonzero")
    return v / np.linalg.norm(v)


def save_model(path, H, c_ops=None, observables=None, parameters=None, parity=None,
               description="", dims=None, initial=None):
    """Write a model file (format version 1).

    H: {term name: term}; c_ops: {channel name: term}; observables: {name: operator}
    or {name: (operator, description)}; parameters: {name: default or None} or a
    list of (name, default, description), in the order of the flags; parity: array of
    0/1 (or bool) per basis state, or None; dims: tensor structure (taken from the
    first Qobj when not given); initial: optional initial state (ket Qobj or vector
    of the dimension, stored normalized as /initial_state, for `qk jumps --model`).
    """
    c_ops = c_ops or {}
    observables = observables or {}
    if parameters is None:
        parameters = {}
    if isinstance(parameters, dict):
        params = [(k, v, "") for k, v in parameters.items()]
    else:
        params = [tuple(p) + ("",) * (3 - len(p)) for p in parameters]
    names = [p[0] for p in params]
    for n in names:
        if not _NAME.match(n):
            raise ValueError(f"parameter name {n!r} must match [a-z][a-z0-9_]*")
    if len(set(names)) != len(names):
        raise ValueError("repeated parameter name")
    if not H:
        raise ValueError("the model needs at least one Hamiltonian term")
    first = _term(next(iter(H.values())))[0]
    if dims is None:
        dims = _dims_of(first) or [_csr(first).shape[0]]
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["description"] = description
        f.attrs["dims"] = np.asarray(dims, dtype=np.int64)
        pg = f.create_group("parameters")
        st = h5py.string_dtype()
        pg.create_dataset("names", data=np.array(names, dtype=object), dtype=st)
        pg.create_dataset("defaults", data=np.array(
            [np.nan if p[1] is None else float(p[1]) for p in params], dtype=np.float64))
        pg.create_dataset("descriptions", data=np.array([p[2] for p in params], dtype=object),
                          dtype=st)
        for group, terms in (("hamiltonian", H), ("collapse", c_ops)):
            grp = f.create_group(group)
            for name, value in terms.items():
                op, param, factor = _term(value)
                if param is not None and param not in names:
                    raise ValueError(f"{group} term {name!r} names unknown parameter {param!r}")
                g, _ = _write_op(grp, name, op)
                g.attrs["parameter"] = "" if param is None else param
                g.attrs["factor"] = np.float64(factor)
        og = f.create_group("observables")
        for name, value in observables.items():
            if name in names or name == "failed":
                raise ValueError(f"observable {name!r} is named like a parameter or the "
                                 "failure flags ('failed'); rename it")
            op, desc = value if isinstance(value, tuple) else (value, name)
            g, _ = _write_op(og, name, op)
            g.attrs["description"] = desc
        if parity is not None:
            f.create_group("symmetry").create_dataset(
                "parity", data=np.asarray(parity, dtype=np.int8))
        if initial is not None:
            v = _ket(initial, int(np.prod(dims)))
            g = f.create_group("initial_state")
            g.create_dataset("data_re", data=v.real.astype(np.float64))
            g.create_dataset("data_im", data=v.imag.astype(np.float64))


def load_model(path):
    """The model file as a dict: description, dims, parameters [(name, default,
    description)], H / c_ops {name: (csr, parameter or None, factor)}, observables
    {name: csr}, parity (array or None), initial (complex vector or None)."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT or int(f.attrs.get("format_version", -1)) != 1:
            raise ValueError(f"{path}: not a qk model file of format version 1")
        pg = f["parameters"]
        names = [s.decode() if isinstance(s, bytes) else s for s in pg["names"][()]]
        descs = [s.decode() if isinstance(s, bytes) else s for s in pg["descriptions"][()]]
        defaults = pg["defaults"][()]
        out = {
            "description": f.attrs["description"],
            "dims": [int(x) for x in f.attrs["dims"]],
            "parameters": [(n, None if np.isnan(d) else float(d), s)
                           for n, d, s in zip(names, defaults, descs)],
            "parity": f["symmetry/parity"][()] if "symmetry/parity" in f else None,
            "initial": (f["initial_state/data_re"][()] + 1j * f["initial_state/data_im"][()]
                        if "initial_state" in f else None),
        }
        for group, key in (("hamiltonian", "H"), ("collapse", "c_ops")):
            out[key] = {}
            for name, g in f[group].items():
                p = g.attrs["parameter"]
                out[key][name] = (_read_op(g), p if p else None, float(g.attrs["factor"]))
        out["observables"] = {name: _read_op(g) for name, g in f["observables"].items()}
    return out


def model_at(model, values):
    """(H, [C_k]) as scipy CSR at the parameter values {name: value} (defaults
    filled in): H = sum f theta H_p, C_k = sqrt(f theta) A_k."""
    vals = {n: d for n, d, _ in model["parameters"]}
    vals.update(values)

    def coef(param, factor):
        return factor * (1.0 if param is None else vals[param])

    h = sum(coef(p, f) * m for m, p, f in model["H"].values())
    c = [np.sqrt(coef(p, f)) * m for m, p, f in model["c_ops"].values()]
    return sp.csr_matrix(h), c


def load_result(path):
    """A `qk steady` (or any `qk`) result as an xarray Dataset: the /results group
    (every observable over its grid axes, which are coordinates), `failed` from
    /status, and the root attributes (model_description, model_sha256, the command
    line, ...) as attrs. Needs xarray and h5netcdf (scripts/setup.sh)."""
    import xarray as xr

    with xr.open_dataset(path, group="results", engine="h5netcdf") as r:
        ds = r.load()
    with xr.open_dataset(path, group="status", engine="h5netcdf") as s:
        ds["failed"] = s["failed"].load().astype(bool)
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            ds.attrs[k] = v.decode() if isinstance(v, bytes) else v
    return ds


def _selftest():
    import os
    import tempfile

    import qutip as qt

    a = qt.destroy(6)
    sz = qt.sigmaz()
    # a Qobj with dense storage (Qobj(ndarray)) is written like a sparse one
    dense = qt.Qobj(np.diag([1.0, -1.0]))
    d0 = tempfile.mkdtemp()
    save_model(os.path.join(d0, "dense.h5"), H={"z": (dense, "delta")},
               c_ops={"x": qt.Qobj(np.array([[0.0, 1.0], [0.0, 0.0]]))},
               observables={"z": dense}, parameters={"delta": 1.0})
    md = load_model(os.path.join(d0, "dense.h5"))
    assert abs(md["H"]["z"][0].toarray() - np.diag([1.0, -1.0])).max() == 0
    assert md["c_ops"]["x"][0].nnz == 1
    d = tempfile.mkdtemp()
    p = os.path.join(d, "m.h5")
    save_model(p,
               H={"n": (a.dag() * a, "delta"), "x": (a + a.dag(), "f", 0.5), "c": 0.1 * a.dag() * a},
               c_ops={"loss": (a, "kappa"), "heat": (a.dag(), None, 0.01)},
               observables={"n": a.dag() * a, "a": (a, "field")},
               parameters=[("delta", None, "detuning"), ("f", 1.0), ("kappa", 0.5)],
               parity=None, description="selftest",
               initial=2 * (qt.basis(6, 1) + 1j * qt.basis(6, 2)))
    m = load_model(p)
    ref_init = np.zeros(6, dtype=complex)
    ref_init[1], ref_init[2] = 1 / np.sqrt(2), 1j / np.sqrt(2)
    assert abs(m["initial"] - ref_init).max() < 1e-15
    assert [x[0] for x in m["parameters"]] == ["delta", "f", "kappa"]
    assert m["parameters"][0][1] is None and m["parameters"][1][1] == 1.0
    assert m["dims"] == [6]
    h, c = model_at(m, {"delta": 0.3})
    ref = 0.3 * a.dag() * a + 0.5 * (a + a.dag()) + 0.1 * a.dag() * a
    assert abs(h.toarray() - ref.full()).max() < 1e-15
    # groups come back in name order: heat, loss
    assert abs(c[0].toarray() - 0.1 * a.dag().full()).max() < 1e-15
    assert abs(c[1].toarray() - np.sqrt(0.5) * a.full()).max() < 1e-15
    rho = qt.steadystate(qt.Qobj(h.toarray()), [qt.Qobj(x.toarray()) for x in c])
    assert abs(rho.tr() - 1) < 1e-12
    try:
        save_model(p, H={"bad": (sz, "Omega")}, parameters={"Omega": 1.0})
    except ValueError as e:
        assert "Omega" in str(e)
    else:
        raise AssertionError("an upper-case parameter name was accepted")
    for bad in (np.zeros(6), np.ones(5)):
        try:
            save_model(p, H={"n": a.dag() * a}, initial=bad)
        except ValueError as e:
            assert "initial state" in str(e)
        else:
            raise AssertionError(f"the initial state {bad} was accepted")
    save_model(p, H={"n": a.dag() * a})
    assert load_model(p)["initial"] is None
    print("qk_model selftest: ok")


if __name__ == "__main__":
    if "--selftest" in sys.argv:
        _selftest()
    else:
        print(__doc__)
