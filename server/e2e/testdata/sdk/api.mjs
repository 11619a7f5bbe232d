// The LangGraph API test suite, written for hooklab after the one the
// LangGraph JS server is tested with: the same cases, in the same style
// (describe/it, the official JS SDK), for every case that checks the API's
// behaviour rather than one particular graph's nodes. Every graph id of the
// langgraph.json the server runs with (agent, agent_simple, weather, error,
// delay) is served by the echo graph (START -> echo -> END, answering with
// the last message's content), so expectations about the reply are the
// echo graph's. Cases that need another graph's own nodes are left out;
// the Go test that runs this file lists them.
//
// The server is shared and never truncated: each case makes its own
// objects and scopes its searches by a metadata tag of its own.
//
// Usage: HOOKLAB_URL=http://127.0.0.1:PORT node --test api.mjs
import { Client } from "@langchain/langgraph-sdk";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

const apiUrl = process.env.HOOKLAB_URL;
if (!apiUrl) throw new Error("set HOOKLAB_URL");
const client = new Client({ apiUrl, callerOptions: { maxRetries: 0 } });

const gather = async (it) => {
  const out = [];
  for await (const c of it) out.push(c);
  return out;
};
const findLast = (list, pred) => [...list].reverse().find(pred);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const human = (content, id) => ({ type: "human", content, ...(id ? { id } : {}) });
// The echo graph's controls (sleep_ms, fail, interrupt) go in configurable.
const slow = (ms) => ({ configurable: { sleep_ms: ms } });
// A subset match, as toMatchObject: every key of want is in have, equal.
function assertMatch(have, want, path = "value") {
  if (want === null || typeof want !== "object") return assert.deepEqual(have, want, path);
  assert.ok(have !== null && typeof have === "object", `${path}: ${JSON.stringify(have)} is not an object`);
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(have), `${path} is not an array`);
    assert.equal(have.length, want.length, `${path} length`);
  }
  for (const [k, v] of Object.entries(want)) assertMatch(have[k], v, `${path}.${k}`);
}
const rejectsWith = (promise, status) => assert.rejects(promise, (e) => {
  assert.equal(e.status, status, String(e));
  return true;
});
const pollRun = async (threadId, runId) => {
  for (let i = 0; i < 600; i++) {
    const run = await client.runs.get(threadId, runId);
    if (run.status !== "pending" && run.status !== "running") return run.status;
    await sleep(20);
  }
  throw new Error("run never ended");
};

