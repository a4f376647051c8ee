//! Safe output files: who may write a path, and how a new file appears at it.
//!
//! - **Lock**: a running job holds an advisory `flock` on the sidecar `.<name>.lock` in
//!   the output's directory (not on the HDF5 file, whose own lock HDF5 takes), with its
//!   pid and host written inside. A second job on the same path (fresh, `--force` or
//!   `--resume`) takes the lock first and, if another live process holds it, refuses with
//!   exit status 2 naming the holder — before touching anything. The lock is released when
//!   the process ends, however it ends; the holder removes the sidecar at a clean exit.
//! - **New files** are laid out under `.<name>.tmp-<pid>` in the same directory, created
//!   exclusively, flushed to disk (`fsync`) and renamed over the path ([`publish`]); the
//!   path therefore holds nothing, the previous file, or a complete resumable file at any
//!   moment the process may die. Temporary files left by a killed job are removed by the
//!   next job that holds the lock.
//! - **Paths that cannot work** are refused up front naming `--output`: a missing or
//!   unwritable directory, a directory, a dangling symbolic link, too little free space.

use crate::error::InputError;
use crate::sysinfo::format_bytes;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

const FLAG: &str = "--output";

/// The directory of `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file the output path stands for: a symbolic link is followed (so two spellings of
/// one file share a lock); a dangling one is refused.
pub fn resolve(path: &Path) -> Result<PathBuf, InputError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|_| {
            let target = std::fs::read_link(path).unwrap_or_default();
            InputError::new(
                FLAG,
                format!(
                    "{} is a symbolic link to {}, which does not exist",
                    path.display(),
                    target.display()
                ),
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// `.<name>.lock` next to `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    parent_dir(path).join(format!(".{}.lock", file_name(path)))
}

/// `.<name>.tmp-<pid>` next to `path`: where a new file is laid out.
pub fn temp_path(path: &Path) -> PathBuf {
    parent_dir(path).join(format!(".{}.tmp-{}", file_name(path), std::process::id()))
}

/// The advisory lock on an output path, held until dropped (or the process ends).
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

impl OutputLock {
    /// Take the lock of `output` (already resolved) without waiting.
    pub fn acquire(output: &Path) -> Result<OutputLock, InputError> {
        let path = lock_path(output);
        let dir = parent_dir(output);
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    InputError::new(
                        FLAG,
                        format!("cannot create files in {}: {e}", dir.display()),
                    )
                })?;
            // SAFETY: flock on a descriptor we own.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc != 0 {
                let err = std::io::Error::last_os_error();
                let unsupported = [libc::ENOLCK, libc::EOPNOTSUPP, libc::ENOSYS];
                if err.raw_os_error().is_some_and(|e| unsupported.contains(&e)) {
                    // some network filesystems: run unprotected rather than not at all
                    eprintln!(
                        "qk: warning: --output: {} cannot be locked ({err}); nothing stops a second job on {}",
                        path.display(),
                        output.display()
                    );
                    return Ok(OutputLock { file, path });
                }
                if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                    return Err(InputError::new(
                        FLAG,
                        format!("cannot lock {}: {err}", path.display()),
                    ));
                }
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(InputError::new(
                    FLAG,
                    format!(
                        "{} is in use by another running job ({}); wait for it to end or choose another file",
                        output.display(),
                        if holder.is_empty() { "holder unknown" } else { holder }
                    ),
                ));
            }
            // The holder we waited for may have removed the sidecar before we locked
            // it: then our lock is on an orphan, and we start again.
            let same = match (file.metadata(), std::fs::metadata(&path)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
            let note = format!("pid {} on host {}\n", std::process::id(), host_name());
            let _ = file.set_len(0);
            let _ = file.rewind();
            let _ = file.write_all(note.as_bytes());
            return Ok(OutputLock { file, path });
        }
        Err(InputError::new(
            FLAG,
            format!("could not lock {} (it keeps changing)", path.display()),
        ))
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked: a waiter that locked the old file sees it is gone.
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
}

