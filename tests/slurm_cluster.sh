#!/usr/bin/env bash
# A private single-node SLURM cluster for the tests, from Debian's slurm-wlm and munge, run as root without
# systemd: its own munge key and socket, its own ports and spool, in one folder.
#   source tests/slurm_cluster.sh; slurm_start DIR; ...; slurm_stop DIR
# slurm_start exports SLURM_CONF, so sbatch, squeue and friends talk to this cluster.

slurm_start() {
  local dir=$1 port host node
  mkdir -p "$dir"/{state,spool,log}
  mungekey --create --keyfile="$dir/munge.key" --force >/dev/null 2>&1 || return 1
  munged --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed" || return 1
  port=$((20000 + RANDOM % 20000))
  node=$(slurmd -C | head -n 1)
  host=${node#NodeName=}
  host=${host%% *}
  cat >"$dir/slurm.conf" <<CONF
ClusterName=lrftest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=5
$node State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i -f "$SLURM_CONF" || return 1
  slurmd -f "$SLURM_CONF" || return 1
  for _ in $(seq 150); do
    [ "$(sinfo -h -o %t 2>/dev/null)" = "idle" ] && return 0
    sleep 0.2
  done
  echo "slurm_cluster: the node did not come up; logs in $dir/log" >&2
  return 1
}

slurm_stop() {
  local dir=$1 f
  for f in slurmd slurmctld munged; do
    [ -f "$dir/$f.pid" ] && kill "$(cat "$dir/$f.pid")" 2>/dev/null
  done
  return 0
}