describe("assistants", () => {
  it("config from env", async () => {
    // LANGGRAPH_CONFIG in langgraph.json's env sets the system assistant's config.
    const found = await client.assistants.search({ graphId: "agent", metadata: { created_by: "system" } });
    assert.equal(found.length, 1);
    assertMatch(found[0].config, { configurable: { model_name: "openai" } });
  });

  it("create read update delete", async () => {
    const config = { configurable: { model_name: "gpt" } };
    let res = await client.assistants.create({ graphId: "agent", config });
    assertMatch(res, { graph_id: "agent", config });
    const metadata = { name: "woof" };
    await client.assistants.update(res.assistant_id, { graphId: "agent", metadata });
    res = await client.assistants.get(res.assistant_id);
    assertMatch(res, { graph_id: "agent", config, metadata });
    await client.assistants.delete(res.assistant_id);
    await assert.rejects(client.assistants.get(res.assistant_id), (e) => {
      assert.equal(e.status, 404);
      assert.match(e.message, new RegExp(`Assistant ${res.assistant_id} not found`));
      return true;
    });
  });

  it("schemas", async () => {
    const config = { configurable: { model: "openai" } };
    let res = await client.assistants.create({ graphId: "agent", config });
    res = await client.assistants.get(res.assistant_id);
    assertMatch(res, { graph_id: "agent", config });
    const graph = await client.assistants.getGraph(res.assistant_id);
    assert.deepEqual(graph.nodes.map((n) => n.id), ["__start__", "echo", "__end__"]);
    assertMatch(graph.nodes[1], { type: "runnable", data: { name: "echo" } });
    assert.deepEqual(graph.edges, [{ source: "__start__", target: "echo" }, { source: "echo", target: "__end__" }]);
    const schemas = await client.assistants.getSchemas(res.assistant_id);
    assert.notEqual(schemas.input_schema, null);
    assert.notEqual(schemas.output_schema, null);
    assertMatch(schemas.config_schema, { type: "object", properties: { sleep_ms: { type: "number" } } });
    // As the upstream suite expects of its graphs' schemas.
    assert.equal(schemas.config_schema.$schema, "http://json-schema.org/draft-07/schema#");
    assert.equal(schemas.state_schema.$schema, "http://json-schema.org/draft-07/schema#");
    assertMatch(schemas.state_schema, { type: "object", properties: { messages: { type: "array" } } });
    await client.assistants.delete(res.assistant_id);
    await rejectsWith(client.assistants.get(res.assistant_id), 404);
  });

  it("list assistants", async () => {
    let search = await client.assistants.search();
    assert.ok(search.length >= 1);
    const create = await client.assistants.create({ graphId: "agent" });
    search = await client.assistants.search({ graphId: "agent" });
    assert.ok(search.length >= 2);
    assert.ok(search.every((a) => a.graph_id === "agent"));
    search = await client.assistants.search({ metadata: { created_by: "system" } });
    assert.ok(search.length >= 1);
    assert.ok(search.every((a) => a.assistant_id !== create.assistant_id));
  });

  it("get assistant versions", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    assertMatch(await client.assistants.getVersions(assistant.assistant_id), [{ version: 1 }]);
    await client.assistants.update(assistant.assistant_id, { config: { configurable: { foo: "bar" } } });
    assertMatch(await client.assistants.getVersions(assistant.assistant_id), [
      { version: 2, config: { configurable: { foo: "bar" } } },
      { version: 1 },
    ]);
    assertMatch(await client.assistants.getVersions(assistant.assistant_id, { limit: 1 }), [{ version: 2 }]);
    assertMatch(await client.assistants.getVersions(assistant.assistant_id, { offset: 1 }), [{ version: 1 }]);
    await client.assistants.update(assistant.assistant_id, { metadata: { foo: "baz" } });
    assertMatch(await client.assistants.getVersions(assistant.assistant_id, { metadata: { foo: "baz" } }), [{ version: 3 }]);
    await client.assistants.update(assistant.assistant_id, {});
    assertMatch(await client.assistants.getVersions(assistant.assistant_id), [
      { version: 4 }, { version: 3 }, { version: 2 }, { version: 1 },
    ]);
    await client.assistants.delete(assistant.assistant_id);
    await rejectsWith(client.assistants.getVersions(assistant.assistant_id), 404);
  });

  it("set latest version", async () => {
    const created = await client.assistants.create({ graphId: "agent" });
    const updated = await client.assistants.update(created.assistant_id, {});
    assert.equal(updated.version, 2);
    const changed = await client.assistants.setLatest(created.assistant_id, 1);
    assert.equal(changed.version, 1);
    const again = await client.assistants.update(created.assistant_id, {});
    assert.equal(again.version, 3);
    await rejectsWith(client.assistants.setLatest(created.assistant_id, 4), 404);
  });

  it("assistant name", async () => {
    let search = await client.assistants.search({ graphId: "agent", metadata: { created_by: "system" } });
    assert.equal(search.length, 1);
    assert.equal(search[0].name, "agent");
    const tag = randomUUID();
    const assistant = await client.assistants.create({ graphId: "agent", name: "woof", metadata: { tag } });
    assert.equal(assistant.name, "woof");
    search = (await client.assistants.search({ graphId: "agent", metadata: { tag }, limit: 100 })).filter((a) => a.name === "woof");
    assert.equal(search.length, 1);
  });
});

