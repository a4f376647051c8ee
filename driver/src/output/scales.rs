//! HDF5 dimension scales (the netCDF-4 convention), so that netCDF readers see named
//! dimensions with coordinates: `xarray.open_dataset(FILE, group="results",
//! engine="h5netcdf")` gives every observable its grid and extra axes as dims.
//!
//! Each axis dataset `/grid/<axis>` is made a dimension scale named `<axis>`
//! (`H5DSset_scale`) and hard-linked as `/results/<axis>` and `/status/<axis>` (netCDF
//! looks dimensions up in the variable's group and its parents); every dataset of
//! `/results` and `/status` has each of its dimensions attached to its axis
//! (`H5DSattach_scale`). The functions come from the HDF5 high-level library
//! (`libhdf5_hl`, linked by `driver/build.rs`), which `hdf5-sys` does not bind.

use hdf5::{Dataset, Group};
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_uint};

// hid_t is int64_t and herr_t int since HDF5 1.10 (the versions hdf5-sys supports).
extern "C" {
    fn H5DSset_scale(dsid: i64, dimname: *const c_char) -> c_int;
    fn H5DSattach_scale(did: i64, dsid: i64, idx: c_uint) -> c_int;
}

fn check(rc: c_int, what: &str) -> hdf5::Result<()> {
    if rc < 0 {
        Err(hdf5::Error::from(format!("{what} failed")))
    } else {
        Ok(())
    }
}

/// Make `ds` the dimension scale named `name`.
pub fn set_scale(ds: &Dataset, name: &str) -> hdf5::Result<()> {
    let c = CString::new(name).map_err(|_| hdf5::Error::from("NUL in an axis name"))?;
    // SAFETY: valid dataset id and NUL-terminated name; serialised by the hdf5 crate's lock.
    let rc = hdf5::sync::sync(|| unsafe { H5DSset_scale(ds.id(), c.as_ptr()) });
    check(rc, "H5DSset_scale")
}

/// Attach the scale `scale` to dimension `dim` of `ds`.
pub fn attach(ds: &Dataset, scale: &Dataset, dim: usize) -> hdf5::Result<()> {
    // SAFETY: valid dataset ids; serialised by the hdf5 crate's lock.
    let rc = hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), scale.id(), dim as c_uint) });
    check(rc, "H5DSattach_scale")
}

/// Link the scales `axes` into `group` (under their own names) where the name is free.
pub fn link_into(group: &Group, axes: &[(String, Dataset)]) -> hdf5::Result<()> {
    for (name, ds) in axes {
        if !group.link_exists(name) {
            group.link_hard(&ds.name(), name)?;
        }
    }
    Ok(())
}

/// Attach each dimension of `ds` to the scale named in `dims` (one name per dimension).
pub fn attach_all(ds: &Dataset, dims: &[String], axes: &[(String, Dataset)]) -> hdf5::Result<()> {
    for (k, d) in dims.iter().enumerate() {
        if let Some((_, scale)) = axes.iter().find(|(n, _)| n == d) {
            attach(ds, scale, k)?;
        }
    }
    Ok(())
}
