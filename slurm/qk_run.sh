# Sourced by the sbatch templates in this directory: qk_run ARGS... runs "$QK" ARGS on the
# job's ranks, forwards the time-limit warning to it, and requeues the job when qk was
# interrupted before finishing.
#
# The templates ask Slurm for `--signal=B:USR1@SECONDS`: SECONDS before the time limit
# the batch shell gets SIGUSR1, forwarded here to the launcher (srun and mpirun pass
# SIGUSR1 on to every rank); qk stops handing out points, writes what finished, prints
# "interrupted: k/N points done" and exits 3; then `scontrol requeue` puts the job back
# in the queue, and since the templates always pass --resume, the next run completes
# the file. QK_REQUEUE=0 turns the requeue off (the job then ends with status 3).
# Slurm may send the signal up to a minute earlier than asked.

qk_launcher() {
  if srun --mpi=list 2>/dev/null | grep -q pmix; then
    launch=(srun --mpi=pmix)
  else
    launch=(mpirun -n "${SLURM_NTASKS:-1}" --oversubscribe --bind-to none)
  fi
}

qk_run() {
  local launch pid rc=0
  qk_launcher
  echo "qk_run: ${launch[*]} $QK $* (restart ${SLURM_RESTART_COUNT:-0})"
  "${launch[@]}" "$QK" "$@" &
  pid=$!
  trap 'echo "qk_run: time limit near, telling qk to stop"; kill -USR1 "$pid" 2>/dev/null || true' USR1 TERM
  wait "$pid" || rc=$?
  # a trapped signal interrupts `wait`: wait again for qk's own exit status
  while kill -0 "$pid" 2>/dev/null; do
    rc=0
    wait "$pid" || rc=$?
  done
  trap - USR1 TERM
  if [[ $rc == 3 && -n ${SLURM_JOB_ID:-} && ${QK_REQUEUE:-1} != 0 ]]; then
    echo "qk_run: interrupted; requeueing job $SLURM_JOB_ID (it resumes the file)"
    scontrol requeue "$SLURM_JOB_ID"
    exit 0
  fi
  return "$rc"
}

# Where qk lives: QK, or target/release/qk under QK_HOME (default: the submit directory).
QK_HOME=${QK_HOME:-${SLURM_SUBMIT_DIR:-.}}
QK=${QK:-$QK_HOME/target/release/qk}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
# progress lines in the job log
export QK_PROGRESS_INTERVAL=${QK_PROGRESS_INTERVAL:-60}