describe("threads crud", () => {
  it("create, read, update, delete thread", async () => {
    const tag = randomUUID();
    const metadata = { name: "test_thread", tag };
    const one = await client.threads.create({ metadata });
    assert.deepEqual(one.metadata, metadata);
    let get = await client.threads.get(one.thread_id);
    assert.equal(get.thread_id, one.thread_id);
    assert.deepEqual(get.metadata, metadata);
    await client.threads.update(one.thread_id, { metadata: { modified: true } });
    get = await client.threads.get(one.thread_id);
    assert.deepEqual(get.metadata, { ...metadata, modified: true });
    const two = await client.threads.create({ metadata: { name: "another_thread", tag } });
    let search = await client.threads.search({ metadata: { tag } });
    assert.deepEqual(search.map((t) => t.thread_id), [two.thread_id, one.thread_id]);
    search = await client.threads.search({ metadata: { tag, modified: true } });
    assert.deepEqual(search.map((t) => t.thread_id), [one.thread_id]);
    await client.threads.delete(one.thread_id);
    search = await client.threads.search({ metadata: { tag } });
    assert.deepEqual(search.map((t) => t.thread_id), [two.thread_id]);
  });

  it("list threads", async () => {
    const tag = randomUUID();
    assert.equal((await client.threads.search({ metadata: { tag } })).length, 0);
    const first = await client.threads.create({ metadata: { tag } });
    let search = await client.threads.search({ metadata: { tag } });
    assert.deepEqual(search.map((t) => t.thread_id), [first.thread_id]);
    const second = await client.threads.create({ metadata: { tag, name: "test_thread" } });
    search = await client.threads.search({ metadata: { tag } });
    assert.equal(search.length, 2);
    assert.equal(search[0].thread_id, second.thread_id);
    search = await client.threads.search({ metadata: { tag, name: "test_thread" } });
    assert.deepEqual(search.map((t) => t.thread_id), [second.thread_id]);
    search = await client.threads.search({ metadata: { tag }, offset: 1, limit: 1 });
    assert.deepEqual(search.map((t) => t.thread_id), [first.thread_id]);
    search = await client.threads.search({ metadata: { tag }, sortBy: "created_at", sortOrder: "asc" });
    assert.deepEqual(search.map((t) => t.thread_id), [first.thread_id, second.thread_id]);
    search = await client.threads.search({ metadata: { tag }, sortBy: "created_at", sortOrder: "desc" });
    assert.deepEqual(search.map((t) => t.thread_id), [second.thread_id, first.thread_id]);
  });

  it("update state while run in flight", async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "agent_simple", { input: { messages: [human("foo")] }, afterSeconds: 2 });
    const update = () => client.threads.updateState(thread.thread_id, {
      values: { messages: [{ type: "ai", content: "One must imagine Sisyphus happy." }] }, asNode: "echo",
    });
    await rejectsWith(update(), 409);
    await client.runs.cancel(thread.thread_id, run.run_id);
    assert.ok(!JSON.stringify(await client.threads.getState(thread.thread_id)).includes("Sisyphus"));
    await client.runs.join(thread.thread_id, run.run_id);
    assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, "interrupted");
    assert.equal((await client.threads.get(thread.thread_id)).status, "idle");
    await update();
    assert.ok(JSON.stringify(await client.threads.getState(thread.thread_id)).includes("Sisyphus"));
  });
});

