#!/usr/bin/env bash
# compare.sh: one Go load client (`hooklab bench`) against three servers on
# this machine, in one run:
#   - hooklab: `hooklab dev --headless` with its history store in a file;
#   - the ceiling: `hooklab bench --serve-ceiling`, which answers POST /runs
#     with a canned run and POSTs a canned 1 KB webhook, and does nothing
#     else: the limit this client can show for any server;
#   - the JS dev server: `langgraph-cli dev` (@langchain/langgraph-api,
#     installed from npm into a temp dir) with an echo graph.
# Every run's webhook goes to the bench's own loopback receiver, and a run
# counts when its webhook arrives. Each server is loaded closed loop
# (16 lanes, each waiting for its webhook) and paced (an open loop of 50
# and 500 runs/s), and its CPU time (its whole process tree, from /proc) is
# divided by the runs it finished. The VM is noisy, so hooklab and the
# ceiling alternate in short windows, round after round, and the report
# compares medians.
#
#   bash .ci/compare.sh [ROUNDS]          (default 5 rounds)
#
# Environment:
#   SKIP_JS=1               leave out the JS server (its npm install takes minutes)
#   WINDOW=3                seconds of each closed-loop window
#   PACED_WINDOW=8          seconds of each paced window (50 and 500 runs/s)
#   JS_ROUNDS=2             rounds for the JS server (it is slow)
#   JS_RUNS=1000            runs in each of its closed-loop windows
#   CONCURRENCY=16          closed-loop lanes
#   HOOKLAB_BIN=path        use this hooklab binary instead of building one
#   HOOKLAB_JS_DIR=dir      keep the npm project here and reuse it next time
#                           (default: a temp dir, removed at the end)
#   QUIET_WAIT=30           before each window, wait up to this many seconds for
#                           the machine to be 90 % idle (0: never wait); the
#                           load left is reported per window as "other load"
#   OUT=file                also write the JSON line here
#
# Needs go, node >= 20 and curl (npm and registry access unless SKIP_JS).
# Loopback only: every server binds 127.0.0.1 on a free port, in its own
# process group, stopped by group at the end. Every step has a timeout.
set -euo pipefail

ROUNDS=${1:-${ROUNDS:-5}}
WINDOW=${WINDOW:-3}
PACED_WINDOW=${PACED_WINDOW:-8}
JS_ROUNDS=${JS_ROUNDS:-2}
JS_RUNS=${JS_RUNS:-1000}
CONCURRENCY=${CONCURRENCY:-16}
SKIP_JS=${SKIP_JS:-}
QUIET_WAIT=${QUIET_WAIT:-30}
# Pinned so results can be compared over time (checked with `npm view`).
LG_API=2.0.0 LG_CLI=2.0.0 LG=1.7.3 LC_CORE=1.4.0

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hooklab-compare.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    # Each server runs in its own process group (setsid): stop the group.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

tools=(go node curl)
[[ -n $SKIP_JS ]] || tools+=(npm)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, got $ROUNDS"

# Other work on the machine skews every figure: note the load before ours.
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_ok URL SECONDS LOG: poll /ok until it answers or time runs out.
wait_ok() {
  local url=$1 deadline=$((SECONDS + $2)) log=$3
  until curl -fsS -m 2 "$url/ok" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log" >&2 || true
      die "$url/ok did not answer within $2 s (log above)"
    fi
    sleep 0.2
  done
}

# --- hooklab binary --------------------------------------------------------
if [[ -n ${HOOKLAB_BIN:-} ]]; then
  hooklab=$HOOKLAB_BIN
else
  say "building hooklab"
  (cd "$root" && timeout 600 go build -o "$work/hooklab" .) || die "go build failed"
  hooklab=$work/hooklab
fi

# --- the servers -------------------------------------------------------------
# Each is started with setsid (its own process group, whose ID is its PID)
# under timeout (a bound if this script is killed before its trap runs).
# The PID is the root of the process tree whose CPU the bench reads.
declare -A url pid
ceiling_port=$(free_port)
setsid timeout 3600 "$hooklab" bench --serve-ceiling "127.0.0.1:$ceiling_port" \
  >/dev/null 2>"$work/ceiling.log" &
