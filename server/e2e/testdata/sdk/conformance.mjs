// Drives a running hooklab with the official LangGraph JS SDK.
// Usage: HOOKLAB_URL=http://127.0.0.1:PORT node conformance.mjs
import { Client } from "@langchain/langgraph-sdk";
import http from "node:http";
import assert from "node:assert/strict";

const apiUrl = process.env.HOOKLAB_URL;
if (!apiUrl) throw new Error("set HOOKLAB_URL");
const client = new Client({ apiUrl, callerOptions: { maxRetries: 0 } });

// A receiver of our own on loopback, to see exactly what is POSTed.
const hooks = [];
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const status = req.url.includes("fail500") ? 500 : 200;
    hooks.push({ url: req.url, headers: req.headers, body: JSON.parse(body), status });
    res.writeHead(status, { "content-type": "application/json" });
    res.end("{}");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const hookBase = `http://127.0.0.1:${receiver.address().port}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred, what, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = pred();
    if (v) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
const hooksFor = (runId) => hooks.filter((h) => h.body.run_id === runId);
const input = { messages: [{ role: "human", content: "Hello!" }] };
let checks = 0;
const step = async (name, fn) => {
  const t0 = Date.now();
  await fn();
  checks++;
  console.log(`ok ${checks} - ${name} (${Date.now() - t0} ms)`);
};

await step("seed flow: threads.create, assistants.search, runs.stream events + webhook", async () => {
  const thread = await client.threads.create();
  assert.match(thread.thread_id, /^[0-9a-f-]{36}$/);
  assert.equal(thread.status, "idle");
  const assistants = await client.assistants.search({ limit: 10, offset: 0 });
  assert.ok(assistants.some((a) => a.graph_id === "agent" && a.metadata.created_by === "system"));
  let runId;
  const events = [];
  for await (const chunk of client.runs.stream(thread.thread_id, "agent", {
    input,
    streamMode: "events",
    webhook: `${hookBase}/my-webhook-endpoint?token=abc`,
    onRunCreated: (m) => (runId = m.run_id),
  })) events.push(chunk.event);
  assert.equal(events[0], "metadata");
  assert.ok(events.includes("events"), `events: ${events}`);
  const [hook] = await waitFor(() => hooksFor(runId).length && hooksFor(runId), "stream webhook");
  assert.equal(hook.url, "/my-webhook-endpoint?token=abc");
  assert.equal(hook.headers["content-type"], "application/json");
  assert.equal(hook.body.status, "success");
  assert.equal(hook.body.thread_id, thread.thread_id);
  for (const k of ["run_id", "assistant_id", "created_at", "updated_at", "metadata", "kwargs", "multitask_strategy", "run_started_at", "run_ended_at", "webhook_sent_at", "values"])
    assert.ok(k in hook.body, `payload has ${k}`);
  assert.match(hook.body.webhook_sent_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  assert.equal(hook.body.values.messages.at(-1).content, "Hello!");
  assert.equal(hook.body.kwargs.webhook, `${hookBase}/my-webhook-endpoint?token=abc`);
});

await step("runs.create + runs.join + runs.get + runs.list", async () => {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, "agent", { input, webhook: `${hookBase}/create` });
  assert.equal(run.status, "pending");
  const values = await client.runs.join(thread.thread_id, run.run_id);
  assert.equal(values.messages.at(-1).type, "ai");
  const got = await client.runs.get(thread.thread_id, run.run_id);
  assert.equal(got.status, "success");
  const list = await client.runs.list(thread.thread_id);
  assert.equal(list[0].run_id, run.run_id);
  await waitFor(() => hooksFor(run.run_id).length === 1, "create webhook");
  const st = await client.threads.getState(thread.thread_id);
  assert.equal(st.values.messages.length, 2);
});

await step("runs.wait success and failure (error webhook)", async () => {
  const thread = await client.threads.create();
  const ok = await client.runs.wait(thread.thread_id, "agent", { input });
  assert.equal(ok.messages.at(-1).content, "Hello!");
  let runId;
  await assert.rejects(
    client.runs.wait(thread.thread_id, "agent", {
      input, config: { configurable: { fail: "boom" } }, webhook: `${hookBase}/fail`,
      onRunCreated: (m) => (runId = m.run_id),
    }),
    /ValueError: boom/,
  );
  const res = await client.runs.wait(thread.thread_id, "agent", { input, config: { configurable: { fail: "again" } }, raiseError: false });
  assert.deepEqual(res.__error__, { error: "ValueError", message: "again" });
  const [hook] = await waitFor(() => hooksFor(runId).length && hooksFor(runId), "error webhook");
  assert.equal(hook.body.status, "error");
  assert.deepEqual(hook.body.error, { error: "ValueError", message: "boom" });
  const t = await client.threads.get(thread.thread_id);
  assert.equal(t.status, "error");
});

await step("stateless stream, wait and create (values null in the webhook)", async () => {
  const chunks = [];
  for await (const c of client.runs.stream(null, "agent", { input, streamMode: ["values", "updates"] })) chunks.push(c.event);
  assert.deepEqual(chunks.filter((e) => e !== "metadata").slice(0, 1), ["values"]);
  assert.ok(chunks.includes("updates"));
  const w = await client.runs.wait(null, "agent", { input });
  assert.equal(w.messages.at(-1).content, "Hello!");
  const run = await client.runs.create(null, "agent", { input, webhook: `${hookBase}/stateless` });
  const [hook] = await waitFor(() => hooksFor(run.run_id).length && hooksFor(run.run_id), "stateless webhook");
  assert.equal(hook.body.values, null);
  assert.equal(hook.body.status, "success");
});

await step("runs.createBatch", async () => {
  const runs = await client.runs.createBatch([
    { assistantId: "agent", input, webhook: `${hookBase}/batch` },
    { assistantId: "agent", input, webhook: `${hookBase}/batch` },
  ]);
  assert.equal(runs.length, 2);
  for (const r of runs) await waitFor(() => hooksFor(r.run_id).length === 1, "batch webhook");
});

await step("cancel with interrupt and rollback", async () => {
  const thread = await client.threads.create();
  const slow = { input, config: { configurable: { sleep_ms: 5000 } }, webhook: `${hookBase}/cancel` };
  const a = await client.runs.create(thread.thread_id, "agent", slow);
  await waitFor(async () => true, "tick", 100);
  await sleep(100);
  await client.runs.cancel(thread.thread_id, a.run_id, true, "interrupt");
  const [ha] = await waitFor(() => hooksFor(a.run_id).length && hooksFor(a.run_id), "interrupt webhook");
  assert.equal(ha.body.status, "interrupted");
  const b = await client.runs.create(thread.thread_id, "agent", slow);
  await sleep(100);
  await client.runs.cancel(thread.thread_id, b.run_id, false, "rollback");
  const [hb] = await waitFor(() => hooksFor(b.run_id).length && hooksFor(b.run_id), "rollback webhook");
  assert.equal(hb.body.status, "rollback");
  assert.equal(hb.body.values, null);
});

await step("multitask reject answers 409", async () => {
  const thread = await client.threads.create();
  await client.runs.create(thread.thread_id, "agent", { input, config: { configurable: { sleep_ms: 2000 } } });
  await assert.rejects(
    client.runs.create(thread.thread_id, "agent", { input, multitaskStrategy: "reject" }),
    (e) => e.status === 409,
  );
});

await step("crons: createForThread, create, search, update, delete", async () => {
  const thread = await client.threads.create();
  const c1 = await client.crons.createForThread(thread.thread_id, "agent", { schedule: "*/5 * * * *", input, webhook: `${hookBase}/cron` });
  assert.equal(c1.thread_id, thread.thread_id);
  assert.ok(c1.next_run_date);
  const c2 = await client.crons.create("agent", { schedule: "0 0 * * *", input });
  const found = await client.crons.search({ threadId: thread.thread_id });
  assert.deepEqual(found.map((c) => c.cron_id), [c1.cron_id]);
  assert.ok((await client.crons.count({})) >= 2);
  const up = await client.crons.update(c2.cron_id, { enabled: false });
  assert.equal(up.enabled, false);
  // Fire the thread cron now through hooklab's own route and see its webhook.
  const fired = await fetch(`${apiUrl}/hooklab/crons/${c1.cron_id}/fire`, { method: "POST", headers: { "content-type": "application/json" } }).then((r) => r.json());
  await waitFor(() => hooksFor(fired.run_id).length === 1, "cron webhook");
  await client.crons.delete(c1.cron_id);
  await client.crons.delete(c2.cron_id);
  assert.equal((await client.crons.search({})).filter((c) => c.cron_id === c1.cron_id).length, 0);
});

await step("joinStream reconnect with lastEventId", async () => {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, "agent", {
    input, streamMode: ["values", "updates"], streamResumable: true, config: { configurable: { sleep_ms: 300 } },
  });
  const first = [];
  for await (const c of client.runs.joinStream(thread.thread_id, run.run_id)) first.push(c);
  assert.ok(first.length >= 3, `events: ${first.map((c) => c.event)}`);
  const rest = [];
  for await (const c of client.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: "2" })) rest.push(c);
  assert.deepEqual(rest.map((c) => c.event), first.slice(2).map((c) => c.event));
});

await step("a 500-answering receiver sees 3 attempts; a refused connection breaks nothing after it", async () => {
  const failing = await client.runs.create(null, "agent", { input, webhook: `${hookBase}/fail500` });
  const refused = await client.runs.create(null, "agent", { input, webhook: "http://127.0.0.1:1/closed-port" });
  const after = await client.runs.create(null, "agent", { input, webhook: `${hookBase}/after` });
  await waitFor(() => hooksFor(after.run_id).length === 1, "webhook after a refused connection");
  await waitFor(() => hooksFor(failing.run_id).length === 3, "3 attempts at a 500 receiver", 15000);
  await sleep(300);
  assert.equal(hooksFor(failing.run_id).length, 3, "no 4th attempt");
  const ds = await fetch(`${apiUrl}/hooklab/deliveries?run_id=${refused.run_id}`).then((r) => r.json());
  assert.equal(ds.length, 1);
});

await step("every webhook arrived exactly once (the 500 receiver aside)", async () => {
  const counts = new Map();
  for (const h of hooks) if (h.status === 200) counts.set(h.body.run_id, (counts.get(h.body.run_id) ?? 0) + 1);
  for (const [id, n] of counts) assert.equal(n, 1, `run ${id} delivered ${n} times`);
});

await step("a refused webhook URL is a 422 at creation", async () => {
  await assert.rejects(
    client.runs.create(null, "agent", { input, webhook: "ftp://example.com/x" }),
    (e) => e.status === 422,
  );
});

// hooklab keeps idle keep-alive connections to our receiver (as any HTTP
// client may): close them, or node waits for their idle timeout to exit.
receiver.closeAllConnections();
receiver.close();
console.log(`${checks} passed, 0 failed`);
process.exit(0);