describe("threads copy", () => {
  const withThread = (x, id) => (x ? { ...x, thread_id: id } : null);

  it("copy", async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, "agent", { input: { messages: [human("foo")] } });
    const state = await client.threads.getState(thread.thread_id);
    const copied = await client.threads.copy(thread.thread_id);
    const copiedState = await client.threads.getState(copied.thread_id);
    assert.deepEqual(copiedState, {
      ...state,
      metadata: { ...state.metadata, thread_id: copied.thread_id },
      checkpoint: withThread(state.checkpoint, copied.thread_id),
      parent_checkpoint: withThread(state.parent_checkpoint, copied.thread_id),
    });
    const original = await client.threads.getHistory(thread.thread_id);
    const copiedHistory = await client.threads.getHistory(copied.thread_id);
    assert.equal(copiedHistory.length, original.length);
    original.forEach((o, i) => assert.deepEqual(copiedHistory[i], {
      ...o,
      metadata: { ...o.metadata, thread_id: copied.thread_id },
      checkpoint: withThread(o.checkpoint, copied.thread_id),
      parent_checkpoint: withThread(o.parent_checkpoint, copied.thread_id),
    }));
  });

  it("copy runs", async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, "agent", { input: { messages: [human("foo")] } });
    const originalState = await client.threads.getState(thread.thread_id);
    const copied = await client.threads.copy(thread.thread_id);
    await client.runs.wait(copied.thread_id, "agent", { input: { messages: [human("bar")] } });
    const copiedState = await client.threads.getState(copied.thread_id);
    assert.deepEqual(copiedState.values.messages.map((m) => m.content), ["foo", "foo", "bar", "bar"]);
    assert.deepEqual(await client.threads.getState(thread.thread_id), originalState);
  });

  it("get thread history", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    assert.equal((await client.threads.getHistory(thread.thread_id)).length, 0);
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo")] } });
    const history = await client.threads.getHistory(thread.thread_id);
    assert.equal(history.length, 3); // input, after __start__, after echo
    assert.equal(history[0].values.messages.length, 2);
    assert.equal(history[0].next.length, 0);
    assert.deepEqual(history.at(-1).next, ["__start__"]);
    const runMetadata = { run_metadata: "run_metadata" };
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { messages: [human("bar")] }, metadata: runMetadata });
    const full = await client.threads.getHistory(thread.thread_id);
    const filtered = await client.threads.getHistory(thread.thread_id, { metadata: runMetadata });
    assert.equal(full.length, 6);
    assert.equal(full.at(-1).values.messages.length, 0);
    assert.equal(filtered.length, 3);
    assert.equal(filtered.at(-1).values.messages.length, 2);
  });

  it("copy update", async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, "agent", { input: { messages: [human("foo", "initial-message")] } });
    const originalState = await client.threads.getState(thread.thread_id);
    const copied = await client.threads.copy(thread.thread_id);
    await client.threads.updateState(copied.thread_id, { values: { messages: [human("bar", "initial-message")] } });
    const copiedState = await client.threads.getState(copied.thread_id);
    assert.equal(copiedState.values.messages[0].content, "bar");
    assert.deepEqual(await client.threads.getState(thread.thread_id), originalState);
  });
});

