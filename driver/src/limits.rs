//! Up-front limits: what the node's memory can hold, refused before anything is
//! allocated or written (exit status 2, naming the flag and the estimate).
//!
//! The memory a process may use is the node's `MemTotal`, lowered by the cgroup limits
//! of this process (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`, of its cgroup
//! and every ancestor: where Slurm confines a job with cgroups, that is its allocation)
//! and by `SLURM_MEM_PER_NODE` where Slurm says it without cgroups. A model's estimate
//! is per rank ([`crate::model::Model::memory_per_rank`]); the driver multiplies it by
//! the ranks MPI placed on each node, and adds on rank 0 what the driver itself keeps
//! per grid point ([`DRIVER_BYTES_PER_POINT`]) and the group-commit buffer.

use crate::error::InputError;
use crate::sysinfo::format_bytes;
use std::path::Path;
use std::sync::OnceLock;

/// Bytes rank 0 keeps per grid point: the pending indices, their costs and order (8 bytes
/// each), status flags read on resume, and the axis values.
pub const DRIVER_BYTES_PER_POINT: u64 = 40;

/// The memory limit of this process and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLimit {
    pub bytes: u64,
    /// "this node", "its cgroup", "SLURM_MEM_PER_NODE".
    pub source: &'static str,
}

/// Memory this process may use (see the module docs), read once.
pub fn memory_limit() -> Option<MemoryLimit> {
    static LIMIT: OnceLock<Option<MemoryLimit>> = OnceLock::new();
    LIMIT.get_or_init(read_memory_limit).clone()
}

fn read_memory_limit() -> Option<MemoryLimit> {
    let mut best = crate::sysinfo::total_memory_bytes().map(|bytes| MemoryLimit {
        bytes,
        source: "this node",
    });
    let mut lower = |bytes: u64, source: &'static str| {
        if best.as_ref().is_none_or(|b| bytes < b.bytes) {
            best = Some(MemoryLimit { bytes, source });
        }
    };
    if let Some(b) = cgroup_memory_limit() {
        lower(b, "its cgroup");
    }
    if let Some(mb) = std::env::var("SLURM_MEM_PER_NODE")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&mb| mb > 0)
    {
        lower(mb.saturating_mul(1 << 20), "SLURM_MEM_PER_NODE");
    }
    best
}

/// The smallest memory limit of this process's cgroup and its ancestors (v1 or v2).
fn cgroup_memory_limit() -> Option<u64> {
    let table = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut limits = Vec::new();
    for line in table.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let (mount, file) = if controllers.is_empty() {
            ("/sys/fs/cgroup", "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
        } else {
            continue;
        };
        // the cgroup and every ancestor up to the mount's root (a container may see
        // its own cgroup as the root)
        let mut dir = Path::new(mount).join(path.trim_start_matches('/'));
        loop {
            if let Some(v) = std::fs::read_to_string(dir.join(file))
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
            {
                // "max" (v2) fails to parse; v1 writes a huge page-aligned number for none
                if v < (1 << 62) {
                    limits.push(v);
                }
            }
            if dir == Path::new(mount) || !dir.pop() {
                break;
            }
        }
    }
    limits.into_iter().min()
}

/// Refuse a range of `count` values whose grid could not fit: the driver alone keeps
/// [`DRIVER_BYTES_PER_POINT`] per grid point on rank 0 (checked before the values are
/// allocated, so a typo such as `0:1:1000000000` stops at once).
pub fn check_axis_length(count: u64) -> Result<(), String> {
    let Some(limit) = memory_limit() else {
        return Ok(());
    };
    let need = count.saturating_mul(DRIVER_BYTES_PER_POINT + 8);
    if need > limit.bytes {
        return Err(format!(
            "a range of {count} values makes a grid whose bookkeeping alone needs {} of memory on rank 0, \
             more than the {} {} allows; choose fewer values or split the sweep",
            format_bytes(need),
            format_bytes(limit.bytes),
            limit.source
        ));
    }
    Ok(())
}

/// Refuse a model whose record for one point (`bytes`) could not be held in memory, before
/// the model materializes anything of that size (e.g. a time axis of 10¹¹ kicks).
pub fn check_record_bytes(flag: &str, what: &str, bytes: u64) -> Result<(), InputError> {
    match memory_limit() {
        Some(limit) if bytes > limit.bytes => Err(InputError::new(
            flag,
            format!(
                "{what} make a record of {} per grid point, more than the {} {} allows",
                format_bytes(bytes),
                format_bytes(limit.bytes),
                limit.source
            ),
        )),
        _ => Ok(()),
    }
}

/// Memory needed on one node and what that node allows.
#[derive(Clone, Debug)]
pub struct NodeMemory {
    pub host: String,
    pub ranks: usize,
    /// Sum over the node's ranks of each rank's estimate.
    pub need: u64,
    pub limit: Option<MemoryLimit>,
}

impl NodeMemory {
    /// Whether the node's ranks fit; the refusal says why otherwise.
    pub fn exceeded(&self) -> bool {
        self.limit.as_ref().is_some_and(|l| self.need > l.bytes)
    }

    /// The refusal line (without the flag): what needs how much, against what limit.
    pub fn describe(&self, what: &str) -> String {
        let limit = self
            .limit
            .as_ref()
            .expect("only exceeded limits are described");
        format!(
            "{what} needs an estimated {} on {} ({} rank{} there) but {} allows {}; \
             choose a smaller size or fewer ranks per node",
            format_bytes(self.need),
            if self.host.is_empty() {
                "this node"
            } else {
                &self.host
            },
            self.ranks,
            if self.ranks == 1 { "" } else { "s" },
            limit.source,
            format_bytes(limit.bytes),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_at_most_the_node() {
        let l = memory_limit().expect("Linux has /proc/meminfo");
        let total = crate::sysinfo::total_memory_bytes().unwrap();
        assert!(l.bytes <= total && l.bytes > 0);
    }

    #[test]
    fn axis_lengths() {
        assert!(check_axis_length(1_000_000).is_ok());
        let e = check_axis_length(u64::MAX / 4).unwrap_err();
        assert!(e.contains("memory") && e.contains("rank 0"), "{e}");
    }

    #[test]
    fn node_memory_refusal_counts_the_ranks() {
        let n = NodeMemory {
            host: "node7".into(),
            ranks: 4,
            need: 4 << 30,
            limit: Some(MemoryLimit {
                bytes: 2 << 30,
                source: "its cgroup",
            }),
        };
        assert!(n.exceeded());
        let s = n.describe("N = 2000");
        assert!(
            s.contains("4 ranks") && s.contains("node7") && s.contains("cgroup"),
            "{s}"
        );
    }
}
