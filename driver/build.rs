//! Records the git commit the binary was built from (root attribute `git_commit`).
use std::process::Command;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=QK_GIT_COMMIT={commit}");
    link_hdf5_hl();
    for p in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}

/// The HDF5 high-level library (dimension scales, `output/scales.rs`): Debian names the
/// serial build `hdf5_serial_hl`, other systems `hdf5_hl`; `HDF5_DIR/lib` is searched first.
fn link_hdf5_hl() {
    println!("cargo:rerun-if-env-changed=HDF5_DIR");
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    if let Ok(d) = std::env::var("HDF5_DIR") {
        dirs.push(std::path::Path::new(&d).join("lib"));
    }
    for d in [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
    ] {
        dirs.push(d.into());
    }
    for name in ["hdf5_serial_hl", "hdf5_hl"] {
        if let Some(d) = dirs
            .iter()
            .find(|d| d.join(format!("lib{name}.so")).exists())
        {
            println!("cargo:rustc-link-search=native={}", d.display());
            println!("cargo:rustc-link-lib={name}");
            return;
        }
    }
    println!("cargo:rustc-link-lib=hdf5_hl");
}