describe("runs", () => {
  const input = { messages: [human("foo", "initial-message")] };

  it("list runs", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input });
    const pending = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("bar")] }, afterSeconds: 10 });
    assert.equal((await client.runs.list(thread.thread_id)).length, 2);
    assert.equal((await client.runs.list(thread.thread_id, { status: "pending" })).length, 1);
    await client.runs.cancel(thread.thread_id, pending.run_id);
    assert.equal((await client.runs.list(thread.thread_id, { status: "interrupted" })).length, 1);
  });

  it("stream values", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    let runId = null;
    let previous = [];
    const seen = new Set();
    let chunk;
    for await (chunk of client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: "values" })) {
      seen.add(chunk.event);
      if (chunk.event === "metadata") runId = chunk.data.run_id;
      if (chunk.event === "values") {
        const ids = chunk.data.messages.map((m) => m.id);
        assert.deepEqual(ids.slice(0, -1), previous);
        previous = ids;
      }
    }
    assert.equal(chunk.event, "values");
    assert.deepEqual(seen, new Set(["metadata", "values"]));
    assert.equal((await client.runs.get(thread.thread_id, runId)).status, "success");
    assert.ok((await client.threads.getHistory(thread.thread_id)).length > 1);
  });

  it("wait error", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    await assert.rejects(client.runs.wait(thread.thread_id, assistant.assistant_id, { input, config: { recursion_limit: 1 } }), /GraphRecursionError/);
    assert.equal((await client.threads.get(thread.thread_id)).status, "error");
  });

  it("wait", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const values = await client.runs.wait(thread.thread_id, assistant.assistant_id, { input });
    assert.ok(Array.isArray(values.messages));
    assert.equal((await client.threads.get(thread.thread_id)).status, "idle");
  });

  it("stream updates", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: "updates" }));
    assert.deepEqual(chunks.filter((c) => c.event === "updates").map((c) => Object.keys(c.data)[0]), ["echo"]);
    assert.equal(chunks.at(-1).event, "updates");
    assert.deepEqual(new Set(chunks.map((c) => c.event)), new Set(["metadata", "updates"]));
    const runId = chunks[0].data.run_id;
    assert.equal((await client.runs.get(thread.thread_id, runId)).status, "success");
  });

  it("stream events", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const events = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: "events" }));
    assert.deepEqual(new Set(events.map((e) => e.event)), new Set(["metadata", "events"]));
    const kinds = new Set(events.filter((e) => e.event === "events").map((e) => e.data.event));
    for (const k of ["on_chain_start", "on_chain_end"]) assert.ok(kinds.has(k), `events has ${k}: ${[...kinds]}`);
  });

  it("stream messages", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const seen = new Set();
    const partial = {};
    let last = null;
    let chunk;
    for await (chunk of client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: "messages" })) {
      seen.add(chunk.event);
      if (chunk.event === "messages/partial") partial[chunk.data[0].id] = chunk.data[0].content;
      if (chunk.event === "messages/complete") {
        const m = chunk.data[0];
        assert.notEqual(m.content, null);
        if (m.type === "ai") assert.equal(m.content, partial[m.id]);
        last = m;
      }
    }
    assert.equal(last.content, "foo");
    assert.equal(chunk.event, "messages/complete");
    assert.deepEqual(seen, new Set(["metadata", "messages/metadata", "messages/partial", "messages/complete"]));
  });

  it("stream messages tuple", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: "messages-tuple" }));
    const messages = chunks.filter((c) => c.event === "messages").map((c) => c.data[0]);
    assertMatch(messages, [{ content: "foo" }]);
    assert.deepEqual(new Set(chunks.map((c) => c.event)), new Set(["metadata", "messages"]));
    const runId = findLast(chunks, (c) => c.event === "metadata").data.run_id;
    assert.equal((await client.runs.get(thread.thread_id, runId)).status, "success");
  });

  it("stream mixed modes", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, streamMode: ["messages", "values"] }));
    assert.equal(chunks.at(-1).event, "messages/complete");
    assert.equal(chunks.filter((c) => c.event === "error").length, 0);
    const messages = findLast(chunks, (c) => c.event === "values").data.messages;
    assert.equal(messages.length, 2);
    assert.equal(messages.at(-1).content, "foo");
    assert.deepEqual(new Set(chunks.map((c) => c.event)),
      new Set(["metadata", "messages/metadata", "messages/partial", "messages/complete", "values"]));
  });

  it("human in the loop - no modification", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    let chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, interruptBefore: ["echo"] }));
    assert.equal(chunks.filter((c) => c.event === "error").length, 0);
    let messages = findLast(chunks, (c) => c.event === "values" && "messages" in c.data).data.messages;
    assert.equal((await client.threads.get(thread.thread_id)).status, "interrupted");
    assert.equal(messages.at(-1).content, "foo");
    assert.deepEqual((await client.threads.getState(thread.thread_id)).next, ["echo"]);
    chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input: null }));
    assert.equal(chunks.filter((c) => c.event === "error").length, 0);
    messages = findLast(chunks, (c) => c.event === "values").data.messages;
    assert.equal(messages.length, 2);
    assert.equal(messages.at(-1).content, "foo");
    assert.equal((await client.threads.get(thread.thread_id)).status, "idle");
  });

  it("human in the loop - modification", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    let chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input, interruptBefore: ["echo"] }));
    assert.equal(chunks.filter((c) => c.event === "error").length, 0);
    const last = findLast(chunks, (c) => c.event === "values" && "messages" in c.data).data.messages.at(-1);
    last.content = "modified";
    await client.threads.updateState(thread.thread_id, { values: { messages: [last] } });
    await client.threads.update(thread.thread_id, { metadata: { modified: true } });
    const modified = await client.threads.get(thread.thread_id);
    assert.equal(modified.status, "interrupted");
    assert.equal(modified.metadata.modified, true);
    const state = await client.threads.getState(thread.thread_id);
    assert.equal(state.values.messages.at(-1).content, "modified");
    assert.deepEqual(state.next, ["echo"]);
    assertMatch(state.tasks, [{ name: "echo", error: null, interrupts: [] }]);
    assert.equal(typeof state.tasks[0].id, "string");
    chunks = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input: null }));
    assert.equal((await client.threads.get(thread.thread_id)).status, "idle");
    assert.equal(chunks.filter((c) => c.event === "error").length, 0);
    const messages = findLast(chunks, (c) => c.event === "values").data.messages;
    assert.equal(messages.length, 2);
    assert.equal(messages[1].content, "modified");
    const history = await client.threads.getHistory(thread.thread_id);
    assert.equal(history.length, 4); // input, after __start__, the update, after echo
    assert.equal(history[0].next.length, 0);
    assert.equal(history[0].values.messages.length, 2);
    assert.deepEqual(history.at(-1).next, ["__start__"]);
  });

  it("interrupt before", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input, interruptBefore: ["echo"] });
    assert.equal((await client.threads.get(thread.thread_id)).status, "interrupted");
  });

  it("non-existent graph id", async () => {
    const thread = await client.threads.create();
    await rejectsWith(client.runs.wait(thread.thread_id, "non-existent", { input }), 404);
    await rejectsWith(gather(client.runs.stream(thread.thread_id, "non-existent", { input })), 404);
    // The upstream suite matches the JS server's words.
    await assert.rejects(client.runs.wait(thread.thread_id, "non-existent", { input }), /No assistant found for/);
  });
});

