//! Shared helpers of the end-to-end tests: run `qk` alone or under mpirun, read its HDF5 output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn qk() -> &'static str {
    env!("CARGO_BIN_EXE_qk")
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qk-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A session-directory base of its own for one MPI start-up.
///
/// Open MPI singletons on one host share `$TMPDIR/ompi.<host>.<uid>/jf.0`; when one of the
/// tests' concurrent processes finalizes (or is killed) while another creates its session
/// directory there, the second one's `mkdir` fails and `MPI_Init` aborts. A private base per
/// command removes the shared directory, and with it the race, from the tests.
fn private_mpi_tmpdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // short: PMIx puts Unix sockets under it (108-byte path limit)
    let dir = PathBuf::from(format!("/tmp/qk-ompi-{}/{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Children get no file of the test process beyond stdio.
///
/// HDF5 opens files without `O_CLOEXEC`. The tests of one binary run as threads of one
/// process, so a child spawned by one test while another test has an HDF5 file open
/// inherits that file's descriptor and, with it, HDF5's `flock` on the file: the other
/// test's next `qk --resume` then finds the file locked ("unable to lock file, errno = 11")
/// until the unrelated child exits. Marking every descriptor above stdio close-on-exec in
/// the child (after fork, before exec) removes that cross-test coupling.
pub fn no_inherited_files(c: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: the closure runs between fork and exec and only makes the async-signal-safe
    // system calls close_range and fcntl.
    unsafe {
        c.pre_exec(|| {
            let all = libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC);
            if all != 0 {
                // kernels before 5.11: one descriptor at a time
                for fd in 3..65536 {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            Ok(())
        })
    }
}

/// `qk ARGS` as one process (no launcher).
pub fn qk_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(qk());
    no_inherited_files(&mut c);
    c.args(args)
        .env("QK_PROGRESS_INTERVAL", "3600")
        .env("OMPI_MCA_orte_tmpdir_base", private_mpi_tmpdir());
    c
}

/// `mpirun -n ranks qk ARGS`.
pub fn mpirun_cmd(ranks: usize, args: &[&str]) -> Command {
    let mut c = Command::new("mpirun");
    no_inherited_files(&mut c);
    c.args([
        "-n",
        &ranks.to_string(),
        "--oversubscribe",
        "--bind-to",
        "none",
    ])
    .arg(qk())
    .args(args)
    .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
    .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    .env("QK_PROGRESS_INTERVAL", "3600")
    .env("OMPI_MCA_orte_tmpdir_base", private_mpi_tmpdir());
    if std::env::var_os("PMIX_MCA_psec").is_none() {
        // no 2 s munge stall where munge is installed but not running
        c.env("PMIX_MCA_psec", "^munge");
    }
    c
}

pub fn run(mut c: Command) -> Output {
    no_inherited_files(&mut c)
        .stdin(Stdio::null())
        .output()
        .expect("failed to start")
}

/// `args` followed by `-o out`.
pub fn with_output<'a>(args: &[&'a str], out: &'a str) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(["-o", out]);
    v
}

/// Run and require success, echoing stderr on failure.
pub fn run_ok(c: Command) -> Output {
    let out = run(c);
    assert!(
        out.status.success(),
        "command failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Read `/results/<name>` (all values, row-major) from a qk output file.
pub fn read_f64(path: &Path, dataset: &str) -> Vec<f64> {
    let f = hdf5::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.dataset(dataset)
        .unwrap_or_else(|e| panic!("{dataset}: {e}"))
        .read_raw::<f64>()
        .unwrap()
}

pub fn read_u8(path: &Path, dataset: &str) -> Vec<u8> {
    let f = hdf5::File::open(path).unwrap();
    f.dataset(dataset).unwrap().read_raw::<u8>().unwrap()
}

/// A dataset of variable-length strings (e.g. `/status/error`).
pub fn read_strings(path: &Path, dataset: &str) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap();
    f.dataset(dataset)
        .unwrap()
        .read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

/// `/status/error` of a qk output file, one message per point.
pub fn read_errors(path: &Path) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap();
    f.dataset("status/error")
        .unwrap()
        .read_raw::<hdf5::types::FixedAscii<256>>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

pub fn shape(path: &Path, dataset: &str) -> Vec<usize> {
    let f = hdf5::File::open(path).unwrap();
    f.dataset(dataset).unwrap().shape()
}

pub fn python() -> PathBuf {
    let p = workspace_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh first",
        p.display()
    );
    p
}

/// A string attribute of the file's root (an option or setting of the run).
pub fn attr_string(path: &Path, name: &str) -> String {
    let f = hdf5::File::open(path).unwrap();
    let v: hdf5::types::VarLenUnicode = f
        .attr(name)
        .unwrap_or_else(|e| panic!("attribute {name}: {e}"))
        .read_scalar()
        .unwrap();
    v.as_str().to_string()
}

/// `.venv/bin/python ARGS` run from the workspace root.
pub fn py(args: &[&str]) -> Command {
    let mut c = Command::new(python());
    c.current_dir(workspace_root()).args(args);
    c
}

/// Every dataset of `/results`, as little-endian bytes, by name (sorted):
/// two runs agree bit for bit when these are equal.
pub fn results_bytes(path: &Path) -> Vec<(String, Vec<u8>)> {
    let f = hdf5::File::open(path).unwrap();
    let g = f.group("results").unwrap();
    let mut names = g.member_names().unwrap();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v: Vec<f64> = g.dataset(&n).unwrap().read_raw().unwrap();
            (n, v.iter().flat_map(|x| x.to_le_bytes()).collect())
        })
        .collect()
}
