// Real llama.cpp on the tool-caller model with a scripted call: node-llama-cpp's own grammar-constrained
// function calling (QwenChatWrapper) must run exactly the scripted function with exactly the scripted
// arguments, then the model must say exactly the configured answer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defineChatSessionFunction,
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  LlamaText,
  QwenChatWrapper,
  type ChatModelFunctionCall,
  type ChatSessionModelFunctions,
  type Llama,
  type LlamaContext,
  type LlamaModel,
} from "node-llama-cpp";
import { TOOL_CALLER_ANSWER, writeToolCallerModel, type ToolCallerModelOptions } from "../support/models/index.js";

let dir: string;
let llama: Llama;
let modelCount = 0;
/** What a test opened, closed after it (llama.dispose() alone was seen to hang with many left open). */
const contexts: LlamaContext[] = [];
const models: LlamaModel[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "burrow-tool-caller-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.dispose();
  for (const model of models.splice(0)) await model.dispose();
});

afterAll(async () => {
  await llama?.dispose(); // disposes models and contexts too
  await rm(dir, { recursive: true, force: true });
});

/** A tool-caller model for one test (disposed after it). */
async function loadToolCaller(options?: ToolCallerModelOptions): Promise<LlamaModel> {
  const model = await loadToolCallerForSuite(options);
  models.push(model);
  return model;
}

async function loadToolCallerForSuite(options?: ToolCallerModelOptions): Promise<LlamaModel> {
  const info = await writeToolCallerModel(join(dir, `tool-caller-${modelCount++}.gguf`), options);
  return llama.loadModel({ modelPath: info.path });
}

/** A fresh context per session (no shared KV cache); tiny models: one thread is fastest. */
async function newSession(model: LlamaModel): Promise<LlamaChatSession> {
  const context = await model.createContext({ threads: 1, contextSize: 2048 });
  contexts.push(context);
  return new LlamaChatSession({ contextSequence: context.getSequence(), chatWrapper: new QwenChatWrapper() });
}

type Call = readonly [name: string, params: unknown];

/** Burrow's three tools, with the same parameter schemas as agent/agent-functions.ts. */
function burrowFunctions(calls: Call[]) {
  return {
    web_search: defineChatSessionFunction({
      description: "Search the web. Returns numbered results to cite as [n].",
      params: { type: "object", properties: { query: { type: "string", maxLength: 200 } } },
      handler(params) {
        calls.push(["web_search", params]);
        return "[1] Burrow queue — https://example.com/burrow\nHow the job queue works.";
      },
    }),
    read_page: defineChatSessionFunction({
      description: "Read the text of a page from the search results.",
      params: { type: "object", properties: { url: { type: "string", maxLength: 500 } } },
      handler(params) {
        calls.push(["read_page", params]);
        return "The page text.";
      },
    }),
    run_code: defineChatSessionFunction({
      description: "Run Python or JavaScript in an offline sandbox; returns exit code and output.",
      params: {
        type: "object",
        properties: { language: { enum: ["python", "javascript"] }, code: { type: "string", maxLength: 6000 } },
      },
      handler(params) {
        calls.push(["run_code", params]);
        return "Exit code 0 (ok).\nstdout:\nhi\n4";
      },
    }),
  } satisfies ChatSessionModelFunctions;
}

function functionCallsOf(session: LlamaChatSession): ChatModelFunctionCall[] {
  const lastTurn = session.getChatHistory().at(-1);
  if (lastTurn?.type !== "model") return [];
  return lastTurn.response.filter((item): item is ChatModelFunctionCall => typeof item !== "string" && item.type === "functionCall");
}

const SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95 } as const;

