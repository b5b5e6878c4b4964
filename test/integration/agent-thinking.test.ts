// The agent on real llama.cpp with a scripted THINKING model (test/support/models/thinker-model.ts): the
// model writes a thought between <think> and </think>, then its answer. The user must never see the thought,
// must be told "thinking…" before the answer, and BURROW_THOUGHT_TOKENS must bound a thought that would
// never end.
//
// What node-llama-cpp 3.21.1 does (read in dist/evaluator/LlamaChat/LlamaChat.js, asserted below):
// - QwenChatWrapper's thought segment is "<think>\n" … "\n</think>". Its triggers keep only CONTROL/EOG tokens
//   as token ids; <think> is a USER_DEFINED token (Qwen3 declares it a non-special added token), so the
//   triggers are plain TEXT, and "<think>\n" spelled with ordinary tokens opens the segment just as well.
// - Budget: after each generated token, `handleBudgetTriggers` compares the thought segment's token count with
//   `budgets.thoughtTokens`; at `count >= budget` it closes the segment (a segment-end chunk), re-renders the
//   context with the thought closed by the wrapper's suffix "\n</think>" — written by node-llama-cpp, not by
//   the model — and lets the model go on to its answer. No error, no special stop reason: the prompt ends
//   normally (here at <|im_end|>, "eogToken"). Thought tokens count toward maxTokens like any others.
//   The count starts once the segment is open, so budget 0 still lets through any text that came in the
//   same token as "<think>\n" (a real Qwen3 writes "<think>" and "\n" as separate tokens: an empty thought).
import { join } from "node:path";
import { getLlama, LlamaChatSession, LlamaLogLevel, QwenChatWrapper } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, type AgentOptions } from "../../agent/agent.js";
import { systemPromptFor } from "../../agent/prompts.js";
import { ModelEngine } from "../../models/engine.js";
import type { Agent, AgentEvent, ChatRequest } from "../../src/contracts.js";
import { silentLogger } from "../../src/log.js";
import {
  FOREVER_THOUGHT_FIRST,
  FOREVER_THOUGHT_WORD,
  THINK_FOREVER,
  writeThinkerModel,
  type ThinkerModelInfo,
  type ThinkerModelOptions,
} from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

const tmp = makeTempDir("burrow-thinking-");
let modelCount = 0;
afterAll(() => tmp.remove());

const THOUGHT = "Let me plan the reply.";
const ANSWER = "The answer is four.";
const QUESTION = "What is 2 + 2?";
/** With this word in the question the models think forever (`foreverMarker`): one model, both behaviours. */
const ENDLESS = "endlessly";
const ENDLESS_QUESTION = `What is 2 + 2? Think about it ${ENDLESS}.`;
/** Words only the thought contains: none of them may reach the user. */
const THOUGHT_WORDS = ["Let", "plan", "reply", FOREVER_THOUGHT_FIRST];

async function writeModel(options: ThinkerModelOptions): Promise<ThinkerModelInfo> {
  return writeThinkerModel(join(tmp.path, `thinker-${++modelCount}.gguf`), options);
}

/**
 * One model and one engine for a describe block, stopped after it: starting an engine (getLlama tests its
 * binary in a child process) costs ~1 s, a job on these models ~20 ms. One engine is open at a time (two
 * during the test that reads node-llama-cpp's context directly).
 */
