//! Facts about the node and the launcher, read before MPI is initialised.

/// Total physical memory of this node in bytes (`MemTotal` of /proc/meminfo).
pub fn total_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// This process's rank as the launcher announced it (mpirun, srun, PMI), if any.
pub fn launcher_rank() -> Option<u32> {
    [
        "OMPI_COMM_WORLD_RANK",
        "PMIX_RANK",
        "PMI_RANK",
        "SLURM_PROCID",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse().ok()))
}

/// Started without a launcher (a singleton), OpenMPI's PMIx server tries
/// munge authentication first; where munge is installed (Slurm pulls it in)
/// but its daemon is not running, every start-up then stalls about 2 s in
/// retries. A singleton is a single-node run, so leave munge out unless the
/// user chose `PMIX_MCA_psec` (launched runs inherit the launcher's choice).
pub fn skip_munge_for_singleton() {
    if launcher_rank().is_none() && std::env::var_os("PMIX_MCA_psec").is_none() {
        // Called first thing in `main`, before any other thread exists.
        std::env::set_var("PMIX_MCA_psec", "^munge");
    }
}

/// Ranks the launcher placed on this node, if it says.
pub fn launcher_local_size() -> Option<u32> {
    [
        "OMPI_COMM_WORLD_LOCAL_SIZE",
        "MPI_LOCALNRANKS",
        "SLURM_NTASKS_PER_NODE",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse().ok()))
}

/// Threads for one rank: this node's cores (the CPU set this process may
/// use) shared evenly among the ranks the launcher placed on the node.
pub fn auto_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ranks = launcher_local_size().unwrap_or(1).max(1) as usize;
    (cores / ranks).max(1)
}

/// Human-readable bytes.
pub fn format_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0_f64.powi(3) {
        format!("{:.1} GiB", b / 1024.0_f64.powi(3))
    } else if b >= 1024.0_f64.powi(2) {
        format!("{:.1} MiB", b / 1024.0_f64.powi(2))
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}
