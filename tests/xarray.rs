//! xarray opens a qk output as labelled arrays: `xarray.open_dataset(FILE,
//! group="results", engine="h5netcdf")` gives every observable its grid axes and extra
//! axes as named dimensions with coordinates (HDF5 dimension scales), and the same for
//! `/status`. Needs the venv (scripts/setup.sh installs xarray and h5netcdf): fails without it.

mod common;
use common::*;
use std::process::Command;

const CHECK: &str = r#"
import sys, numpy as np, xarray as xr
path = sys.argv[1]
r = xr.open_dataset(path, group="results", engine="h5netcdf")
assert r["value"].dims == ("x", "y"), r["value"].dims
assert r["series"].dims == ("x", "y", "k"), r["series"].dims
assert list(r["x"].values) == [0.0, 1.0, 2.0], r["x"].values
assert list(r["y"].values) == [0.5, 1.0], r["y"].values
assert list(r["k"].values) == [0, 1, 2, 3], r["k"].values
# selection by coordinate value
assert float(r["value"].sel(x=1.0, y=0.5)) == 1.5
assert float(r["series"].sel(x=1.0, y=1.0, k=3)) == 3.0
# x = 2 failed (--fail-above 1.5): NaN, never a number
assert np.isnan(float(r["value"].sel(x=2.0, y=0.5)))
assert r["value"].attrs["units"] == "1"
s = xr.open_dataset(path, group="status", engine="h5netcdf")
assert s["done"].dims == ("x", "y") and int(s["done"].sum()) == 6
failed = s["failed"].sel(x=2.0)
assert list(failed.values) == [1, 1], failed.values
print("xarray ok", dict(r.sizes))
"#;

#[test]
fn xarray_opens_results_with_named_dimensions_and_coordinates() {
    let dir = scratch("xarray");
    let f = dir.join("p.h5");
    run_ok(qk_cmd(&[
        "probe",
        "--x",
        "0,1,2",
        "--y",
        "0.5,1",
        "--len",
        "4",
        "--fail-above",
        "1.5",
        "-o",
        f.to_str().unwrap(),
        "-q",
    ]));
    let mut c = Command::new(python());
    c.args(["-c", CHECK]).arg(&f);
    let out = run_ok(c);
    assert!(String::from_utf8_lossy(&out.stdout).contains("xarray ok"));
}
