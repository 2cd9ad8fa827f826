#!/usr/bin/env bash
# A clearance scan cluster on plain machines with the engine's own launcher (`dask scheduler`,
# `dask worker`) over ssh. Every machine needs: the same clearance installed with its cluster
# extra (`pip install 'clearance[cluster]'`, same version everywhere: the driver refuses a
# worker that reads files with other versions), this folder's dask.yaml in ~/.config/dask/,
# and the archive mounted read-only at the same path as on the machine that runs the scan
# (or use `clearance scan --path-map DRIVER_PATH=WORKER_PATH`).
#
#   SCHEDULER=scan-head WORKERS="scan-01 scan-02 scan-03" ./launch.sh start
#   clearance scan /mnt/archive --cluster tcp://scan-head:8786 --production neon-harbor-s1
#   SCHEDULER=scan-head WORKERS="scan-01 scan-02 scan-03" ./launch.sh stop
set -euo pipefail
: "${SCHEDULER:?the scheduler host}" "${WORKERS:?the worker hosts, space-separated}"
PORT="${PORT:-8786}"
VENV="${VENV:-/opt/clearance/venv}"   # where clearance[cluster] is installed on each host

case "${1:-}" in
start)
  ssh "$SCHEDULER" "nohup $VENV/bin/dask scheduler --port $PORT --dashboard-address :8787 \
    > /tmp/clearance-scheduler.log 2>&1 &"
  for host in $WORKERS; do
    # One single-threaded worker process per core (inspection is CPU-bound Python); the
    # nanny restarts a worker that dies; the preload imports the extractors at start.
    ssh "$host" "nohup $VENV/bin/dask worker tcp://$SCHEDULER:$PORT --nworkers auto \
      --nthreads 1 --preload clearance.provenance.cluster > /tmp/clearance-worker.log 2>&1 &"
  done
  ;;
stop)
  for host in $WORKERS "$SCHEDULER"; do
    ssh "$host" "pkill -u \"\$USER\" -f '$VENV/bin/dask (scheduler|worker)' || true"
  done
  ;;
*)
  echo "usage: SCHEDULER=host WORKERS='host …' $0 start|stop" >&2
  exit 2
  ;;
esac
