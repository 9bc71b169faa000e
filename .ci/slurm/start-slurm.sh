#!/usr/bin/env bash
# Install (Debian packages) and start a one-node SLURM cluster on loopback: munge, slurmctld, slurmd.
# Idempotent: a second call finds the running cluster and only waits for it to be ready.
# Used by tests/test_slurm.py and .ci/run; stop it again with .ci/slurm/stop-slurm.sh.
#
# Must run as root (it installs packages, writes /etc/slurm and starts daemons). slurm.conf goes to
# its default path on purpose: job steps started by slurmstepd do not inherit a non-default
# SLURM_CONF and then fail with "Could not establish a configuration source".
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK="# written by adago .ci/slurm/start-slurm.sh"
LOGDIR=/var/log/slurm
READY_TIMEOUT=${SLURM_READY_TIMEOUT:-60}

die() { echo "start-slurm: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, writes $CONF, starts daemons)"

# ---------------------------------------------------------------------------------------- install
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
        || ! command -v sbatch >/dev/null; then
    echo "start-slurm: installing slurmctld slurmd slurm-client munge (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # No recommends: the slurm-wlm metapackage would pull in every optional plugin (hdf5, influxdb, ...).
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# ------------------------------------------------------------------------------------------ munge
# The Debian package creates a key on install; make one if it is missing (e.g. a trimmed image).
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    # munged refuses to run as root; there is no systemd in containers, so start it by hand.
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n | unmunge >/dev/null || die "munged did not start (see /var/log/munge/munged.log)"
fi

# ------------------------------------------------------------------------------------- slurm.conf
# This machine as slurmd sees it (hostname, CPUs, sockets, cores, threads, RealMemory in MB).
NODE_LINE=$(slurmd -C | head -n 1)  # line 2 is "UpTime=...", not part of the definition
NODE_NAME=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$NODE_LINE")
[ -n "$NODE_NAME" ] || die "could not read this node's hardware from 'slurmd -C': $NODE_LINE"

if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    # Never overwrite a real cluster's configuration.
    die "$CONF exists and was not written by this script; refusing to replace it"
fi

NEW_CONF=$(mktemp)
cat >"$NEW_CONF" <<EOF
$MARK
# A one-node test cluster on loopback; every value below is chosen for that, not for production.
ClusterName=adago-ci
SlurmctldHost=${NODE_NAME}(127.0.0.1)
# Test cluster only: the daemons run as root, so no spool/log ownership dance for a 'slurm' user.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
# Containers (gVisor, Docker) do not let slurmd manage cgroups: track processes through /proc and
# bind no tasks. Memory limits are then bookkeeping only (jobs are still scheduled by mem_mb).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd: job states come from slurmctld (squeue), which keeps finished jobs for MinJobAge
# seconds. The Snakemake plugin polls at most every 180 s, so an hour is ample.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
# CPUs and memory are both consumable, so a job's mem_mb really limits what runs beside it.
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdTimeout=300
InactiveLimit=0
KillWait=10
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
install -d -m 0755 /etc/slurm "$LOGDIR" /var/spool/slurmctld /var/spool/slurmd
CHANGED=0
if ! cmp -s "$NEW_CONF" "$CONF"; then
    install -m 0644 "$NEW_CONF" "$CONF"
    CHANGED=1
fi
rm -f "$NEW_CONF"

# ---------------------------------------------------------------------------------------- daemons
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if [ "$CHANGED" -eq 1 ] && { running /run/slurmctld.pid || running /run/slurmd.pid; }; then
    echo "start-slurm: $CONF changed; restarting the daemons"
    "$(dirname "$0")/stop-slurm.sh"
fi
# -c: start clean, without jobs or node states left over from an earlier run on this machine.
running /run/slurmctld.pid || slurmctld -c
running /run/slurmd.pid || slurmd

# ------------------------------------------------------------------------------------------ ready
for _ in $(seq "$((READY_TIMEOUT * 2))"); do
    STATE=$(sinfo --noheader --nodes="$NODE_NAME" --format=%T 2>/dev/null || true)
    case "$STATE" in
        idle*|mixed*|allocated*) break ;;
        down*|drain*) scontrol update NodeName="$NODE_NAME" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 0.5
done
case "$STATE" in
    idle*|mixed*|allocated*) ;;
    *) die "node $NODE_NAME is '${STATE:-unknown}' after ${READY_TIMEOUT}s (see $LOGDIR/slurmctld.log, $LOGDIR/slurmd.log)" ;;
esac
echo "start-slurm: one-node cluster ready: $(sinfo --noheader --format='%P %D %T %c CPUs %m MB' --nodes="$NODE_NAME")"
