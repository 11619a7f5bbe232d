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


// Raw HTTP for what the SDK does not show: statuses, headers, details.
async function call(method, path, body, headers = {}) {
  const res = await fetch(`${apiUrl}${path}`, {
    method, headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}
const gather = async (it) => { const out = []; for await (const c of it) out.push(c); return out; };
const msg = (content, id) => ({ type: "human", content, ...(id ? { id } : {}) });
const one = { messages: [msg("one")] };
const rid = () => crypto.randomUUID();

await step("graph (xray), schemas and subgraphs describe the echo graph", async () => {
  const a = await client.assistants.create({ graphId: "agent" });
  const want = {
    nodes: [{ id: "__start__", type: "runnable", data: { name: "__start__" } }, { id: "echo", type: "runnable", data: { name: "echo" } }, { id: "__end__" }],
    edges: [{ source: "__start__", target: "echo" }, { source: "echo", target: "__end__" }],
  };
  assert.deepEqual(await client.assistants.getGraph(a.assistant_id), want);
  assert.deepEqual(await client.assistants.getGraph("agent", { xray: true }), want);
  assert.deepEqual(await client.assistants.getGraph(a.assistant_id, { xray: 2 }), want);
  const bad = await call("GET", `/assistants/${a.assistant_id}/graph?xray=0`);
  assert.equal(bad.status, 422);
  assert.match(bad.json.detail, /xray/);
  const schemas = await client.assistants.getSchemas(a.assistant_id);
  assert.deepEqual(Object.keys(schemas), ["graph_id", "input_schema", "output_schema", "state_schema", "config_schema", "context_schema"]);
  assert.equal(schemas.graph_id, "agent");
  assert.equal(schemas.state_schema.properties.messages.type, "array");
  for (const k of ["sleep_ms", "fail", "interrupt"]) {
    assert.ok(k in schemas.config_schema.properties, `config_schema has ${k}`);
    assert.ok(k in schemas.context_schema.properties, `context_schema has ${k}`);
  }
  assert.deepEqual(await client.assistants.getSubgraphs(a.assistant_id), {});
  assert.deepEqual(await client.assistants.getSubgraphs(a.assistant_id, { namespace: "x", recurse: true }), {});
  const missing = rid();
  for (const path of ["graph", "schemas", "subgraphs"]) {
    const r = await call("GET", `/assistants/${missing}/${path}`);
    assert.equal(r.status, 404);
    assert.equal(r.json.detail, `Assistant ${missing} not found`);
  }
});

await step("assistant versions: each update is a version; latest brings one back", async () => {
  const a = await client.assistants.create({ graphId: "agent", config: { configurable: { v: 1 } }, name: "versioned" });
  assert.equal(a.version, 1);
  assert.deepEqual(a.context, { v: 1 }, "configurable is mirrored into context");
  const b = await client.assistants.update(a.assistant_id, { config: { configurable: { v: 2 } }, metadata: { tag: "two" } });
  assert.equal(b.version, 2);
  await client.assistants.update(a.assistant_id, { name: "renamed" });
  const versions = await client.assistants.getVersions(a.assistant_id);
  assert.deepEqual(versions.map((v) => v.version), [3, 2, 1]);
  assert.deepEqual(Object.keys(versions[0]), ["assistant_id", "version", "graph_id", "config", "context", "metadata", "created_at", "name", "description"]);
  assert.deepEqual((await client.assistants.getVersions(a.assistant_id, { metadata: { tag: "two" } })).map((v) => v.version), [3, 2]);
  const back = await client.assistants.setLatest(a.assistant_id, 1);
  assert.equal(back.version, 1);
  assert.deepEqual(back.config, { configurable: { v: 1 } });
  assert.equal(back.name, "versioned");
  assert.equal((await client.assistants.update(a.assistant_id, {})).version, 4, "the next version follows the highest");
  const bad = await call("POST", `/assistants/${a.assistant_id}/latest`, { version: 9 });
  assert.equal(bad.status, 404);
  assert.equal(bad.json.detail, `Version 9 not found for assistant ${a.assistant_id}`);
  const none = await call("POST", `/assistants/${a.assistant_id}/versions`, { metadata: { tag: "never" } });
  assert.equal(none.status, 404);
});

await step("assistant search by name (any case, substring), delete_threads", async () => {
  const tag = rid();
  const a = await client.assistants.create({ graphId: "agent", name: `My Echo Bot ${tag}` });
  const found = await client.assistants.search({ name: `echo bot ${tag}`.toUpperCase() });
  assert.deepEqual(found.map((x) => x.assistant_id), [a.assistant_id]);
  assert.equal(await client.assistants.count({ name: `ECHO BOT ${tag}` }), 1);
  const t1 = await client.threads.create();
  await client.runs.wait(t1.thread_id, a.assistant_id, { input: one });
  assert.equal((await client.threads.get(t1.thread_id)).metadata.assistant_id, a.assistant_id);
  const b = await client.assistants.create({ graphId: "agent" });
  const t2 = await client.threads.create();
  await client.runs.wait(t2.thread_id, b.assistant_id, { input: one });
  await client.assistants.delete(b.assistant_id);
  assert.equal((await client.threads.get(t2.thread_id)).thread_id, t2.thread_id, "without delete_threads the threads stay");
  const del = await call("DELETE", `/assistants/${a.assistant_id}?delete_threads=true`);
  assert.equal(del.status, 204);
  assert.equal((await call("GET", `/threads/${t1.thread_id}`)).status, 404);
  const again = await call("DELETE", `/assistants/${a.assistant_id}`);
  assert.equal(again.status, 404);
  assert.equal(again.json.detail, `Assistant with ID ${a.assistant_id} not found`);
});

await step("404s say what was not found", async () => {
  const x = rid();
  const t = await client.threads.create();
  const cases = [
    ["GET", `/assistants/${x}`, `Assistant ${x} not found`],
    ["PATCH", `/assistants/${x}`, `Assistant ${x} not found`],
    ["GET", `/threads/${x}`, `Thread with ID ${x} not found`],
    ["GET", `/threads/${x}/state`, `Thread with ID ${x} not found`],
    ["POST", `/threads/${x}/history`, `Thread with ID ${x} not found`],
    ["GET", `/threads/${x}/runs`, `Thread with ID ${x} not found`],
    ["GET", `/threads/${t.thread_id}/runs/${x}`, `Run ${x} not found`],
    ["DELETE", `/threads/${t.thread_id}/runs/${x}`, "Run not found"],
  ];
  for (const [method, path, detail] of cases) {
    const r = await call(method, path, method === "GET" || method === "DELETE" ? undefined : {});
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.json.detail, detail, `${method} ${path}`);
  }
  const run = await call("POST", `/threads/${x}/runs`, { assistant_id: "agent" });
  assert.equal(run.status, 404);
  assert.match(run.json.detail, /^Thread or assistant not found\./);
  const copy = await call("POST", `/threads/${x}/copy`);
  assert.equal(copy.status, 409);
});

await step("a run writes the checkpoints a real graph does", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "agent", { input: one });
  const h = await client.threads.getHistory(t.thread_id);
  assert.deepEqual(h.map((s) => s.metadata.step), [1, 0, -1]);
  assert.deepEqual(h.map((s) => s.metadata.source), ["loop", "loop", "input"]);
  assert.deepEqual(h.map((s) => s.next), [[], ["echo"], ["__start__"]]);
  assert.deepEqual(h.map((s) => s.values.messages.length), [2, 1, 0]);
  assert.equal(h[0].parent_checkpoint.checkpoint_id, h[1].checkpoint.checkpoint_id);
  assert.equal(h[1].parent_checkpoint.checkpoint_id, h[2].checkpoint.checkpoint_id);
  assert.equal(h[2].parent_checkpoint, null);
  assert.deepEqual(Object.keys(h[0]), ["values", "next", "tasks", "metadata", "created_at", "checkpoint", "parent_checkpoint", "interrupts", "checkpoint_id", "parent_checkpoint_id"]);
  const task = h[1].tasks[0];
  assert.deepEqual(Object.keys(task), ["id", "name", "path", "error", "interrupts", "checkpoint", "state", "result"]);
  assert.equal(task.name, "echo");
  assert.deepEqual(task.path, ["__pregel_pull", "echo"]);
  assert.equal(task.result.messages[0].content, "one");
  assert.equal(h[2].tasks[0].name, "__start__");
  assert.equal(h[0].metadata.thread_id, t.thread_id);
  const fresh = await client.threads.create();
  assert.deepEqual(await client.threads.getState(fresh.thread_id), {
    values: {}, next: [], tasks: [], metadata: null, created_at: null, checkpoint: null, parent_checkpoint: null,
    interrupts: [], checkpoint_id: null, parent_checkpoint_id: null,
  });
});

