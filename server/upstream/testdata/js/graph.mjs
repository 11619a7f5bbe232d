// The test graph hooklab's upstream-mode tests run on the real JS dev server.
// Two nodes, agent then review; each can sleep, throw and interrupt.
//
// Controls, per node N ("agent" or "review"), from config.configurable:
//   N_sleep_ms: sleep that long (aborted when the run is cancelled)
//   fail: N     throw a TypeError in N
//   interrupt: N  call interrupt() in N
// or from the last human message: "FAIL" makes agent throw,
// "INTERRUPT" makes review interrupt, "SLEEP <ms>" makes agent sleep.
import { Annotation, MessagesAnnotation, StateGraph, START, END, interrupt } from "@langchain/langgraph";
import { AIMessage } from "@langchain/core/messages";

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  count: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
});

function lastText(state) {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const m = state.messages[i];
    if (m._getType?.() === "human" || m.type === "human") return typeof m.content === "string" ? m.content : "";
  }
  return "";
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error("aborted"));
    }, { once: true });
  });
}

function node(name) {
  return async (state, config) => {
    const c = config?.configurable ?? {};
    const text = lastText(state);
    let ms = Number(c[`${name}_sleep_ms`] ?? 0);
    const m = /SLEEP (\d+)/.exec(text);
    if (name === "agent" && m) ms = Number(m[1]);
    if (ms > 0) await sleep(ms, config?.signal);
    if (c.fail === name || (name === "agent" && text.includes("FAIL"))) {
      throw new TypeError(`${name} failed on purpose`);
    }
    let note = `${name} saw: ${text}`;
    if (c.interrupt === name || (name === "review" && text.includes("INTERRUPT"))) {
      const answer = interrupt({ question: `${name} asks: approve?` });
      note = `${name} resumed with: ${JSON.stringify(answer)}`;
    }
    return { messages: [new AIMessage(note)], count: 1 };
  };
}

export const graph = new StateGraph(State)
  .addNode("agent", node("agent"))
  .addNode("review", node("review"))
  .addEdge(START, "agent")
  .addEdge("agent", "review")
  .addEdge("review", END)
  .compile();