function useThinker(options: ThinkerModelOptions) {
  let engine: ModelEngine | undefined;
  let info: ThinkerModelInfo | undefined;
  beforeAll(async () => {
    info = await writeModel(options);
    engine = new ModelEngine({ modelPath: info.path, threads: 1, contextSize: 4096, logger: silentLogger() });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    engine = undefined;
  });
  const started = (): ModelEngine => {
    if (!engine) throw new Error("engine not started");
    return engine;
  };
  return {
    get info(): ThinkerModelInfo {
      if (!info) throw new Error("model not written");
      return info;
    },
    agent: (overrides: Partial<AgentOptions> = {}) =>
      createAgent({
        engine: started(),
        tools: { unavailable: new Map() },
        maxTokens: 256,
        temperature: 0.7,
        maxToolSteps: 0,
        timeoutMs: 60_000,
        thoughtTokens: 512,
        fixRounds: 0,
        pageTokens: 500,
        ...overrides,
      }),
    /** One prompt straight on the engine, collecting what it reports as thought and as answer text. */
    prompt: async (thoughtTokens: number, question = QUESTION) => {
      const chat = await started().openChat({ systemPrompt: "Think first.", history: [] });
      const thought: string[] = [];
      const text: string[] = [];
      try {
        const result = await chat.prompt(question, {
          maxTokens: 200,
          temperature: 0.7,
          thoughtTokens,
          onThought: (t) => thought.push(t),
          onText: (t) => text.push(t),
        });
        return { result, thought: thought.join(""), text: text.join("") };
      } finally {
        chat.dispose();
      }
    },
  };
}

const request = (text: string): ChatRequest => ({ platform: "terminal", chatId: "t", userId: "u", text, attachments: [], kind: "chat", createdAt: Date.now() });
const ctx = () => ({ jobId: "job-1", history: [], signal: new AbortController().signal });

async function ask(agent: Agent, text = QUESTION): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of agent(request(text), ctx())) events.push(event);
  return events;
}

const deltas = (events: AgentEvent[]) => events.filter((e): e is Extract<AgentEvent, { type: "delta" }> => e.type === "delta").map((e) => e.text);
const done = (events: AgentEvent[]) => events.at(-1) as Extract<AgentEvent, { type: "done" }>;
/** The event types in order, runs of deltas collapsed: ["thinking", "delta", "done"]. */
const shape = (events: AgentEvent[]) => events.map((e) => e.type).filter((type, i, all) => type !== "delta" || all[i - 1] !== "delta");

/** Nothing of the thought in any delta, in the final answer, or as a tag. */
function expectNoThought(events: AgentEvent[]): void {
  for (const text of [...deltas(events), deltas(events).join(""), done(events).answer]) {
    for (const word of [...THOUGHT_WORDS, "think>"]) expect(text, `"${word}" leaked into ${JSON.stringify(text)}`).not.toContain(word);
  }
}

const CUT_OFF_40 = "[Answer cut off at the 40-token limit (BURROW_MAX_TOKENS).]";

