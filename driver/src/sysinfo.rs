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

/// Sets MPI start-up options where they cost time and buy nothing, leaving
/// any the user set alone. Called first thing in `main`, before any other
/// thread exists and before MPI is initialised.
///
/// - A singleton (started without a launcher) is one process on one node:
///   PMIx skips munge authentication (`PMIX_MCA_psec=^munge`; where munge is
///   installed for Slurm but its daemon is not running, every start-up
///   stalls about 2 s in retries), OpenMPI starts no supporting daemon
///   (`OMPI_MCA_ess_singleton_isolated=1`: `qk` never spawns processes), and
///   the shared-memory point-to-point layer is used (`OMPI_MCA_pml=ob1`).
/// - An OpenMPI launch whose ranks all sit on one node uses `ob1` too.
///
/// Without `ob1`, OpenMPI probes its network transports (PSM, PSM2, OFI)
/// at `MPI_Init`, and the PSM libraries calibrate a timer by sleeping: about
/// 0.3 s of every singleton start-up (0.34 s → 0.03 s measured for a
/// one-point `qk lmg`) and 0.2 s of every one-node `mpirun`. Multi-node
/// launches keep OpenMPI's own choice of transport.
pub fn tune_mpi_start_up() {
    let set_default = |key: &str, value: &str| {
        if std::env::var_os(key).is_none() {
            std::env::set_var(key, value);
        }
    };
    if launcher_rank().is_none() {
        set_default("PMIX_MCA_psec", "^munge");
        set_default("OMPI_MCA_ess_singleton_isolated", "1");
        set_default("OMPI_MCA_pml", "ob1");
    } else if openmpi_launch_on_one_node() {
        set_default("OMPI_MCA_pml", "ob1");
    }
}

/// Launched by OpenMPI with every rank on this node.
fn openmpi_launch_on_one_node() -> bool {
    let var = |v: &str| std::env::var(v).ok().and_then(|s| s.parse::<u32>().ok());
    matches!(
        (var("OMPI_COMM_WORLD_SIZE"), var("OMPI_COMM_WORLD_LOCAL_SIZE")),
        (Some(world), Some(local)) if world == local
    )
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
    if b >= 1024.0_f64.powi(4) {
        format!("{:.1} TiB", b / 1024.0_f64.powi(4))
    } else if b >= 1024.0_f64.powi(3) {
        format!("{:.1} GiB", b / 1024.0_f64.powi(3))
    } else if b >= 1024.0_f64.powi(2) {
        format!("{:.1} MiB", b / 1024.0_f64.powi(2))
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

/// Whether this process speaks for the run about bad input: the first rank of a
/// launch, or a process started without a launcher (every rank validates the same way).
pub fn speaks() -> bool {
    launcher_rank().unwrap_or(0) == 0
}

/// A thread count option: `auto` (this node's cores shared among the ranks placed on
/// it, see [`auto_threads`]) or a number ≥ 1. Parsed by clap (`threads: Threads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    Auto,
    Count(usize),
}

impl Threads {
    /// The number of threads this resolves to on this node.
    pub fn resolve(self) -> usize {
        match self {
            Threads::Auto => auto_threads(),
            Threads::Count(t) => t,
        }
    }
}

impl std::str::FromStr for Threads {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Threads::Auto),
            t => match t.parse::<usize>() {
                Ok(t) if t >= 1 => Ok(Threads::Count(t)),
                _ => Err(format!(
                    "'{t}' is not a thread count: use a whole number ≥ 1 or auto"
                )),
            },
        }
    }
}

impl std::fmt::Display for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threads::Auto => write!(f, "auto"),
            Threads::Count(t) => write!(f, "{t}"),
        }
    }
}