pids+=($!) pid[ceiling]=$! url[ceiling]=http://127.0.0.1:$ceiling_port
wait_ok "${url[ceiling]}" 30 "$work/ceiling.log"

hooklab_port=$(free_port)
# Headless mode prints one JSON line per event; /dev/null keeps the
# terminal out of the measurement but not the encoding.
setsid timeout 3600 "$hooklab" dev --headless --addr "127.0.0.1:$hooklab_port" \
  --store "$work/h.db" >/dev/null 2>"$work/hooklab.log" &
pids+=($!) pid[hooklab]=$! url[hooklab]=http://127.0.0.1:$hooklab_port
wait_ok "${url[hooklab]}" 60 "$work/hooklab.log"
say "ceiling on ${url[ceiling]} (pid ${pid[ceiling]}), hooklab on ${url[hooklab]} (pid ${pid[hooklab]}, store $work/h.db)"

# install_js: the npm project of the JS dev server, installed once.
install_js() {
  js=${HOOKLAB_JS_DIR:-$work/js}
  mkdir -p "$js"
  cat >"$js/package.json" <<EOF
{
  "name": "hooklab-compare-js",
  "private": true,
  "type": "module",
  "dependencies": {
    "@langchain/core": "$LC_CORE",
    "@langchain/langgraph": "$LG",
    "@langchain/langgraph-api": "$LG_API",
    "@langchain/langgraph-cli": "$LG_CLI",
    "@langchain/langgraph-checkpoint": "~1.0.0",
    "@langchain/langgraph-sdk": "~2.0.0",
    "typescript": "^5.5.4"
  }
}
EOF
  # The same work hooklab's built-in "agent" graph does: echo the last message.
  cat >"$js/graph.mjs" <<'EOF'
import { StateGraph, MessagesAnnotation, START, END } from "@langchain/langgraph";
import { AIMessage } from "@langchain/core/messages";

const echo = async (state) => {
  const last = state.messages[state.messages.length - 1];
  return { messages: [new AIMessage(typeof last?.content === "string" ? last.content : "")] };
};

export const graph = new StateGraph(MessagesAnnotation)
  .addNode("echo", echo)
  .addEdge(START, "echo")
  .addEdge("echo", END)
  .compile();
EOF
  echo '{"node_version": "20", "graphs": {"agent": "./graph.mjs:graph"}, "env": {}}' >"$js/langgraph.json"
  if [[ ! -x $js/node_modules/.bin/langgraphjs ]]; then
    say "npm install @langchain/langgraph-api@$LG_API (into $js)"
    (cd "$js" && timeout 900 npm install --no-audit --no-fund --loglevel=error) || die "npm install failed"
  fi
}

# start_js: start the JS dev server. It starts after the other servers'
# windows, so its start-up (compiling the graph) overlaps none of them.
start_js() {
  rm -rf "$js/.langgraph_api" # start from an empty local store each time
  js_port=$(free_port)
  (cd "$js" && exec setsid timeout 3600 npx --no-install @langchain/langgraph-cli dev \
    --port "$js_port" --host 127.0.0.1 --no-browser >"$work/js.log" 2>&1) &
  pids+=($!) pid[js]=$! url[js]=http://127.0.0.1:$js_port
  wait_ok "${url[js]}" 180 "$work/js.log"
  say "JS dev server on ${url[js]} (pid ${pid[js]})"
}

[[ -n $SKIP_JS ]] || install_js

# --- the load ----------------------------------------------------------------
results=$work/results.jsonl
: >"$results"

# quiet: wait (at most QUIET_WAIT s) until the machine's CPUs are 90 % idle
# over half a second: other work on a shared machine skews every figure.
quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) a b
  while ((SECONDS < deadline)); do
    read -r -a a < /proc/stat; sleep 0.5; read -r -a b < /proc/stat
    local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7]) - (a[1] + a[2] + a[3] + a[6] + a[7])))
    local all=$((busy + (b[4] + b[5]) - (a[4] + a[5])))
    ((all > 0 && busy * 10 <= all)) && return 0
  done
  return 0
}