describe("a Qwen3-style thinker: <think> special tokens, on their own lines", () => {
  const model = useThinker({ thought: THOUGHT, answer: ANSWER, specialTags: true, foreverMarker: ENDLESS });

  it("hides the thought, says it is thinking before the answer, and streams only the answer", async () => {
    expect(model.info.tokens?.slice(0, 2)).toEqual(["<think>", "\nLet"]); // the special token, as Qwen3 writes it
    const events = await ask(model.agent());
    expect(shape(events)).toEqual(["thinking", "delta", "done"]);
    expect(events[0]).toEqual({ type: "thinking", text: "thinking…" });
    expect(deltas(events).join("")).toBe(ANSWER);
    expect(done(events)).toMatchObject({ answer: ANSWER, sources: [] });
    expectNoThought(events);
  });

  it("the engine reports the thought only through onThought, and the answer text without it", async () => {
    const { result, thought, text } = await model.prompt(512);
    expect(thought).toBe(THOUGHT);
    expect(text).toBe(`\n\n${ANSWER}`);
    expect(result).toMatchObject({ text: `\n\n${ANSWER}`, stopReason: "eogToken" });
  });

  it("BURROW_THOUGHT_TOKENS ends an endless thought: node-llama-cpp closes it and the model answers", async () => {
    const events = await ask(model.agent({ thoughtTokens: 8 }), ENDLESS_QUESTION);
    expect(shape(events)).toEqual(["thinking", "delta", "done"]);
    expect(done(events).answer).toBe(ANSWER); // no "[Answer cut off …]" note: the answer ended by itself
    expect(deltas(events).join("")).toBe(ANSWER);
    expectNoThought(events);
  });

  it.each([1, 3, 8])("thoughtTokens %i: the thought is cut after exactly that many tokens, then the answer follows", async (budget) => {
    const { result, thought, text } = await model.prompt(budget, ENDLESS_QUESTION);
    // The first word and budget − 1 repeats, one token each: the thought holds exactly `budget` tokens.
    expect(thought).toBe(FOREVER_THOUGHT_FIRST + FOREVER_THOUGHT_WORD.repeat(budget - 1));
    // The model leaves its loop only after a </think> token, which it never writes itself: node-llama-cpp
    // put it there. Then it answers and ends its turn normally.
    expect(text).toBe(`\n\n${ANSWER}`);
    expect(result).toMatchObject({ text: `\n\n${ANSWER}`, stopReason: "eogToken" });
  });

  it("an endless thought with a budget larger than maxTokens runs into maxTokens, still hidden", async () => {
    const events = await ask(model.agent({ thoughtTokens: 10_000, maxTokens: 40 }), ENDLESS_QUESTION);
    expect(events.filter((e) => e.type === "thinking")).toHaveLength(1);
    expect(done(events).answer.trim()).toBe(CUT_OFF_40);
    expect(deltas(events).join("").trim()).toBe(CUT_OFF_40);
    expectNoThought(events);
  });

  // BUG (agent/agent.ts, runJob): when the thought uses up maxTokens the answer is empty, and the note is
  // appended after "\n\n" anyway, so the only message the user gets starts with two blank lines:
  // "\n\n[Answer cut off at the 40-token limit (BURROW_MAX_TOKENS).]" (in the stream and in done.answer).
  // emitText strips leading blank lines for exactly this reason, but the ending is pushed around it.
  // Fix: separate the ending from the answer only when there is an answer, e.g.
  //   const separator = answer.trim() === "" ? "" : "\n\n";
  //   const ending = (notes.length > 0 ? `${separator}${notes.join("\n")}` : "") + footer;
  // Remove `.fails` once fixed.
  it("when the thought uses up maxTokens, the message does not start with blank lines", async () => {
    const events = await ask(model.agent({ thoughtTokens: 10_000, maxTokens: 40 }), ENDLESS_QUESTION);
    expect(deltas(events).join("")).toBe(deltas(events).join("").trimStart());
    expect(done(events).answer).toBe(done(events).answer.trimStart());
  });

  it("at the budget node-llama-cpp writes \\n</think> (the special token) into the model's context", async () => {
    // Straight on node-llama-cpp, set up as models/engine.ts does, to read the evaluated context; on a model
    // that always thinks forever (no marker needed).
    const info = await writeModel({ thought: THINK_FOREVER, answer: ANSWER, specialTags: true });
    expect(info.tokens).toBeUndefined();
    expect(info.foreverTokens).toEqual(["<think>", `\n${FOREVER_THOUGHT_FIRST}`, FOREVER_THOUGHT_WORD]);
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    try {
      const llamaModel = await llama.loadModel({ modelPath: info.path });
      const context = await llamaModel.createContext({ threads: 1, contextSize: 4096, sequences: 1 });
      const sequence = context.getSequence();
      const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), autoDisposeSequence: false });
      const chunks: string[] = [];
      const result = await session.promptWithMeta(QUESTION, {
        maxTokens: 200,
        budgets: { thoughtTokens: 3 },
        onResponseChunk: (chunk) => {
          if (chunk.type === "segment") chunks.push(chunk.segmentStartTime ? "[thought:" : chunk.segmentEndTime ? "]" : chunk.text);
          else chunks.push(chunk.text);
        },
      });
      const thought = FOREVER_THOUGHT_FIRST + FOREVER_THOUGHT_WORD.repeat(2);
      // A segment start, the thought, a segment end when the budget is reached, then the answer.
      expect(chunks.join("")).toBe(`[thought:${thought}]\n\n${ANSWER}`);
      expect(result.stopReason).toBe("eogToken");
      expect(result.response).toMatchObject(["", { type: "segment", segmentType: "thought", text: thought, ended: true }, `\n\n${ANSWER}`]);
      const tokens = sequence.contextTokens;
      expect(llamaModel.detokenize(tokens, true).endsWith(`<|im_start|>assistant\n<think>\n${thought}\n</think>\n\n${ANSWER}`)).toBe(true);
      const close = llamaModel.tokenize("</think>", true);
      expect(close).toHaveLength(1);
      const at = tokens.lastIndexOf(close[0]!);
      expect(llamaModel.detokenize(tokens.slice(at - 1, at), true)).toBe("\n");
      expect(llamaModel.detokenize(tokens.slice(at + 1), true)).toBe(`\n\n${ANSWER}`);
    } finally {
      await llama.dispose();
    }
  });
});