await step("history filters: limit, before, metadata, checkpoint", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "agent", { input: one, metadata: { round: 1 } });
  await client.runs.wait(t.thread_id, "agent", { input: one, metadata: { round: 2 } });
  const all = await client.threads.getHistory(t.thread_id, { limit: 100 });
  assert.equal(all.length, 6);
  assert.equal((await client.threads.getHistory(t.thread_id, { limit: 2 })).length, 2);
  assert.equal((await call("POST", `/threads/${t.thread_id}/history`, {})).json.length, 1, "the raw API's limit is 1");
  const before = await client.threads.getHistory(t.thread_id, { before: all[1].checkpoint.checkpoint_id });
  assert.deepEqual(before.map((s) => s.checkpoint.checkpoint_id), all.slice(2).map((s) => s.checkpoint.checkpoint_id));
  const beforeObj = await client.threads.getHistory(t.thread_id, { before: { checkpoint_id: all[3].checkpoint.checkpoint_id } });
  assert.equal(beforeObj.length, 2);
  const round1 = await client.threads.getHistory(t.thread_id, { metadata: { round: 1 } });
  assert.deepEqual(round1.map((s) => s.checkpoint.checkpoint_id), all.slice(3).map((s) => s.checkpoint.checkpoint_id));
  assert.equal((await client.threads.getHistory(t.thread_id, { metadata: { source: "input" } })).length, 2);
  const only = await client.threads.getHistory(t.thread_id, { checkpoint: { checkpoint_id: all[4].checkpoint.checkpoint_id } });
  assert.deepEqual(only, [all[4]]);
  const get = await call("GET", `/threads/${t.thread_id}/history?limit=3&before=${all[0].checkpoint.checkpoint_id}`);
  assert.deepEqual(get.json.map((s) => s.checkpoint.checkpoint_id), all.slice(1, 4).map((s) => s.checkpoint.checkpoint_id));
});

