#!/usr/bin/env bash
# Start (or reuse) a one-node Slurm cluster on this machine, for testing the
# sbatch templates in slurm/ against a real scheduler. Needs root and the
# Debian packages slurm-wlm and munge (scripts/setup.sh installs them).
# Prints the path of the slurm.conf to export as SLURM_CONF.
#
#   export SLURM_CONF=$(scripts/slurm_local.sh)
#   sbatch slurm/lmg_sweep.sbatch
set -euo pipefail
dir=${QK_SLURM_DIR:-/tmp/qk-slurm}
conf=$dir/slurm.conf
export SLURM_CONF=$conf
say() { echo "slurm_local: $*" >&2; }
command -v slurmctld >/dev/null || { say "slurm-wlm is not installed (apt-get install slurm-wlm munge)"; exit 1; }

# one start-up at a time: concurrent callers (tests run in parallel) would otherwise each restart
# the daemons with a clean state and lose the others' jobs; the daemons do not inherit the lock
mkdir -p "$dir"
exec 9>"$dir/start.lock"
flock -w 300 9 || { say "another start-up holds $dir/start.lock"; exit 1; }

if [[ -f $conf ]] && scontrol ping 2>/dev/null | grep -q UP && sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
  echo "$conf"; exit 0
fi

mkdir -p "$dir"/{state,spool,log}
host=$(hostname -s)
mem_mb=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > "$conf" <<CONF
ClusterName=qklocal
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

# munge: a key and a running daemon
if ! pgrep -x munged >/dev/null; then
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  [[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  munged --force 9>&- 2>/dev/null || munged 9>&-
fi
pkill -x slurmctld 2>/dev/null || true
pkill -x slurmd 2>/dev/null || true
sleep 0.5
slurmctld -c 9>&-
slurmd 9>&-
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then echo "$conf"; exit 0; fi
  sleep 0.5
done
say "the local cluster did not come up; see $dir/log"
exit 1