describe("plain-text tags (a model without thought tokens, asked to plan between <think> and </think> lines)", () => {
  it("the agent's system prompt asks for the plan on lines between <think> and </think>", () => {
    expect(systemPromptFor({ unavailable: new Map() })).toContain("between a <think> line and a </think> line");
  });

  describe("inline, in ordinary tokens", () => {
    const model = useThinker({ thought: THOUGHT, answer: ANSWER, specialTags: false, layout: "inline", foreverMarker: ENDLESS });

    it("reaches the agent as answer text, and its thought filter removes the thought", async () => {
      expect(model.info.fullText).toBe(`<think>${THOUGHT}</think>${ANSWER}`);
      expect(model.info.tokens).not.toContain("<think>"); // "<" "think" ">" "Let" …: ordinary tokens only
      const { thought, text } = await model.prompt(512);
      expect(thought).toBe(""); // not a node-llama-cpp segment: that needs "<think>\n"
      expect(text).toBe(model.info.fullText);
      const events = await ask(model.agent());
      expect(shape(events)).toEqual(["thinking", "delta", "done"]);
      expect(events[0]).toEqual({ type: "thinking", text: "thinking…" });
      expect(deltas(events).join("")).toBe(ANSWER);
      expect(done(events).answer).toBe(ANSWER);
      expectNoThought(events);
    });

    it("an endless one stays hidden but is not bounded by thoughtTokens: it runs to maxTokens", async () => {
      const events = await ask(model.agent({ thoughtTokens: 8, maxTokens: 40 }), ENDLESS_QUESTION);
      expect(events.filter((e) => e.type === "thinking")).toHaveLength(1);
      expect(done(events).answer.trim()).toBe(CUT_OFF_40);
      expectNoThought(events);
    });
  });

  describe("on their own lines, in ordinary tokens", () => {
    const model = useThinker({ thought: THOUGHT, answer: ANSWER, specialTags: false, foreverMarker: ENDLESS });

    it("are a node-llama-cpp thought segment all the same: its triggers match text", async () => {
      expect(model.info.tokens?.slice(0, 4)).toEqual(["<", "think", ">", "\nLet"]);
      expect(model.info.fullText).toBe(`<think>\n${THOUGHT}\n</think>\n\n${ANSWER}`);
      const { thought, text } = await model.prompt(512);
      expect(thought).toBe(THOUGHT);
      expect(text).toBe(`\n\n${ANSWER}`);
    });

    it("the agent hides the thought and says it is thinking", async () => {
      const events = await ask(model.agent());
      expect(shape(events)).toEqual(["thinking", "delta", "done"]);
      expect(deltas(events).join("")).toBe(ANSWER);
      expect(done(events).answer).toBe(ANSWER);
      expectNoThought(events);
    });

    it("an endless one is bounded by thoughtTokens like a Qwen3 thought", async () => {
      const { thought, text } = await model.prompt(3, ENDLESS_QUESTION);
      expect(thought).toBe(FOREVER_THOUGHT_FIRST + FOREVER_THOUGHT_WORD.repeat(2));
      expect(text).toBe(`\n\n${ANSWER}`);
      const events = await ask(model.agent({ thoughtTokens: 8 }), ENDLESS_QUESTION);
      expect(shape(events)).toEqual(["thinking", "delta", "done"]);
      expect(done(events).answer).toBe(ANSWER);
      expectNoThought(events);
    });
  });
});