await step("state at a checkpoint (GET and POST), PATCH state is not a route", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "agent", { input: one });
  const h = await client.threads.getHistory(t.thread_id);
  assert.deepEqual(await client.threads.getState(t.thread_id, h[1].checkpoint.checkpoint_id), h[1]);
  assert.deepEqual(await client.threads.getState(t.thread_id, h[2].checkpoint), h[2]);
  const missing = rid();
  const empty = await client.threads.getState(t.thread_id, missing);
  assert.deepEqual(empty.values, {});
  assert.equal(empty.checkpoint.checkpoint_id, missing);
  const patch = await call("PATCH", `/threads/${t.thread_id}/state`, { metadata: { a: 1 } });
  assert.equal(patch.status, 405);
  assert.match(patch.headers.get("allow"), /GET/);
  assert.match(patch.headers.get("allow"), /POST/);
});

await step("debug, checkpoints and tasks modes in the platform's order", async () => {
  const t = await client.threads.create();
  const chunks = await gather(client.runs.stream(t.thread_id, "agent", { input: one, streamMode: ["debug", "checkpoints", "tasks"] }));
  const debug = chunks.filter((c) => c.event === "debug").map((c) => c.data);
  assert.deepEqual(debug.map((d) => `${d.type}@${d.step}`), ["checkpoint@-1", "checkpoint@0", "task@1", "task_result@1", "checkpoint@1"]);
  assert.deepEqual(Object.keys(debug[0]), ["step", "timestamp", "type", "payload"]);
  assert.deepEqual(Object.keys(debug[0].payload), ["config", "parent_config", "values", "metadata", "next", "tasks", "checkpoint", "parent_checkpoint"]);
  assert.deepEqual(debug[2].payload.triggers, ["branch:to:echo"]);
  assert.deepEqual(Object.keys(debug[3].payload.result), ["messages"]); // writes folded by channel
  assert.equal(debug[3].payload.result.messages.at(-1).type, "ai");
  const ckpts = chunks.filter((c) => c.event === "checkpoints").map((c) => c.data);
  assert.deepEqual(ckpts.map((c) => c.next), [["__start__"], ["echo"], []]);
  const tasks = chunks.filter((c) => c.event === "tasks").map((c) => c.data);
  assert.deepEqual(tasks.map((x) => Object.keys(x)), [["id", "name", "input", "triggers"], ["id", "name", "error", "result", "interrupts"]]);
  const h = await client.threads.getHistory(t.thread_id);
  assert.deepEqual(debug.filter((d) => d.type === "checkpoint").map((d) => d.payload.checkpoint), h.reverse().map((s) => s.checkpoint));
});