describe("StoreClient", () => {
  it("Should be able to use the store client methods", async () => {
    const namespace = ["inputtedState", randomUUID()];
    await client.store.putItem(namespace, "my_key", { isTrue: true });
    const got = await client.store.getItem(namespace, "my_key");
    assert.deepEqual(got.value, { isTrue: true });
    await client.store.deleteItem(namespace, "my_key");
    assert.equal(await client.store.getItem(namespace, "my_key"), null);
  });

  it("Can put, search, list, get and delete", async () => {
    const root = randomUUID();
    const namespace = [root, "data"];
    const key = randomUUID();
    const value = { foo: "bar" };
    assert.equal((await client.store.searchItems(namespace)).items.length, 0);
    assert.equal((await client.store.listNamespaces({ prefix: [root] })).namespaces.length, 0);
    await client.store.putItem(namespace, key, value);
    assert.deepEqual((await client.store.getItem(namespace, key)).value, value);
    const afterPut = await client.store.searchItems(namespace);
    assert.equal(afterPut.items.length, 1);
    assert.equal(afterPut.items[0].key, key);
    assert.deepEqual(afterPut.items[0].value, value);
    assert.ok(afterPut.items[0].createdAt && afterPut.items[0].updatedAt);
    await sleep(5);
    await client.store.putItem(namespace, key, { foo: "baz" });
    assert.deepEqual((await client.store.getItem(namespace, key)).value, { foo: "baz" });
    const afterUpdate = await client.store.searchItems(namespace);
    assert.equal(afterUpdate.items.length, 1);
    assert.deepEqual(afterUpdate.items[0].value, { foo: "baz" });
    assert.ok(new Date(afterUpdate.items[0].updatedAt).getTime() > new Date(afterPut.items[0].updatedAt).getTime());
    const listed = await client.store.listNamespaces({ prefix: [root] });
    assert.deepEqual(listed.namespaces, [namespace]);
    await client.store.deleteItem(namespace, key);
    assert.equal(await client.store.getItem(namespace, key), null);
    assert.equal((await client.store.searchItems(namespace)).items.length, 0);
  });
});

describe("subgraphs", () => {
  it("get subgraphs", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    assert.deepEqual(await client.assistants.getSubgraphs(assistant.assistant_id), {});
    assert.deepEqual(await client.assistants.getSubgraphs(assistant.assistant_id, { recurse: true }), {});
  });

  it("interrupt inside node", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    let thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, {
      input: { messages: [human("SF", "initial-message")] }, config: { configurable: { interrupt: "i want to interrupt" } },
    });
    const state = await client.threads.getState(thread.thread_id);
    assert.deepEqual(state.next, ["echo"]);
    assertMatch(state.tasks, [{
      name: "echo", path: ["__pregel_pull", "echo"], error: null,
      interrupts: [{ value: "i want to interrupt" }], checkpoint: null, state: null, result: null,
    }]);
    thread = await client.threads.get(thread.thread_id);
    assert.equal(thread.status, "interrupted");
    assertMatch(thread.interrupts, { [state.tasks[0].id]: [{ value: "i want to interrupt" }] });
    const stream = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { command: { resume: "i want to resume" } }));
    assert.equal(stream.at(-1).event, "values");
    assert.equal(stream.at(-1).data.messages.length, 2);
    assert.equal(stream.at(-1).data.messages.at(-1).content, "i want to resume");
  });
});

