#!/usr/bin/env bash
# Stop the one-node cluster that start-slurm.sh started: slurmd, slurmctld and munged, each by the
# process id in its pid file (never by name, so nothing else on the machine is touched).
set -euo pipefail

stop() {  # stop PIDFILE NAME
    local pidfile=$1 name=$2 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop-slurm: $name ($pid) ignored SIGTERM for 10 s; killing it" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

[ "$(id -u)" -eq 0 ] || { echo "stop-slurm: must run as root" >&2; exit 1; }
stop /run/slurmd.pid slurmd
stop /run/slurmctld.pid slurmctld
if [ "${1:-}" = "--with-munge" ]; then
    stop /run/munge/munged.pid munged
fi
