// A LangGraph SDK client load: LANES lanes of POST /runs, each waiting for
// its webhook on a local receiver before the next run (closed loop).
// Usage: HOOKLAB_URL=http://127.0.0.1:PORT RUNS=5000 LANES=16 node bench.mjs
import { Client } from "@langchain/langgraph-sdk";
import http from "node:http";

const apiUrl = process.env.HOOKLAB_URL;
const runs = Number(process.env.RUNS ?? 5000);
const lanes = Number(process.env.LANES ?? 16);
const deadline = Date.now() + Number(process.env.DURATION_MS ?? 120000);
const client = new Client({ apiUrl, callerOptions: { maxRetries: 0, maxConcurrency: lanes } });
const waiting = new Map();
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    res.end("ok");
    const id = JSON.parse(body).run_id;
    const w = waiting.get(id);
    if (w) { waiting.delete(id); w(); } else waiting.set(id, null);
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const webhook = `http://127.0.0.1:${receiver.address().port}/hook`;
let started = 0, done = 0, missing = 0;
const lat = [];
async function lane() {
  while (started < runs && Date.now() < deadline) {
    started++;
    const t0 = performance.now();
    const run = await client.runs.create(null, "agent", { input: { messages: [{ role: "user", content: "bench" }] }, webhook });
    await new Promise((resolve) => {
      if (waiting.has(run.run_id)) { waiting.delete(run.run_id); return resolve(); }
      const timer = setTimeout(() => { missing++; waiting.delete(run.run_id); resolve(); }, 10000);
      waiting.set(run.run_id, () => { clearTimeout(timer); resolve(); });
    });
    lat.push(performance.now() - t0);
    done++;
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: lanes }, lane));
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
console.log(JSON.stringify({ runs: done, runs_per_s: +(done / secs).toFixed(1), missing, p50_ms: +p(0.5), p99_ms: +p(0.99) }));
// hooklab keeps idle keep-alive connections to our receiver (as any HTTP
// client may): close them, or node waits for their idle timeout to exit.
receiver.closeAllConnections();
receiver.close();
process.exit(0);