describe("tool-caller model with a scripted call", () => {
  const search = { name: "web_search", arguments: { query: "burrow queue" } } as const;
  const cited = "Burrow uses a job queue [1].";
  let searcher: LlamaModel;

  beforeAll(async () => {
    searcher = await loadToolCallerForSuite({ call: search, answer: cited });
  });

  afterAll(async () => {
    await searcher?.dispose();
  });

  it("calls exactly the scripted function with exactly the scripted argument, once, then says the configured answer", async () => {
    const session = await newSession(searcher);
    const calls: Call[] = [];
    const chunks: string[] = [];
    const result = await session.promptWithMeta("How does the burrow queue work?", {
      functions: burrowFunctions(calls),
      onTextChunk: (chunk) => chunks.push(chunk),
    });
    expect(calls).toEqual([["web_search", { query: "burrow queue" }]]);
    expect(result.responseText).toBe(cited);
    expect(result.stopReason).toBe("eogToken");
    expect(chunks.join("")).toBe(cited);
    expect(chunks.filter((c) => c !== "").length).toBeGreaterThanOrEqual(4); // streamed word by word
    const [call, ...more] = functionCallsOf(session);
    expect(more).toEqual([]);
    expect(call).toMatchObject({ name: "web_search", params: { query: "burrow queue" } });
    expect(call?.result).toContain("[1] Burrow queue");
    // The call as it went through the context, formatted the way QwenChatWrapper writes it.
    expect(LlamaText.fromJSON(call!.rawCall!).toString()).toBe('<tool_call>\n{"name": "web_search", "arguments": {"query": "burrow queue"}}\n</tool_call>');
  });

  it("does the same under sampling (temperature 0.8, top-k 40, top-p 0.95) for every seed", async () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const session = await newSession(searcher);
      const calls: Call[] = [];
      const result = await session.promptWithMeta("How does the burrow queue work?", { functions: burrowFunctions(calls), ...SAMPLING, seed });
      expect(calls, `seed ${seed}`).toEqual([["web_search", { query: "burrow queue" }]]);
      expect(result.responseText, `seed ${seed}`).toBe(cited);
      expect(result.stopReason, `seed ${seed}`).toBe("eogToken");
    }
  });

  it("answers a later prompt of the same session without calling: a tool result is already in its context", async () => {
    const session = await newSession(searcher);
    const calls: Call[] = [];
    expect(await session.prompt("First question", { functions: burrowFunctions(calls) })).toBe(cited);
    expect(await session.prompt("Second question", { functions: burrowFunctions(calls), ...SAMPLING })).toBe(cited);
    expect(calls).toEqual([["web_search", { query: "burrow queue" }]]);
  });

  it("writes several arguments exactly, including an enum and a string with quotes and newlines", async () => {
    const code = 'print("hi")\nprint(2 + 2)';
    const model = await loadToolCaller({ call: { name: "run_code", arguments: { language: "python", code } }, answer: "It printed hi and 4." });
    for (const sampling of [{}, { ...SAMPLING, seed: 7 }]) {
      const session = await newSession(model);
      const calls: Call[] = [];
      const result = await session.promptWithMeta("Run some code", { functions: burrowFunctions(calls), ...sampling });
      expect(calls).toEqual([["run_code", { language: "python", code }]]);
      expect(result.responseText).toBe("It printed hi and 4.");
      expect(result.stopReason).toBe("eogToken");
    }
  });

  it("calls read_page with a URL, and the answer may repeat words", async () => {
    const url = "https://example.com/burrow?page=2&lang=en";
    const answer = "I read it. I read all of it.";
    const model = await loadToolCaller({ call: { name: "read_page", arguments: { url } }, answer });
    const session = await newSession(model);
    const calls: Call[] = [];
    const result = await session.promptWithMeta("Read the page", { functions: burrowFunctions(calls), ...SAMPLING, seed: 3 });
    expect(calls).toEqual([["read_page", { url }]]);
    expect(result.responseText).toBe(answer);
    expect(result.stopReason).toBe("eogToken");
  });

  it("writes number, boolean and empty-string arguments, and picks a name that prefixes another function's", async () => {
    const model = await loadToolCaller({ call: { name: "roll", arguments: { sides: 6, twice: true, label: "" } } });
    const calls: Call[] = [];
    const record = (name: string) => (params: unknown) => {
      calls.push([name, params]);
      return "rolled";
    };
    const schema = {
      type: "object",
      properties: { sides: { type: "integer" }, twice: { type: "boolean" }, label: { type: "string" } },
    } as const;
    const functions = {
      roll_many: defineChatSessionFunction({ description: "Roll many dice", params: schema, handler: record("roll_many") }),
      roll: defineChatSessionFunction({ description: "Roll a die", params: schema, handler: record("roll") }),
    };
    const session = await newSession(model);
    const result = await session.promptWithMeta("Roll", { functions, ...SAMPLING, seed: 5 });
    expect(calls).toEqual([["roll", { sides: 6, twice: true, label: "" }]]);
    expect(result.responseText).toBe(TOOL_CALLER_ANSWER);
  });

  it("calls a function that takes no parameters", async () => {
    const model = await loadToolCaller({ call: { name: "now", arguments: {} }, answer: "It is now." });
    const calls: string[] = [];
    const functions = {
      web_search: burrowFunctions([]).web_search,
      now: defineChatSessionFunction({
        description: "The current time",
        handler() {
          calls.push("now");
          return "12:00";
        },
      }),
    };
    const session = await newSession(model);
    const result = await session.promptWithMeta("What time is it?", { functions, ...SAMPLING, seed: 9 });
    expect(calls).toEqual(["now"]);
    expect(result.responseText).toBe("It is now.");
  });

  it("falls back to the grammar's own choice when the scripted arguments do not fit the schema (wrong order here)", async () => {
    const model = await loadToolCaller({ call: { name: "run_code", arguments: { code: "1+1", language: "python" } } });
    const session = await newSession(model);
    const calls: Call[] = [];
    const result = await session.promptWithMeta("Run some code", { functions: burrowFunctions(calls) });
    expect(calls).toHaveLength(1);
    expect(calls[0]).not.toEqual(["run_code", { code: "1+1", language: "python" }]);
    expect(result.responseText).toBe(TOOL_CALLER_ANSWER);
  });

  it("behaves the same with Q8_0 weights", async () => {
    const model = await loadToolCaller({ call: search, answer: cited, dtype: "q8_0" });
    const session = await newSession(model);
    const calls: Call[] = [];
    const result = await session.promptWithMeta("How does the burrow queue work?", { functions: burrowFunctions(calls), ...SAMPLING, seed: 11 });
    expect(calls).toEqual([["web_search", { query: "burrow queue" }]]);
    expect(result.responseText).toBe(cited);
    expect(result.stopReason).toBe("eogToken");
  });
});

