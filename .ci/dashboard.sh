#!/usr/bin/env bash
# dashboard.sh: what the open dashboard costs a loaded hooklab. Alternates
# `hooklab dev --headless` and `hooklab dev` with its dashboard in a 120x40
# tmux, each loaded by `hooklab bench` closed loop (16 lanes, RUNS runs),
# and prints runs/s, hooklab's CPU per run (from /proc) and its peak RSS.
#
#   bash .ci/dashboard.sh [ROUNDS] [RUNS]      (default 3 rounds of 20000 runs)
#
# Loopback only; each hooklab on a free port with a fresh store in a temp dir.
set -euo pipefail
rounds=${1:-3}
runs=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hooklab-dash.XXXXXX")
sock="hooklab-dash-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; pkill -f "$work/hooklab" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
command -v tmux >/dev/null || { echo "dashboard.sh: tmux is not installed" >&2; exit 1; }
(cd "$root" && go build -o "$work/hooklab" .)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

one() { # mode: headless | dashboard
  local mode=$1 port store pid t0 t1
  port=$(free_port); store="$work/$mode-$port.db"
  if [[ $mode == dashboard ]]; then
    tmux -L "$sock" new-session -d -s h -x 120 -y 40 "$work/hooklab --addr 127.0.0.1:$port --store $store"
  else
    setsid "$work/hooklab" --headless --addr "127.0.0.1:$port" --store "$store" >/dev/null 2>&1 &
  fi
  for _ in $(seq 100); do curl -fs "127.0.0.1:$port/ok" >/dev/null && break; sleep 0.1; done
  pid=$(pgrep -nf "^$work/hooklab .*--addr 127.0.0.1:$port")
  t0=$(ticks "$pid")
  timeout 300 "$work/hooklab" bench --url "http://127.0.0.1:$port" --runs "$runs" --concurrency 16 --json >"$work/r.json" 2>/dev/null
  t1=$(ticks "$pid")
  python3 - "$mode" "$work/r.json" "$((t1 - t0))" "$runs" "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" <<'PY'
import json, os, sys
mode, path, ticks, runs, hwm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
hz = os.sysconf("SC_CLK_TCK")
print(f"{mode:9s} runs/s {r['runs_per_s']:7.0f}  CPU/run {ticks / hz / runs * 1e6:5.0f} µs  peak RSS {hwm / 1024:4.0f} MB  missing {r['missing']}")
PY
  if [[ $mode == dashboard ]]; then tmux -L "$sock" kill-server; else kill "$pid"; fi
  sleep 1
}
for _ in $(seq "$rounds"); do one headless; one dashboard; done