# bench SERVER PHASE ROUND ARGS...: one window, its JSON kept as one line
# tagged with server, phase and round. Missing webhooks exit 1 and are
# reported, not fatal.
bench() {
  local server=$1 phase=$2 round=$3
  shift 3
  local out=$work/window.json
  quiet
  timeout 300 "$hooklab" bench --url "${url[$server]}" --pid "${pid[$server]}" --settle 5s \
    --run-timeout 10s --json "$@" >"$out" 2>>"$work/bench.log" ||
    [[ $? == 1 ]] || die "bench against $server ($phase) failed: $(tail -3 "$work/bench.log")"
  node -e '
    const [f, server, phase, round] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(f, "utf8"));
    console.log(JSON.stringify({ server, phase, round: +round, ...r }));
  ' "$out" "$server" "$phase" "$round" >>"$results"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const p = (l) => (l ? `${l.p50}/${l.p99}` : "-");
    console.error(`   ${process.argv[2].padEnd(8)} ${process.argv[3].padEnd(9)} ${r.runs_per_s.toFixed(0).padStart(6)} runs/s  ` +
      `${(r.server_cpu_us_per_run ?? NaN).toFixed(0).padStart(6)} µs/run  create→webhook p50/p99 ${p(r.create_to_webhook_ms)} ms  ` +
      `missing ${r.missing} dup ${r.duplicated}  other load ${r.other_cpu_s == null ? "-" : (r.other_cpu_s / r.duration_s).toFixed(2)}`);
  ' "$out" "$server" "$phase"
}

closed() { bench "$1" closed "$2" --runs 10000000 --concurrency "$CONCURRENCY" --duration "${3:-$WINDOW}s"; }
paced() { bench "$1" "paced$2" "$3" --pace "$2" --runs $(($2 * ${4:-$PACED_WINDOW})) --duration $((${4:-$PACED_WINDOW} + 30))s; }

servers=(hooklab ceiling)
say "warm-up (not counted)"
for s in "${servers[@]}"; do bench "$s" warmup 0 --runs 2000 --duration 20s; done

for ((r = 1; r <= ROUNDS; r++)); do
  say "round $r of $ROUNDS"
  # Alternate which server goes first, so neither always follows the other.
  order=("${servers[@]}")
  ((r % 2)) || order=(ceiling hooklab)
  for s in "${order[@]}"; do closed "$s" "$r"; done
  for s in "${order[@]}"; do paced "$s" 50 "$r"; done
  for s in "${order[@]}"; do paced "$s" 500 "$r"; done
done

if [[ -z $SKIP_JS ]]; then
  start_js
  say "JS dev server: warm-up, then $JS_ROUNDS rounds ($JS_RUNS runs closed loop, 10 s at 50 runs/s)"
  bench js warmup 0 --runs 200 --duration 60s
  for ((r = 1; r <= JS_ROUNDS; r++)); do
    # Bounded by runs, not time: a run cut off in flight leaves the JS
    # server retrying its webhook, which holds up the runs after it.
    bench js closed "$r" --runs "$JS_RUNS" --concurrency "$CONCURRENCY" --duration 120s
    paced js 50 "$r" 10
  done
fi

# The store after all of hooklab's windows: bytes on disk per run.
store_bytes=$(du -cb "$work"/h.db* 2>/dev/null | tail -1 | cut -f1)
wal_bytes=$(stat -c %s "$work/h.db-wal" 2>/dev/null || echo 0)

# --- report ------------------------------------------------------------------
say "results"
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //' || true)
printf 'date: %s\nmachine: %s CPUs, %s, %s; load average before the run %s, after %s\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "${cpu:-unknown CPU}" "$(uname -sr)" "$load_before" \
  "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
printf 'client: hooklab bench, closed loop %s lanes in %s s windows, paced 50 and 500 runs/s in %s s windows, %s rounds; go %s\n\n' \
  "$CONCURRENCY" "$WINDOW" "$PACED_WINDOW" "$ROUNDS" "$(go env GOVERSION)"
node "$root/.ci/compare-report.mjs" "$results" "$store_bytes" "$wal_bytes" ${OUT:+"$OUT"}