await step("an interrupted thread: tasks with interrupts; updates keep it interrupted", async () => {
  const t = await client.threads.create();
  const res = await client.runs.wait(t.thread_id, "agent", { input: one, config: { configurable: { interrupt: "approve?" } } });
  assert.equal(res.__interrupt__[0].value, "approve?");
  const st = await client.threads.getState(t.thread_id);
  assert.deepEqual(st.next, ["echo"]);
  assert.equal(st.tasks[0].interrupts[0].value, "approve?");
  assert.deepEqual(st.interrupts, st.tasks[0].interrupts);
  const th = await client.threads.get(t.thread_id);
  assert.equal(th.status, "interrupted");
  assert.deepEqual(th.interrupts, { [st.tasks[0].id]: st.tasks[0].interrupts });
  const upd = await client.threads.updateState(t.thread_id, { values: { note: "x" } });
  assert.deepEqual(Object.keys(upd), ["checkpoint", "configurable", "checkpoint_id"]);
  assert.deepEqual(Object.keys(upd.checkpoint), ["thread_id", "checkpoint_ns", "checkpoint_id"]);
  const after = await client.threads.getState(t.thread_id);
  assert.deepEqual(after.next, ["echo"]);
  assert.equal(after.tasks[0].name, "echo");
  assert.equal(after.metadata.source, "update");
  assert.equal(after.values.note, "x");
  assert.equal((await client.threads.get(t.thread_id)).status, "interrupted");
  await client.threads.updateState(t.thread_id, { values: { note: "y" }, asNode: "echo" });
  assert.deepEqual((await client.threads.getState(t.thread_id)).next, []);
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
});

await step("a message with an existing id replaces it; 409 while a run is in flight", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "agent", { input: { messages: [msg("first", "m1")] } });
  await client.threads.updateState(t.thread_id, { values: { messages: [msg("REPLACED", "m1")] } });
  const st = await client.threads.getState(t.thread_id);
  assert.deepEqual(st.values.messages.map((m) => [m.id, m.content]), [["m1", "REPLACED"], [st.values.messages[1].id, "first"]]);
  await client.runs.create(t.thread_id, "agent", { input: one, config: { configurable: { sleep_ms: 400 } } });
  const busy = await call("POST", `/threads/${t.thread_id}/state`, { values: { x: 1 } });
  assert.equal(busy.status, 409);
  assert.match(busy.json.detail, /has in-flight runs/);
  const noGraph = await client.threads.create();
  const r = await call("POST", `/threads/${noGraph.thread_id}/state`, { values: { x: 1 } });
  assert.equal(r.status, 400);
  assert.match(r.json.detail, /has no assigned graph ID/);
});

await step("command.update and command.goto", async () => {
  const t = await client.threads.create();
  const out = await client.runs.wait(t.thread_id, "agent", { command: { update: { messages: [msg("cmd")] }, goto: "echo" } });
  assert.deepEqual(out.messages.map((m) => m.content), ["cmd", "cmd"]);
  const h = await client.threads.getHistory(t.thread_id);
  assert.deepEqual(h.map((s) => [s.metadata.source, s.next]), [["loop", []], ["input", ["echo"]]]);
  const again = await client.runs.wait(t.thread_id, "agent", { command: { goto: "echo" } });
  assert.equal(again.messages.length, 3, "goto runs echo again");
  const upd = await client.runs.wait(t.thread_id, "agent", { command: { update: { flag: true } } });
  assert.equal(upd.flag, true);
  assert.equal(upd.messages.length, 3);
  const bad = await call("POST", `/threads/${t.thread_id}/runs`, { assistant_id: "agent", command: { goto: "nowhere" } });
  assert.equal(bad.status, 400);
});