/// Remove the temporary files a killed job left for `output` (call holding its lock).
pub fn remove_stale_temps(output: &Path) {
    let prefix = format!(".{}.tmp-", file_name(output));
    if let Ok(entries) = std::fs::read_dir(parent_dir(output)) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Free bytes for an unprivileged writer on the filesystem holding `dir`.
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; the path is NUL-terminated.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(c.as_ptr(), &mut s) == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
    }
}

/// Refuse a new file of about `bytes` where the filesystem has less free space.
pub fn check_space(output: &Path, bytes: u64) -> Result<(), InputError> {
    let dir = parent_dir(output);
    match free_space(&dir) {
        Some(free) if free < bytes => Err(InputError::new(
            FLAG,
            format!(
                "{} needs about {} but {} has {} free",
                output.display(),
                format_bytes(bytes),
                dir.display(),
                format_bytes(free)
            ),
        )),
        _ => Ok(()),
    }
}

/// Make the laid-out `temp` durable and move it to `output` in one step: fsync the file,
/// rename it, fsync the directory.
pub fn publish(temp: &Path, output: &Path) -> std::io::Result<()> {
    File::open(temp)?.sync_all()?;
    std::fs::rename(temp, output)?;
    File::open(parent_dir(output))?.sync_all()
}

/// Check the output path before anything is written: exists → needs `--resume` or
/// `--force`; the directory must exist and must not be the path. Returns whether the
/// path exists.
pub fn check_output_path(path: &Path, resume: bool, force: bool) -> Result<bool, InputError> {
    let parent = parent_dir(path);
    if !parent.is_dir() {
        return Err(InputError::new(
            FLAG,
            format!("directory {} does not exist", parent.display()),
        ));
    }
    if path.is_dir() {
        return Err(InputError::new(
            FLAG,
            format!("{} is a directory", path.display()),
        ));
    }
    let exists = path.exists();
    if exists && !resume && !force {
        return Err(InputError::new(
            FLAG,
            format!(
                "{} exists; pass --resume to complete it or --force to overwrite it",
                path.display()
            ),
        ));
    }
    Ok(exists)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qk-fs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn output_path_checks() {
        let d = dir("paths");
        let f = d.join("a.h5");
        assert!(!check_output_path(&f, false, false).unwrap());
        std::fs::write(&f, b"x").unwrap();
        assert!(check_output_path(&f, false, false)
            .unwrap_err()
            .to_string()
            .contains("--resume"));
        assert!(check_output_path(&f, true, false).unwrap());
        assert!(check_output_path(&f, false, true).unwrap());
        assert!(check_output_path(&d.join("missing/a.h5"), false, false).is_err());
        let link = d.join("dangling.h5");
        std::os::unix::fs::symlink(d.join("nowhere.h5"), &link).unwrap();
        let e = resolve(&link).unwrap_err().to_string();
        assert!(
            e.starts_with("--output:") && e.contains("does not exist"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_lock_is_exclusive_and_names_its_holder() {
        let d = dir("lock");
        let f = d.join("a.h5");
        let lock = OutputLock::acquire(&f).unwrap();
        // flock locks belong to the open file description: a second open in this
        // process conflicts like another process would
        let e = OutputLock::acquire(&f).unwrap_err().to_string();
        assert!(
            e.contains("in use") && e.contains(&format!("pid {}", std::process::id())),
            "{e}"
        );
        drop(lock);
        assert!(!lock_path(&f).exists(), "the sidecar stays after release");
        let again = OutputLock::acquire(&f).unwrap();
        drop(again);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn publish_replaces_atomically_and_stale_temps_go() {
        let d = dir("publish");
        let f = d.join("a.h5");
        std::fs::write(&f, b"old").unwrap();
        let t = temp_path(&f);
        std::fs::write(&t, b"new").unwrap();
        publish(&t, &f).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert!(!t.exists());
        std::fs::write(d.join(".a.h5.tmp-1"), b"junk").unwrap();
        remove_stale_temps(&f);
        assert!(!d.join(".a.h5.tmp-1").exists());
        assert!(f.exists());
        assert!(check_space(&f, u64::MAX / 2).is_err());
        assert!(check_space(&f, 1).is_ok());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