describe("errors", () => {
  const failing = { input: { messages: [] }, config: { configurable: { sleep_ms: 300, fail: "Boo!" } } };

  it("stream", async () => {
    const assistant = await client.assistants.create({ graphId: "error" });
    const thread = await client.threads.create();
    const stream = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { ...failing, streamMode: ["debug", "events"] }));
    assertMatch(stream.at(-1), { event: "error", data: { error: "ValueError", message: "Boo!" } });
  });

  it("create + join", async () => {
    const assistant = await client.assistants.create({ graphId: "error" });
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, assistant.assistant_id, failing);
    await client.runs.join(thread.thread_id, run.run_id);
    assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, "error");
  });

  it("create + stream join", async () => {
    const assistant = await client.assistants.create({ graphId: "error" });
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, assistant.assistant_id, failing);
    const stream = await gather(client.runs.joinStream(thread.thread_id, run.run_id));
    assertMatch(stream.at(-1), { event: "error", data: { error: "ValueError", message: "Boo!" } });
    assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, "error");
  });
});

describe("long running tasks", () => {
  for (const delay of [1000, 6000]) {
    it(`long running task with ${delay}ms delay`, async () => {
      const assistant = await client.assistants.create({ graphId: "delay" });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("done")] }, config: slow(delay) });
      await client.runs.join(thread.thread_id, run.run_id);
      assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, "success");
      const state = await client.threads.getState(thread.thread_id);
      assertMatch(state.values.messages, [{ content: "done" }, { content: "done", type: "ai" }]);
    });
  }
});

describe("command update state", () => {
  it("updates state via commands", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo")] } });
    const stream = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { command: { update: { keyOne: "value3", keyTwo: "value4" } } }));
    assert.deepEqual(stream.filter((c) => c.event === "error"), []);
    assertMatch((await client.threads.getState(thread.thread_id)).values, { keyOne: "value3", keyTwo: "value4" });
  });

  it("list-based updates", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo")] } });
    const stream = await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { command: { update: [["keyOne", "value1"], ["keyTwo", "value2"]] } }));
    assert.deepEqual(stream.filter((c) => c.event === "error"), []);
    assertMatch((await client.threads.getState(thread.thread_id)).values, { keyOne: "value1", keyTwo: "value2" });
  });
});

const checkpointsOf = (chunks) => chunks.filter((c) => c.event === "debug" && c.data.type === "checkpoint").map((c) => c.data.payload);
const ids = (states) => states.map((s) => ({ step: s.metadata?.step, checkpoint: s.checkpoint, parent_checkpoint: s.parent_checkpoint }));

it("stream debug checkpoint", async () => {
  const assistant = await client.assistants.create({ graphId: "weather" });
  const thread = await client.threads.create();
  const stream = checkpointsOf(await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, {
    input: { messages: [human("What's the weather in SF?")] }, streamMode: "debug",
  })));
  const history = (await client.threads.getHistory(thread.thread_id, { limit: stream.length })).reverse();
  assert.deepEqual(ids(stream), ids(history));
});

it("continue after interrupt must have checkpoint present", async () => {
  const assistant = await client.assistants.create({ graphId: "weather" });
  const thread = await client.threads.create();
  const initial = checkpointsOf(await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, {
    input: { messages: [human("What's weather in SF?")] }, streamMode: "debug", interruptBefore: ["echo"],
  })));
  const history = (await client.threads.getHistory(thread.thread_id)).reverse();
  const checkpoint = history.at(-1).checkpoint;
  const resumed = checkpointsOf(await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { streamMode: "debug", checkpoint })));
  const continued = (await client.threads.getHistory(thread.thread_id)).reverse();
  assert.deepEqual(ids([...initial, ...resumed.slice(1)]), ids(continued));
});