await step("POST /threads with supersteps builds the history it describes", async () => {
  const th = await client.threads.create({
    graphId: "agent",
    supersteps: [
      { updates: [{ asNode: "__input__", values: { messages: [msg("a")] } }] },
      { updates: [{ asNode: "__start__", values: { messages: [msg("a", "a1")] } }] },
      { updates: [{ asNode: "echo", values: { messages: [{ type: "ai", content: "b" }] } }] },
    ],
  });
  assert.equal(th.status, "idle");
  const h = await client.threads.getHistory(th.thread_id);
  assert.deepEqual(h.map((s) => [s.metadata.source, s.metadata.step, s.next, s.values.messages.map((m) => m.content)]), [
    ["update", 1, [], ["a", "b"]], ["update", 0, ["echo"], ["a"]], ["input", -1, ["__start__"], []],
  ]);
  const partial = await call("POST", "/threads", { supersteps: [{ updates: [{ values: { x: 1 }, as_node: "echo" }] }] });
  assert.equal(partial.status, 201);
  assert.match(partial.json.detail, /was created, but there were problems updating the state/);
});

await step("config.recursion_limit is enforced", async () => {
  const t = await client.threads.create();
  const chunks = await gather(client.runs.stream(t.thread_id, "agent", { input: one, config: { recursion_limit: 1 } }));
  assert.equal(chunks.at(-1).event, "error");
  assert.equal(chunks.at(-1).data.error, "GraphRecursionError");
  assert.match(chunks.at(-1).data.message, /^Recursion limit of 1 reached without hitting a stop condition/);
  const th = await client.threads.get(t.thread_id);
  assert.equal(th.status, "error");
  assert.equal(th.error.error, "GraphRecursionError");
  const ok = await client.runs.wait(t.thread_id, "agent", { input: one, config: { recursion_limit: 2 } });
  assert.equal(ok.messages.at(-1).content, "one");
  const bad = await call("POST", `/threads/${t.thread_id}/runs`, { assistant_id: "agent", config: { recursion_limit: 0 } });
  assert.equal(bad.status, 422);
});

await step("an assistant's context reaches its runs", async () => {
  const a = await client.assistants.create({ graphId: "agent", context: { fail: "failed from the assistant's context" } });
  assert.deepEqual(a.config.configurable, { fail: "failed from the assistant's context" });
  const t = await client.threads.create();
  let runId;
  await assert.rejects(client.runs.wait(t.thread_id, a.assistant_id, { input: one, onRunCreated: (m) => (runId = m.run_id) }), /failed from the assistant's context/);
  const run = await client.runs.get(t.thread_id, runId);
  assert.equal(run.kwargs.context.fail, "failed from the assistant's context");
  const both = await call("POST", `/threads/${t.thread_id}/runs`, { assistant_id: "agent", context: { a: 1 }, config: { configurable: { b: 2 } } });
  assert.equal(both.status, 400);
  const merged = await client.runs.create(t.thread_id, a.assistant_id, { input: one, context: { extra: 1 } });
  assert.deepEqual(merged.kwargs.context, { fail: "failed from the assistant's context", extra: 1 });
});

await step("Last-Event-ID -1 replays a resumable stream from the start", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "agent", { input: one, streamResumable: true, streamMode: ["values", "updates"] });
  await client.runs.join(t.thread_id, run.run_id);
  const all = await gather(client.runs.joinStream(t.thread_id, run.run_id, { lastEventId: "-1" }));
  assert.deepEqual(all.map((c) => c.event), ["metadata", "values", "updates", "values"]);
  assert.deepEqual(all.map((c) => c.id), ["1", "2", "3", "4"]);
  const rest = await gather(client.runs.joinStream(t.thread_id, run.run_id, { lastEventId: "2" }));
  assert.deepEqual(rest.map((c) => c.id), ["3", "4"]);
  const mixed = await client.runs.create(t.thread_id, "agent", { input: one, streamResumable: true, streamMode: ["messages", "values"] });
  await client.runs.join(t.thread_id, mixed.run_id);
  const onlyMessages = await gather(client.runs.joinStream(t.thread_id, mixed.run_id, { lastEventId: "-1", streamMode: ["messages"] }));
  assert.deepEqual(onlyMessages.map((c) => c.event), ["metadata", "messages/metadata", "messages/partial", "messages/complete"]);
});

