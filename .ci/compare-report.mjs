// compare-report.mjs: the report of .ci/compare.sh. It reads the windows
// compare.sh measured (one `hooklab bench --json` object a line, tagged
// with server, phase and round), prints the figures with their
// goals and the medians behind them, then one JSON line.
//
//   node .ci/compare-report.mjs RESULTS.jsonl STORE_BYTES WAL_BYTES [JSON_OUT]
import fs from "node:fs";

const [file, storeBytes, walBytes, jsonOut] = process.argv.slice(2);
const windows = fs
  .readFileSync(file, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const median = (xs) => {
  const v = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const range = (xs) => {
  const v = xs.filter((x) => x != null);
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
};
const of = (server, phase) => windows.filter((w) => w.server === server && w.phase === phase);
const servers = ["hooklab", "ceiling", "js"].filter((s) => windows.some((w) => w.server === s));
const phases = ["closed", "paced50", "paced500"];

// Medians over the rounds, per server and phase.
const fig = {};
for (const s of servers) {
  fig[s] = {};
  for (const p of phases) {
    const ws = of(s, p);
    if (!ws.length) continue;
    fig[s][p] = {
      windows: ws.length,
      runs_per_s: median(ws.map((w) => w.runs_per_s)),
      cpu_us_per_run: median(ws.map((w) => w.server_cpu_us_per_run)),
      cpu_us_per_run_range: range(ws.map((w) => w.server_cpu_us_per_run)),
      client_cpu_us_per_run: median(ws.map((w) => w.client_cpu_us_per_run)),
      create_to_webhook_p50_ms: median(ws.map((w) => w.create_to_webhook_ms?.p50)),
      create_to_webhook_p99_ms: median(ws.map((w) => w.create_to_webhook_ms?.p99)),
      create_to_webhook_p99_range: range(ws.map((w) => w.create_to_webhook_ms?.p99)),
      request_p99_ms: median(ws.map((w) => w.request_ms?.p99)),
      start_lag_p99_ms: median(ws.map((w) => w.start_lag_ms?.p99)),
      other_cores: median(ws.map((w) => (w.other_cpu_s == null ? null : w.other_cpu_s / w.duration_s))),
      runs: ws.reduce((a, w) => a + w.runs, 0),
      missing: ws.reduce((a, w) => a + (w.missing ?? 0), 0),
      duplicated: ws.reduce((a, w) => a + (w.duplicated ?? 0), 0),
      errors: ws.reduce((a, w) => a + w.errors + w.failed, 0),
      held: ws.reduce((a, w) => a + (w.held ?? 0), 0),
      unsettled: ws.filter((w) => w.settled === false).length,
    };
  }
}

// Per-round ratios of hooklab to the ceiling, from windows side by side.
const perRound = (phase, key) => {
  const out = [];
  for (const h of of("hooklab", phase)) {
    const c = of("ceiling", phase).find((w) => w.round === h.round);
    if (c && c[key] && h[key] != null) out.push(h[key] / c[key]);
  }
  return out;
};
const ratio = (a, b) => (a != null && b ? a / b : null);
const f = (v, d = 0) => (v == null ? "-" : Number(v).toFixed(d));
const fr = (r, d = 0) => (r ? `${f(r[0], d)}–${f(r[1], d)}` : "-");
const H = fig.hooklab ?? {}, C = fig.ceiling ?? {}, J = fig.js ?? {};
const bad = (s) => Object.values(fig[s] ?? {}).reduce((a, p) => a + p.missing + p.duplicated, 0);

const goals = [
  {
    figure: "closed-loop runs/s vs the ceiling",
    now: `${f(H.closed?.runs_per_s)} vs ${f(C.closed?.runs_per_s)} (${f(100 * ratio(H.closed?.runs_per_s, C.closed?.runs_per_s))} %; rounds ${fr(range(perRound("closed", "runs_per_s").map((x) => 100 * x)))} %)`,
    goal: "at least 70 %",
    value: ratio(H.closed?.runs_per_s, C.closed?.runs_per_s),
    met: (v) => v >= 0.7,
  },
  {
    figure: "closed-loop runs/s vs the JS dev server",
    now: J.closed ? `${f(H.closed?.runs_per_s)} vs ${f(J.closed.runs_per_s, 1)} (${f(ratio(H.closed?.runs_per_s, J.closed.runs_per_s), 1)}x)` : "not measured (SKIP_JS)",
    goal: "at least 40x",
    value: ratio(H.closed?.runs_per_s, J.closed?.runs_per_s),
    met: (v) => v >= 40,
  },
  {
    figure: "CPU per run vs the ceiling (closed loop)",
    now: `${f(H.closed?.cpu_us_per_run)} µs vs ${f(C.closed?.cpu_us_per_run)} µs (${f(ratio(H.closed?.cpu_us_per_run, C.closed?.cpu_us_per_run), 1)}x; rounds ${fr(range(perRound("closed", "server_cpu_us_per_run")), 1)}x)`,
    goal: "at most 2.5x",
    value: ratio(H.closed?.cpu_us_per_run, C.closed?.cpu_us_per_run),
    met: (v) => v <= 2.5,
  },
  {
    figure: "CPU per run vs the JS dev server (closed loop)",
    now: J.closed ? `${f(H.closed?.cpu_us_per_run)} µs vs ${f(J.closed.cpu_us_per_run)} µs (${f(ratio(J.closed.cpu_us_per_run, H.closed?.cpu_us_per_run), 1)}x less)` : "not measured (SKIP_JS)",
    goal: "at least 40x less",
    value: ratio(J.closed?.cpu_us_per_run, H.closed?.cpu_us_per_run),
    met: (v) => v >= 40,
  },
  {
    figure: "CPU per run at a paced 50 runs/s vs closed loop",
    now: `${f(H.paced50?.cpu_us_per_run)} µs vs ${f(H.closed?.cpu_us_per_run)} µs (${f(ratio(H.paced50?.cpu_us_per_run, H.closed?.cpu_us_per_run), 1)}x; the ceiling ${f(ratio(C.paced50?.cpu_us_per_run, C.closed?.cpu_us_per_run), 1)}x)`,
    goal: "at most 1.5x",
    value: ratio(H.paced50?.cpu_us_per_run, H.closed?.cpu_us_per_run),
    met: (v) => v <= 1.5,
  },
  {
    figure: "create→webhook p99 at a paced 50 runs/s",
    now: `${f(H.paced50?.create_to_webhook_p99_ms, 2)} ms (rounds ${fr(H.paced50?.create_to_webhook_p99_range, 2)}; the ceiling ${f(C.paced50?.create_to_webhook_p99_ms, 2)})`,
    goal: "at most 3 ms",
    value: H.paced50?.create_to_webhook_p99_ms,
    met: (v) => v <= 3,
  },
  {
    figure: "create→webhook p99 at a paced 500 runs/s",
    now: `${f(H.paced500?.create_to_webhook_p99_ms, 2)} ms (rounds ${fr(H.paced500?.create_to_webhook_p99_range, 2)}; the ceiling ${f(C.paced500?.create_to_webhook_p99_ms, 2)})`,
    goal: "at most 5 ms",
    value: H.paced500?.create_to_webhook_p99_ms,
    met: (v) => v <= 5,
  },
  {
    figure: "missing or duplicated webhooks",
    now: servers.map((s) => `${s} ${bad(s)}`).join(", "),
    goal: "0",
    value: servers.reduce((a, s) => a + bad(s), 0),
    met: (v) => v === 0,
  },
];

const table = (rows) => {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(w[i])).join("  ").trimEnd());
};
table([
  ["figure", "now (medians)", "goal", "met"],
  ...goals.map((g) => [g.figure, g.now, g.goal, g.value == null ? "-" : g.met(g.value) ? "yes" : "no"]),
]);