describe("tool-caller model that calls forever (calls: Infinity)", () => {
  it("calls the scripted function again after every tool result until stopped", async () => {
    const model = await loadToolCaller({ call: { name: "web_search", arguments: { query: "burrow queue" } }, calls: Infinity });
    const session = await newSession(model);
    const calls: Call[] = [];
    const stop = new AbortController();
    const functions = burrowFunctions(calls);
    const prompt = session.promptWithMeta("Search until told to stop", {
      functions: {
        ...functions,
        web_search: defineChatSessionFunction({
          description: functions.web_search.description,
          params: functions.web_search.params,
          handler(params) {
            calls.push(["web_search", params]);
            // Like JobBudget: refuse, and stop the job once the model keeps calling.
            if (calls.length === 5) stop.abort(new Error("tool-step budget"));
            return "No more tool calls are allowed for this question. Answer now with what you have.";
          },
        }),
      },
      ...SAMPLING,
      signal: stop.signal,
      stopOnAbortSignal: true,
    });
    // node-llama-cpp throws the abort reason even with stopOnAbortSignal when the response has no text yet.
    await expect(prompt).rejects.toThrow("tool-step budget");
    expect(calls).toEqual(Array.from({ length: 5 }, () => ["web_search", { query: "burrow queue" }]));
  });
});