await step("the [messages, values] stream ends with messages/complete", async () => {
  const chunks = await gather(client.runs.stream(null, "agent", { input: one, streamMode: ["messages", "values"] }));
  assert.deepEqual(chunks.map((c) => c.event), ["metadata", "values", "messages/metadata", "messages/partial", "values", "messages/complete"]);
  assert.equal(chunks.at(-1).data[0].content, "one");
});

await step("the thread's join stream: run events, run_done, state updates", async () => {
  const t = await client.threads.create();
  const ctl = new AbortController();
  const seen = [];
  const reading = (async () => {
    try {
      // The default, run_modes, leaves state updates out.
      for await (const c of client.threads.joinStream(t.thread_id, { signal: ctl.signal, streamMode: ["run_modes", "state_update"] })) seen.push(c);
    } catch (e) { if (!ctl.signal.aborted) throw e; }
  })();
  await sleep(100);
  const run = await client.runs.create(t.thread_id, "agent", { input: one, streamResumable: true });
  await client.runs.join(t.thread_id, run.run_id);
  await client.threads.updateState(t.thread_id, { values: { note: "n" } });
  await waitFor(() => seen.some((c) => c.event === "state_update"), "state_update on the thread stream");
  ctl.abort();
  await reading;
  const names = seen.map((c) => c.event);
  assert.deepEqual(names.slice(0, 2), ["metadata", "values"]);
  assert.deepEqual(seen.find((c) => c.event === "metadata" && c.data.status === "run_done").data, { status: "run_done", run_id: run.run_id });
  assert.equal(seen.at(-1).data.thread_id, t.thread_id);
  assert.equal(seen.at(-1).data.state.values.note, "n");
  for (const c of seen) assert.match(c.id, /^\d+-\d+$/);
  // Replay from the start: the resumable run's events, in order.
  const ctl2 = new AbortController();
  const replay = [];
  const r2 = (async () => {
    try {
      for await (const c of client.threads.joinStream(t.thread_id, { signal: ctl2.signal, lastEventId: "0-0" })) replay.push(c);
    } catch (e) { if (!ctl2.signal.aborted) throw e; }
  })();
  await waitFor(() => replay.length >= 3, "replayed events");
  ctl2.abort();
  await r2;
  assert.deepEqual(replay.slice(0, 3).map((c) => [c.event, c.id]), seen.slice(0, 3).map((c) => [c.event, c.id]));
  // lifecycle (the platform's stream_modes parameter): a run's first event and its end.
  const life = await fetch(`${apiUrl}/threads/${t.thread_id}/stream?stream_modes=lifecycle`, { headers: { "Last-Event-ID": "0" } });
  const reader = life.body.getReader();
  let text = "";
  while (!text.includes("run_done")) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  assert.deepEqual([...text.matchAll(/^event: (.*)\r$/gm)].map((m) => m[1]), ["metadata", "metadata"]);
  const bad = await call("GET", `/threads/${t.thread_id}/stream`, undefined, { "Last-Event-ID": "-1" });
  assert.equal(bad.status, 422);
  const badMode = await call("GET", `/threads/${t.thread_id}/stream?stream_modes=nope`);
  assert.equal(badMode.status, 422);
});