console.log("");
const rows = [["", ...servers]];
const add = (label, get) => rows.push([label, ...servers.map((s) => get(fig[s]))]);
for (const p of phases) {
  if (!servers.some((s) => fig[s][p])) continue;
  const name = p === "closed" ? "closed loop" : `paced ${p.slice(5)}/s`;
  add(`${name}: windows`, (x) => f(x[p]?.windows));
  add(`${name}: runs/s`, (x) => f(x[p]?.runs_per_s, 1));
  add(`${name}: server CPU µs/run (range)`, (x) => (x[p] ? `${f(x[p].cpu_us_per_run)} (${fr(x[p].cpu_us_per_run_range)})` : "-"));
  add(`${name}: create→webhook p50/p99 ms`, (x) => (x[p] ? `${f(x[p].create_to_webhook_p50_ms, 2)}/${f(x[p].create_to_webhook_p99_ms, 2)}` : "-"));
  add(`${name}: request p99 ms`, (x) => f(x[p]?.request_p99_ms, 2));
  add(`${name}: bench CPU µs/run`, (x) => f(x[p]?.client_cpu_us_per_run));
  add(`${name}: other load (cores)`, (x) => f(x[p]?.other_cores, 2));
  add(`${name}: missing/dup/errors`, (x) => (x[p] ? `${x[p].missing}/${x[p].duplicated}/${x[p].errors}` : "-"));
}
table(rows);

const hooklabRuns = windows.filter((w) => w.server === "hooklab").reduce((a, w) => a + w.created, 0);
const store = {
  bytes: +storeBytes,
  wal_bytes: +walBytes,
  runs: hooklabRuns,
  bytes_per_run: hooklabRuns ? +storeBytes / hooklabRuns : null,
};
console.log(
  `\nhooklab's store after ${store.runs} runs: ${f(store.bytes / 1e6, 1)} MB on disk (WAL ${f(store.wal_bytes / 1e6, 1)} MB), ` +
    `${f(store.bytes_per_run)} bytes per run`,
);
const notes = [];
for (const s of servers)
  for (const p of phases) {
    const x = fig[s][p];
    if (x?.held) notes.push(`${s} ${p}: ${x.held} starts held by --max-in-flight (not open loop throughout)`);
    if (x?.other_cores > 0.2)
      notes.push(`${s} ${p}: other processes kept ${f(x.other_cores, 2)} cores busy (median): these figures are pessimistic`);
    if (x?.unsettled) notes.push(`${s} ${p}: ${x.unsettled} windows began before the server went idle`);
  }
if (notes.length) console.log(notes.join("\n"));

const line = JSON.stringify({
  goals: Object.fromEntries(goals.map((g) => [g.figure, { value: g.value, goal: g.goal, met: g.value == null ? null : g.met(g.value) }])),
  figures: fig,
  rounds: {
    closed_runs_ratio: perRound("closed", "runs_per_s"),
    closed_cpu_ratio: perRound("closed", "server_cpu_us_per_run"),
  },
  store,
});
console.log(line);
if (jsonOut) fs.writeFileSync(jsonOut, line + "\n");
