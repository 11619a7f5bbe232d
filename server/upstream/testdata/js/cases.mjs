// Drives hooklab in upstream mode with the official LangGraph JS SDK: one
// run (or a few) per case, all cases at once. It prints one JSON line per
// case with the ids it created and what the client saw; the Go test checks
// the webhooks.
// Usage: HOOKLAB_URL=http://127.0.0.1:P HOOK_URL=http://127.0.0.1:R [CASES=a,b] node cases.mjs
import { Client } from "@langchain/langgraph-sdk";

const client = new Client({ apiUrl: process.env.HOOKLAB_URL, callerOptions: { maxRetries: 0 } });
const hookBase = process.env.HOOK_URL;
const hook = (name) => `${hookBase}/${name}`;
const input = (text) => ({ messages: [{ role: "human", content: text }] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitStatus(threadId, runId, status, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await client.runs.get(threadId, runId);
    if (r.status === status) return r;
    await sleep(25);
  }
  throw new Error(`run ${runId} never reached ${status}`);
}

async function collect(gen) {
  const events = [];
  for await (const chunk of gen) events.push(chunk.event);
  return events;
}

const cases = {
  async thread_background() {
    const t = await client.threads.create();
    const r = await client.runs.create(t.thread_id, "agent", { input: input("hello bg"), webhook: hook("thread_background") });
    const got = await client.runs.get(t.thread_id, r.run_id);
    return { runs: [r.run_id], thread: t.thread_id, kwargs_webhook: r.kwargs.webhook, get_webhook: got.kwargs.webhook };
  },
  async thread_wait() {
    const t = await client.threads.create();
    let rid;
    const values = await client.runs.wait(t.thread_id, "agent", {
      input: input("hello wait"), webhook: hook("thread_wait"), onRunCreated: (m) => (rid = m.run_id),
    });
    return { runs: [rid], thread: t.thread_id, last: values.messages.at(-1).content };
  },
  async thread_stream() {
    const t = await client.threads.create();
    let rid;
    const events = await collect(client.runs.stream(t.thread_id, "agent", {
      input: input("hello stream"), streamMode: ["values", "updates"], webhook: hook("thread_stream"), onRunCreated: (m) => (rid = m.run_id),
    }));
    return { runs: [rid], thread: t.thread_id, events };
  },
  async stateless_background() {
    const r = await client.runs.create(null, "agent", { input: input("hello sbg"), webhook: hook("stateless_background") });
    return { runs: [r.run_id], kwargs_webhook: r.kwargs.webhook, temporary: r.kwargs.temporary };
  },
  async stateless_wait() {
    let rid;
    const values = await client.runs.wait(null, "agent", {
      input: input("hello swait"), webhook: hook("stateless_wait"), onRunCreated: (m) => (rid = m.run_id),
    });
    return { runs: [rid], last: values.messages.at(-1).content };
  },
  async stateless_stream() {
    let rid;
    const events = await collect(client.runs.stream(null, "agent", {
      input: input("hello sstream"), webhook: hook("stateless_stream"), onRunCreated: (m) => (rid = m.run_id),
    }));
    return { runs: [rid], events };
  },
  async batch() {
    const runs = await client.runs.createBatch([
      { assistantId: "agent", input: input("batch zero"), webhook: hook("batch0") },
      // createBatch sends each payload as written: snake_case run fields.
      { assistantId: "agent", input: input("FAIL batch one"), webhook: hook("batch1"), on_completion: "keep" },
    ]);
    return { runs: runs.map((r) => r.run_id), temporary: runs.map((r) => r.kwargs.temporary) };
  },
  async error_wait() {
    const t = await client.threads.create();
    let rid, thrown;
    try {
      await client.runs.wait(t.thread_id, "agent", { input: input("FAIL wait"), webhook: hook("error_wait"), onRunCreated: (m) => (rid = m.run_id) });
    } catch (e) {
      thrown = String(e.message);
    }
    return { runs: [rid], thread: t.thread_id, thrown };
  },
  async error_background() {
    const t = await client.threads.create();
    const r = await client.runs.create(t.thread_id, "agent", {
      input: input("fail in review"), config: { configurable: { fail: "review" } }, webhook: hook("error_background"),
    });
    return { runs: [r.run_id], thread: t.thread_id };
  },
  async error_stateless_stream() {
    let rid;
    const events = await collect(client.runs.stream(null, "agent", {
      input: input("FAIL sstream"), webhook: hook("error_stateless_stream"), onRunCreated: (m) => (rid = m.run_id),
    }));
    return { runs: [rid], events };
  },
  async interrupt() {
    const t = await client.threads.create();
    let rid;
    const values = await client.runs.wait(t.thread_id, "agent", {
      input: input("INTERRUPT please"), webhook: hook("interrupt"), onRunCreated: (m) => (rid = m.run_id),
    });
    return { runs: [rid], thread: t.thread_id, interrupted: "__interrupt__" in values };
  },
  async cancel_interrupt() {
    const t = await client.threads.create();
    const r = await client.runs.create(t.thread_id, "agent", {
      input: input("cancel me"), config: { configurable: { agent_sleep_ms: 5000 } }, webhook: hook("cancel_interrupt"),
    });
    await waitStatus(t.thread_id, r.run_id, "running");
    await client.runs.cancel(t.thread_id, r.run_id, false, "interrupt");
    return { runs: [r.run_id], thread: t.thread_id };
  },
  async cancel_rollback() {
    const t = await client.threads.create();
    const r = await client.runs.create(t.thread_id, "agent", {
      input: input("roll me back"), config: { configurable: { agent_sleep_ms: 5000 } }, webhook: hook("cancel_rollback"),
    });
    await waitStatus(t.thread_id, r.run_id, "running");
    await client.runs.cancel(t.thread_id, r.run_id, false, "rollback");
    return { runs: [r.run_id], thread: t.thread_id };
  },
  async multitask_interrupt() {
    const t = await client.threads.create();
    const r1 = await client.runs.create(t.thread_id, "agent", {
      input: input("first"), config: { configurable: { agent_sleep_ms: 5000 } }, webhook: hook("multitask_first"),
    });
    await waitStatus(t.thread_id, r1.run_id, "running");
    const r2 = await client.runs.create(t.thread_id, "agent", {
      input: input("second"), multitaskStrategy: "interrupt", webhook: hook("multitask_second"),
    });
    return { runs: [r1.run_id, r2.run_id], thread: t.thread_id };
  },
  async pending_cancel() {
    const t = await client.threads.create();
    const r1 = await client.runs.create(t.thread_id, "agent", {
      input: input("busy"), config: { configurable: { agent_sleep_ms: 1500 } }, webhook: hook("pending_first"),
    });
    await waitStatus(t.thread_id, r1.run_id, "running");
    const r2 = await client.runs.create(t.thread_id, "agent", {
      input: input("queued"), multitaskStrategy: "enqueue", webhook: hook("pending_second"),
    });
    await client.runs.cancel(t.thread_id, r2.run_id, false, "interrupt");
    return { runs: [r1.run_id, r2.run_id], thread: t.thread_id };
  },
  async stream_disconnect() {
    const t = await client.threads.create();
    const ac = new AbortController();
    let rid;
    try {
      for await (const chunk of client.runs.stream(t.thread_id, "agent", {
        input: input("leave early"), config: { configurable: { agent_sleep_ms: 5000 } }, onDisconnect: "cancel",
        webhook: hook("stream_disconnect"), signal: ac.signal, onRunCreated: (m) => (rid = m.run_id),
      })) {
        if (chunk.event === "values") ac.abort();
      }
    } catch {
      // aborted on purpose
    }
    return { runs: [rid], thread: t.thread_id };
  },
  async receiver_500() {
    const t = await client.threads.create();
    const r = await client.runs.create(t.thread_id, "agent", { input: input("to a failing receiver"), webhook: hook("fail500") });
    return { runs: [r.run_id], thread: t.thread_id };
  },
};

const only = process.env.CASES ? process.env.CASES.split(",") : Object.keys(cases);
let failed = 0;
await Promise.all(only.map(async (name) => {
  const t0 = Date.now();
  try {
    const out = await cases[name]();
    console.log(JSON.stringify({ case: name, ms: Date.now() - t0, ...out }));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ case: name, error: String(e?.stack ?? e) }));
  }
}));
process.exit(failed ? 1 : 0);
