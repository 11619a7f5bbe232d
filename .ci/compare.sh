#!/usr/bin/env bash
# compare.sh: the same `hooklab bench` client against the JS LangGraph dev
# server (@langchain/langgraph-api, installed from npm into a temp dir) and
# against `hooklab dev --headless` with its history store on disk, one after
# the other on this machine, then the ratio of runs/s.
#
#   bash .ci/compare.sh [RUNS]            (default 2000 runs, 16 lanes)
#
# Environment:
#   CONCURRENCY=16          lanes (one run outstanding each)
#   MODE=create             bench mode: create | wait | stream | thread
#   HOOKLAB_BIN=path        use this hooklab binary instead of building one
#   HOOKLAB_JS_DIR=dir      keep the npm project here and reuse it next time
#                           (default: a temp dir, removed at the end)
#
# Needs go, node >= 20, npm (registry access) and curl. Loopback only: both
# servers bind 127.0.0.1 on free ports. Every step has a timeout.
set -euo pipefail

RUNS=${1:-2000}
CONCURRENCY=${CONCURRENCY:-16}
MODE=${MODE:-create}
BENCH_DURATION=${BENCH_DURATION:-180} # seconds; the bench's hard stop
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
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

for tool in go node npm curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

# Other work on the machine skews both figures: note the load before we add ours.
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

# stop PID: end one server's process group and forget it.
stop() {
  kill -TERM -- "-$1" 2>/dev/null || true
  timeout 15 tail --pid="$1" -f /dev/null 2>/dev/null || kill -KILL -- "-$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=()
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# bench URL OUT: a warm-up, then the measured run (its exit status is kept in
# the JSON: missing webhooks must not abort the comparison).
bench() {
  timeout 120 "$hooklab" bench --url "$1" --runs 100 --concurrency "$CONCURRENCY" \
    --mode "$MODE" --duration 60s --json >/dev/null 2>&1 || true
  timeout $((BENCH_DURATION + 60)) "$hooklab" bench --url "$1" --runs "$RUNS" \
    --concurrency "$CONCURRENCY" --mode "$MODE" --duration "${BENCH_DURATION}s" --json >"$2" ||
    [[ $? == 1 ]] || die "bench against $1 failed (see above)"
  # The same load from the official JS SDK (server/e2e/testdata/sdk/bench.mjs):
  # what a LangGraph client sees, node's own cost included.
  (cd "$root/server/e2e/testdata/sdk" && HOOKLAB_URL="$1" RUNS="$RUNS" LANES="$CONCURRENCY" \
    DURATION_MS=$((BENCH_DURATION * 1000)) timeout $((BENCH_DURATION + 60)) node bench.mjs >"$2.sdk") ||
    die "SDK bench against $1 failed"
}

# --- the SDK client ----------------------------------------------------------
if [[ ! -d $root/server/e2e/testdata/sdk/node_modules/@langchain/langgraph-sdk ]]; then
  say "npm ci (the SDK bench client)"
  (cd "$root/server/e2e/testdata/sdk" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

# --- hooklab binary --------------------------------------------------------
if [[ -n ${HOOKLAB_BIN:-} ]]; then
  hooklab=$HOOKLAB_BIN
else
  say "building hooklab"
  (cd "$root" && timeout 600 go build -o "$work/hooklab" .) || die "go build failed"
  hooklab=$work/hooklab
fi

# --- the JS dev server -----------------------------------------------------
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
# Start from an empty local store each time.
rm -rf "$js/.langgraph_api"

port=$(free_port)
say "JS dev server on 127.0.0.1:$port"
(cd "$js" && exec setsid timeout $((BENCH_DURATION + 600)) npx --no-install @langchain/langgraph-cli dev \
  --port "$port" --host 127.0.0.1 --no-browser >"$work/js.log" 2>&1) &
pids+=($!)
wait_ok "http://127.0.0.1:$port" 180 "$work/js.log"
bench "http://127.0.0.1:$port" "$work/js.json"
stop "${pids[-1]}"

# --- hooklab ---------------------------------------------------------------
port=$(free_port)
say "hooklab dev --headless on 127.0.0.1:$port (store: a file in $work)"
# Headless mode prints one JSON line per event; /dev/null keeps the
# terminal out of the measurement but not the encoding.
setsid timeout $((BENCH_DURATION + 600)) "$hooklab" dev --headless --addr "127.0.0.1:$port" \
  --store "$work/h.db" >/dev/null 2>"$work/hooklab.log" &
pids+=($!)
wait_ok "http://127.0.0.1:$port" 60 "$work/hooklab.log"
bench "http://127.0.0.1:$port" "$work/hooklab.json"
stop "${pids[-1]}"

# --- report ------------------------------------------------------------------
say "results"
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //' || true)
printf 'date: %s\nmachine: %s CPUs, %s, %s; load average before the run %s\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "${cpu:-unknown CPU}" "$(uname -sr)" "$load_before"
printf 'client: hooklab bench --runs %s --concurrency %s --mode %s; go %s, node %s, @langchain/langgraph-api %s\n\n' \
  "$RUNS" "$CONCURRENCY" "$MODE" "$(go env GOVERSION)" "$(node --version)" "$LG_API"
node - "$work/js.json" "$work/hooklab.json" "$work/js.json.sdk" "$work/hooklab.json.sdk" <<'EOF'
const fs = require("fs");
const [js, hl, jsSDK, hlSDK] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const n = (v, d = 1) => (v == null ? "-" : Number(v).toFixed(d));
const rows = [
  ["", "JS dev server", "hooklab"],
  ["runs finished", `${js.runs}/${js.requested}`, `${hl.runs}/${hl.requested}`],
  ["runs/s", n(js.runs_per_s), n(hl.runs_per_s)],
  ["webhooks/s", n(js.webhooks_per_s), n(hl.webhooks_per_s)],
  ["missing / duplicated", `${js.missing} / ${js.duplicated}`, `${hl.missing} / ${hl.duplicated}`],
  ["errors / failed runs", `${js.errors} / ${js.failed}`, `${hl.errors} / ${hl.failed}`],
];
for (const [k, label] of [["create_to_webhook_ms", "create→webhook"], ["run_end_to_webhook_ms", "run end→webhook"], ["request_ms", "request"]]) {
  for (const p of ["p50", "p99"]) rows.push([`${label} ${p} (ms)`, n(js[k]?.[p], 2), n(hl[k]?.[p], 2)]);
}
const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i]).length)));
for (const r of rows) console.log(r.map((c, i) => (i ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join("   "));
const ratio = hl.runs_per_s / js.runs_per_s;
console.log(`\nratio with the Go client (hooklab bench): ${ratio.toFixed(1)}x`);
const sdkRatio = hlSDK.runs_per_s / jsSDK.runs_per_s;
console.log(`JS SDK client: JS ${n(jsSDK.runs_per_s)} runs/s (p50 ${jsSDK.p50_ms} ms, p99 ${jsSDK.p99_ms} ms, ${jsSDK.missing} missing), ` +
  `hooklab ${n(hlSDK.runs_per_s)} runs/s (p50 ${hlSDK.p50_ms} ms, p99 ${hlSDK.p99_ms} ms, ${hlSDK.missing} missing)`);
console.log(`ratio with the JS SDK client: ${sdkRatio.toFixed(1)}x`);
console.log(JSON.stringify({ js, hooklab: hl, ratio, js_sdk: jsSDK, hooklab_sdk: hlSDK, sdk_ratio: sdkRatio }));
EOF