describe("multitasking", () => {
  it("multitasking reject", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo")] }, config: slow(1000) });
    await assert.rejects(client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo")] }, multitaskStrategy: "reject" }));
    assert.equal(await pollRun(thread.thread_id, run.run_id), "success");
  });

  it("multitasking interrupt", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const run1 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo", "initial-message-1")] }, config: slow(2000) });
    await sleep(200);
    const run2 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("bar", "initial-message-2")] }, multitaskStrategy: "interrupt" });
    assert.equal(await pollRun(thread.thread_id, run1.run_id), "interrupted");
    assert.equal(await pollRun(thread.thread_id, run2.run_id), "success");
    const messages = (await client.threads.getState(thread.thread_id)).values.messages;
    if (messages.length === 2) assert.equal(messages[0].content, "bar");
    else assert.deepEqual(messages.map((m) => m.content), ["foo", "bar", "bar"]);
  });

  it("multitasking rollback", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const run1 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo", "initial-message-1")] }, config: slow(4000) });
    await sleep(200);
    const run2 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("bar", "initial-message-2")] }, multitaskStrategy: "rollback" });
    await assert.rejects(pollRun(thread.thread_id, run1.run_id));
    assert.equal(await pollRun(thread.thread_id, run2.run_id), "success");
    const messages = (await client.threads.getState(thread.thread_id)).values.messages;
    assert.equal(messages.length, 2);
    assert.equal(messages[0].content, "bar");
  });

  it("multitasking enqueue", async () => {
    const assistant = await client.assistants.create({ graphId: "agent" });
    const thread = await client.threads.create();
    const run1 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("foo", "initial-message-1")] }, config: slow(1000) });
    const run2 = await client.runs.create(thread.thread_id, assistant.assistant_id, { input: { messages: [human("bar", "initial-message-2")] }, multitaskStrategy: "enqueue" });
    assert.equal(await pollRun(thread.thread_id, run1.run_id), "success");
    assert.equal(await pollRun(thread.thread_id, run2.run_id), "success");
    const messages = (await client.threads.getState(thread.thread_id)).values.messages;
    assert.equal(messages.length, 4);
    assert.equal(messages[0].content, "foo");
    assert.equal(messages.at(-2).content, "bar");
  });
});

it("batch update state", async () => {
  const assistant = await client.assistants.create({ graphId: "agent" });
  const thread = await client.threads.create();
  await gather(client.runs.stream(thread.thread_id, assistant.assistant_id, { input: { messages: [{ role: "human", content: "foo" }] } }));
  const history = await client.threads.getHistory(thread.thread_id);
  const supersteps = history.slice().reverse().flatMap((s) => {
    if (s.metadata?.source === "input") {
      const values = s.metadata.writes?.__start__ ?? s.metadata.writes;
      return [{ updates: [{ asNode: "__input__", values }] }, { updates: [{ asNode: "__start__", values }] }];
    }
    return { updates: Object.entries(s.metadata?.writes ?? {}).map(([asNode, values]) => ({ asNode, values })) };
  }).filter((s) => s.updates.length > 0);
  const clone = await client.threads.create({ graphId: "agent", supersteps });
  const newHistory = await client.threads.getHistory(clone.thread_id);
  assert.deepEqual(newHistory.map((s) => s.next), history.map((s) => s.next));
  assertMatch(newHistory.map((s) => s.values.messages.map(({ id, ...m }) => m)), history.map((s) => s.values.messages.map(({ id, ...m }) => m)));
});

it("resumable streams", async () => {
  const assistant = await client.assistants.create({ graphId: "agent" });
  const thread = await client.threads.create();
  let onRunCreated;
  const created = new Promise((r) => (onRunCreated = r));
  const stream = client.runs.stream(thread.thread_id, assistant.assistant_id, {
    input: { messages: [human("input")] }, streamResumable: true, streamMode: ["values", "custom"], config: slow(2000), onRunCreated,
  });
  const [join, source] = await Promise.all([
    (async () => {
      const [{ thread_id, run_id }] = await Promise.all([created, sleep(1000)]);
      return gather(client.runs.joinStream(thread_id, run_id, { lastEventId: "-1" }));
    })(),
    gather(stream),
  ]);
  assert.deepEqual(join, source);
});