await step("the store API: put, get, search, namespaces, delete", async () => {
  const root = rid();
  await client.store.putItem([root, "users", "u1"], "prefs", { theme: "dark", n: 3 });
  await client.store.putItem([root, "users", "u2"], "prefs", { theme: "light", n: 5 });
  await client.store.putItem([root, "docs"], "d1", { theme: "dark", n: 7 });
  const item = await client.store.getItem([root, "users", "u1"], "prefs");
  assert.deepEqual(Object.keys(item).slice(0, 5), ["namespace", "key", "value", "created_at", "updated_at"]);
  assert.deepEqual(item.value, { theme: "dark", n: 3 });
  assert.equal(await client.store.getItem([root, "users", "u1"], "nope"), null);
  const users = await client.store.searchItems([root, "users"]);
  assert.equal(users.items.length, 2);
  assert.equal(users.items[0].score, null);
  assert.deepEqual((await client.store.searchItems([root], { filter: { theme: "dark" } })).items.map((i) => i.key).sort(), ["d1", "prefs"]);
  assert.equal((await client.store.searchItems([root], { filter: { n: { $gt: 4 } } })).items.length, 2);
  assert.equal((await client.store.searchItems([root], { limit: 1 })).items.length, 1);
  assert.equal((await client.store.searchItems([root], { limit: 2, offset: 2 })).items.length, 1);
  assert.deepEqual((await client.store.listNamespaces({ prefix: [root] })).namespaces,
    [[root, "docs"], [root, "users", "u1"], [root, "users", "u2"]]);
  assert.deepEqual((await client.store.listNamespaces({ prefix: [root], maxDepth: 2 })).namespaces, [[root, "docs"], [root, "users"]]);
  assert.deepEqual((await client.store.listNamespaces({ prefix: [root, "*", "u2"] })).namespaces, [[root, "users", "u2"]]);
  assert.deepEqual((await client.store.listNamespaces({ prefix: [root], suffix: ["u1"] })).namespaces, [[root, "users", "u1"]]);
  await client.store.deleteItem([root, "docs"], "d1");
  assert.equal(await client.store.getItem([root, "docs"], "d1"), null);
  const period = await call("PUT", "/store/items", { namespace: ["a.b"], key: "k", value: {} });
  assert.equal(period.status, 422);
  assert.match(period.json.detail, /Namespace label 'a.b' must be a non-empty string without periods/);
  assert.equal((await call("PUT", "/store/items", { namespace: [], key: "k", value: {} })).status, 400);
  assert.equal((await call("PUT", "/store/items", { namespace: ["langgraph", "x"], key: "k", value: {} })).status, 400);
  assert.equal((await call("PUT", "/store/items", { namespace: ["x"], key: "k", value: 5 })).status, 422);
  assert.equal((await call("GET", `/store/items?namespace=${root}.docs`)).status, 400);
  assert.equal((await call("DELETE", "/store/items", { namespace: [root], key: "never" })).status, 204);
});

await step("a stateless run's thread is visible while the run exists", async () => {
  const tag = rid();
  const run = await client.runs.create(null, "agent", { input: one, metadata: { tag }, config: { configurable: { sleep_ms: 500 } } });
  const th = await client.threads.get(run.thread_id);
  assert.equal(th.status, "busy");
  assert.equal(th.metadata.tag, tag);
  assert.equal(th.metadata.graph_id, "agent");
  assert.deepEqual((await client.threads.search({ metadata: { tag } })).map((x) => x.thread_id), [run.thread_id]);
  assert.equal(await client.threads.count({ metadata: { tag } }), 1);
  assert.deepEqual((await client.runs.list(run.thread_id)).map((r) => r.run_id), [run.run_id]);
  assert.equal(run.kwargs.temporary, true);
  await client.runs.join(run.thread_id, run.run_id);
  assert.equal((await call("GET", `/threads/${run.thread_id}`)).status, 404, "the temporary thread went with its run");
  assert.equal((await client.threads.search({ metadata: { tag } })).length, 0);
  // runs.create does not send onCompletion: the raw API does.
  const kept = (await call("POST", "/runs", { assistant_id: "agent", input: one, on_completion: "keep" })).json;
  await client.runs.join(kept.thread_id, kept.run_id);
  const keptThread = await client.threads.get(kept.thread_id);
  assert.equal(keptThread.status, "idle");
  assert.equal((await client.threads.getHistory(kept.thread_id)).length, 3, "a kept run keeps its checkpoints");
  const wait = await call("POST", "/runs/wait", { assistant_id: "agent", input: one });
  const [, tid, rid2] = wait.headers.get("content-location").match(/^\/threads\/([0-9a-f-]{36})\/runs\/([0-9a-f-]{36})$/);
  assert.equal(wait.headers.get("location"), `/threads/${tid}/runs/${rid2}/join`);
});

// hooklab keeps idle keep-alive connections to our receiver (as any HTTP
// client may): close them, or node waits for their idle timeout to exit.
receiver.closeAllConnections();
receiver.close();
console.log(`${checks} passed, 0 failed`);
process.exit(0);