describe("tool-caller model with two scripted calls (then)", () => {
  const search = { name: "web_search", arguments: { query: "burrow notes" } } as const;
  const url = "http://pages.example/notes";
  const marker = "PAGEMARKERZQ";
  const answer = "I read the notes.";

  /** Burrow's functions, with read_page returning `page` (and calling `onRead` after recording the call). */
  function withPage(calls: Call[], page: string, onRead: () => void = () => {}): ChatSessionModelFunctions {
    const functions = burrowFunctions(calls);
    return {
      ...functions,
      read_page: defineChatSessionFunction({
        description: functions.read_page.description,
        params: functions.read_page.params,
        handler(params) {
          calls.push(["read_page", params]);
          onRead();
          return page;
        },
      }),
    };
  }

  it("searches, then reads the scripted page, then answers once the page's marker is in its context", async () => {
    const model = await loadToolCaller({ call: search, then: { call: { name: "read_page", arguments: { url } }, marker }, answer });
    for (const sampling of [{}, { ...SAMPLING, seed: 1 }, { ...SAMPLING, seed: 42 }]) {
      const session = await newSession(model);
      const calls: Call[] = [];
      const result = await session.promptWithMeta("What do the burrow notes say?", { functions: withPage(calls, `Notes.\n\nThe word ${marker} is here.`), ...sampling });
      expect(calls, JSON.stringify(sampling)).toEqual([
        ["web_search", { query: "burrow notes" }],
        ["read_page", { url }],
      ]);
      expect(result.responseText).toBe(answer);
      expect(result.stopReason).toBe("eogToken");
    }
  });

  it("reads again while no result holds the marker: the marker, not a second result, ends the calls", async () => {
    const model = await loadToolCaller({ call: search, then: { call: { name: "read_page", arguments: { url } }, marker }, answer });
    const session = await newSession(model);
    const calls: Call[] = [];
    const stop = new AbortController();
    const functions = withPage(calls, "A page without the word.", () => {
      if (calls.length === 4) stop.abort(new Error("enough reads"));
    });
    const prompt = session.promptWithMeta("What do the burrow notes say?", {
      functions,
      signal: stop.signal,
      stopOnAbortSignal: true,
    });
    await expect(prompt).rejects.toThrow("enough reads");
    expect(calls).toEqual([["web_search", { query: "burrow notes" }], ...Array.from({ length: 3 }, () => ["read_page", { url }])]);
  });
});

describe("tool-caller model options", () => {
  it("keeps the zero-option behaviour: one grammar-chosen call, then TOOL_CALLER_ANSWER", async () => {
    const session = await newSession(await loadToolCaller());
    const calls: Call[] = [];
    const result = await session.promptWithMeta("What is the weather in Paris?", { functions: burrowFunctions(calls) });
    expect(calls).toHaveLength(1);
    expect(result.responseText).toBe(TOOL_CALLER_ANSWER);
    expect(result.stopReason).toBe("eogToken");
  });

  it("reports what it was built with", async () => {
    const info = await writeToolCallerModel(join(dir, "info.gguf"), { call: { name: "run_code", arguments: { language: "python", code: "1+1" } } });
    expect(info).toMatchObject({ answer: TOOL_CALLER_ANSWER, calls: 1, argumentsText: '{"language": "python", "code": "1+1"}' });
    const plain = await writeToolCallerModel(join(dir, "plain.gguf"));
    expect(plain).toMatchObject({ answer: TOOL_CALLER_ANSWER, calls: 1, call: undefined, argumentsText: undefined });
  });

  it("rejects what it cannot script", async () => {
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { calls: 2 })).rejects.toThrow(/calls must be 1 or Infinity/);
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { answer: "" })).rejects.toThrow(/answer/);
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { call: { name: "two words", arguments: {} } })).rejects.toThrow(/function name/);
    const read = { name: "read_page", arguments: { url: "http://a.example/" } };
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { then: { call: read, marker: "M" } })).rejects.toThrow(/first call/);
    const search = { name: "web_search", arguments: { query: "q" } };
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { call: search, then: { call: { ...search, arguments: { query: "r" } }, marker: "M" } })).rejects.toThrow(/different functions/);
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { call: read, then: { call: { name: "open", arguments: { url: "x" } }, marker: "M" } })).rejects.toThrow(/start differently/);
    await expect(writeToolCallerModel(join(dir, "bad.gguf"), { call: search, then: { call: read, marker: "M" }, calls: Infinity })).rejects.toThrow(/Infinity/);
  });
});
