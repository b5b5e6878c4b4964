// Real llama.cpp on the tiny test models: proves the scripted models say exactly what they are scripted to.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defineChatSessionFunction,
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  QwenChatWrapper,
  type ChatHistoryItem,
  type Llama,
  type LlamaModel,
} from "node-llama-cpp";
import {
  buildQwen05bShapedModel,
  FOREVER_WORD,
  MARKER_FOREVER,
  MARKER_REMEMBER,
  QWEN05B_SHAPE,
  SENTENCE_DEFAULT,
  SENTENCE_REMEMBERED,
  TOOL_CALLER_ANSWER,
  writeRandomTinyModel,
  writeScriptedChatModel,
  writeToolCallerModel,
} from "../support/models/index.js";
import { GgmlType, GgufValueType } from "../support/gguf/gguf-types.js";
import { layoutTensors } from "../support/gguf/gguf-writer.js";
import { decodeQ8_0 } from "../support/gguf/tensor-encoding.js";

let dir: string;
let llama: Llama;
let scripted: LlamaModel;
let toolCaller: LlamaModel;
let random: LlamaModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "burrow-tiny-models-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const [scriptedInfo, toolInfo, randomInfo] = await Promise.all([
    writeScriptedChatModel(join(dir, "scripted.gguf")),
    writeToolCallerModel(join(dir, "tool-caller.gguf")),
    writeRandomTinyModel(join(dir, "random.gguf")),
  ]);
  scripted = await llama.loadModel({ modelPath: scriptedInfo.path });
  toolCaller = await llama.loadModel({ modelPath: toolInfo.path });
  random = await llama.loadModel({ modelPath: randomInfo.path });
});

afterAll(async () => {
  await llama?.dispose(); // disposes models and contexts too
  await rm(dir, { recursive: true, force: true });
});

/**
 * A fresh context per session, so no test sees another's KV cache (llama.dispose() frees them all).
 * Tiny models: one thread is fastest.
 */
async function newSession(model: LlamaModel, history?: ChatHistoryItem[]): Promise<LlamaChatSession> {
  const context = await model.createContext({ threads: 1, contextSize: 2048 });
  const session = new LlamaChatSession({ contextSequence: context.getSequence(), chatWrapper: new QwenChatWrapper() });
  if (history) session.setChatHistory(history);
  return session;
}

const historyWith = (userText: string): ChatHistoryItem[] => [
  { type: "system", text: "You are a test assistant." },
  { type: "user", text: userText },
  { type: "model", response: ["Noted."] },
];

const SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95 } as const;
const foreverText = (tokens: number): string => FOREVER_WORD.repeat(tokens);

describe("scripted chat model", () => {
  it("answers SENTENCE_DEFAULT exactly, streamed one word per chunk, and ends its turn", async () => {
    const session = await newSession(scripted);
    const chunks: string[] = [];
    const result = await session.promptWithMeta("Hello, who are you?", { onTextChunk: (chunk) => chunks.push(chunk) });
    expect(result.responseText).toBe(SENTENCE_DEFAULT);
    expect(result.stopReason).toBe("eogToken");
    expect(chunks.filter((c) => c !== "").length).toBeGreaterThanOrEqual(5);
    expect(chunks.join("")).toBe(SENTENCE_DEFAULT);
  });

  it("tokenizes the marker word inside ordinary user text as its single user-defined token", () => {
    const marker = scripted.tokenize(MARKER_REMEMBER);
    expect(marker).toHaveLength(1);
    const tokens = scripted.tokenize(`my fruit is ${MARKER_REMEMBER} ok`); // special-token parsing off, as for user text
    expect(tokens.filter((t) => t === marker[0])).toHaveLength(1);
  });

  it("answers SENTENCE_REMEMBERED when the marker is in an earlier turn of the history", async () => {
    const session = await newSession(scripted, historyWith(`my fruit is ${MARKER_REMEMBER} ok`));
    expect(await session.prompt("What is my fruit?")).toBe(SENTENCE_REMEMBERED);
  });

  it("answers SENTENCE_DEFAULT for the same history without the marker (the marker is what changes it)", async () => {
    const session = await newSession(scripted, historyWith("my fruit is mango ok"));
    expect(await session.prompt("What is my fruit?")).toBe(SENTENCE_DEFAULT);
  });

  it("remembers across turns of one session: a marker sent in the first prompt changes the second answer", async () => {
    const session = await newSession(scripted);
    expect(await session.prompt("Hello")).toBe(SENTENCE_DEFAULT);
    expect(await session.prompt(`I like ${MARKER_REMEMBER}`)).toBe(SENTENCE_REMEMBERED);
    expect(await session.prompt("And now?")).toBe(SENTENCE_REMEMBERED);
  });

  it(`never ends on its own with "${MARKER_FOREVER}" in context: generates until maxTokens`, async () => {
    const session = await newSession(scripted);
    const result = await session.promptWithMeta(`sing ${MARKER_FOREVER}`, { maxTokens: 50 });
    expect(result.stopReason).toBe("maxTokens");
    expect(result.responseText).toBe(foreverText(50));
  });

  it(`"${MARKER_FOREVER}" takes priority over "${MARKER_REMEMBER}"`, async () => {
    const session = await newSession(scripted, historyWith(`my fruit is ${MARKER_REMEMBER} ok`));
    const result = await session.promptWithMeta(`sing ${MARKER_FOREVER}`, { maxTokens: 20 });
    expect(result.stopReason).toBe("maxTokens");
    expect(result.responseText).toBe(foreverText(20));
  });

  it(`stops a "${MARKER_FOREVER}" answer on abort`, async () => {
    const session = await newSession(scripted);
    const controller = new AbortController();
    let tokens = 0;
    const result = await session.promptWithMeta(`sing ${MARKER_FOREVER}`, {
      maxTokens: 10_000,
      signal: controller.signal,
      stopOnAbortSignal: true,
      onToken: (chunk) => {
        tokens += chunk.length;
        if (tokens >= 10) controller.abort();
      },
    });
    expect(result.stopReason).toBe("abort");
    expect(result.responseText.startsWith(foreverText(10))).toBe(true);
    expect(result.responseText.length).toBeLessThan(foreverText(100).length);
  });

  it("gives the same answers with ordinary sampling (temperature 0.8, top-k 40, top-p 0.95)", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const plain = await newSession(scripted);
      expect(await plain.prompt("Hello", { ...SAMPLING, seed })).toBe(SENTENCE_DEFAULT);
      const remembering = await newSession(scripted, historyWith(`my fruit is ${MARKER_REMEMBER} ok`));
      expect(await remembering.prompt("What is my fruit?", { ...SAMPLING, seed })).toBe(SENTENCE_REMEMBERED);
      const looping = await newSession(scripted);
      expect(await looping.prompt(`sing ${MARKER_FOREVER}`, { ...SAMPLING, seed, maxTokens: 30 })).toBe(foreverText(30));
    }
  });

  it.each(["f16", "q8_0"] as const)("behaves identically when its matrices are stored as %s", async (dtype) => {
    const info = await writeScriptedChatModel(join(dir, `scripted-${dtype}.gguf`), { dtype });
    const model = await llama.loadModel({ modelPath: info.path });
    try {
      const context = await model.createContext({ threads: 1, contextSize: 2048 });
      const sequence = context.getSequence();
      const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper() });
      expect(await session.prompt("Hello")).toBe(SENTENCE_DEFAULT);
      expect(await session.prompt(`my fruit is ${MARKER_REMEMBER}`)).toBe(SENTENCE_REMEMBERED);
    } finally {
      await model.dispose();
    }
  });
});

describe("tool-caller model", () => {
  it("makes exactly one function call, then answers TOOL_CALLER_ANSWER and ends its turn", async () => {
    const session = await newSession(toolCaller);
    const calls: unknown[] = [];
    const result = await session.promptWithMeta("What is the weather in Paris?", {
      functions: {
        getWeather: defineChatSessionFunction({
          description: "Get the weather for a city",
          params: { type: "object", properties: { city: { type: "string" } } },
          handler(params) {
            calls.push(params);
            return "sunny";
          },
        }),
      },
    });
    expect(calls).toHaveLength(1);
    expect(result.responseText).toBe(TOOL_CALLER_ANSWER);
    expect(result.stopReason).toBe("eogToken");
    const lastTurn = session.getChatHistory().at(-1);
    expect(lastTurn?.type).toBe("model");
    const functionCalls = lastTurn?.type === "model" ? lastTurn.response.filter((r) => typeof r !== "string" && r.type === "functionCall") : [];
    expect(functionCalls).toMatchObject([{ name: "getWeather", result: "sunny" }]);
  });
});

describe("random tiny model", () => {
  it("loads and generates some text", async () => {
    const session = await newSession(random);
    const result = await session.promptWithMeta("Tell me something.", { maxTokens: 20 });
    expect(result.stopReason).toBe("maxTokens");
    expect(result.responseText.trim().length).toBeGreaterThan(0);
  });
});

describe("Qwen2.5-0.5B-shaped model (descriptors only; the 380 MB file is written by benches, not tests)", () => {
  const content = buildQwen05bShapedModel();
  const byName = new Map(content.tensors.map((t) => [t.name, t]));

  it("has the real Qwen2.5-0.5B layer shapes", () => {
    const { layers, embedding: e, feedForward: ff } = QWEN05B_SHAPE;
    const kv = (e / QWEN05B_SHAPE.heads) * QWEN05B_SHAPE.kvHeads;
    expect([layers, e, QWEN05B_SHAPE.heads, QWEN05B_SHAPE.kvHeads, ff, kv]).toEqual([24, 896, 14, 2, 4864, 128]);
    expect(content.tensors).toHaveLength(3 + 24 * 12);
    for (let layer = 0; layer < layers; layer++) {
      const dims = (role: string): readonly number[] | undefined => byName.get(`blk.${layer}.${role}`)?.dims;
      expect(dims("attn_q.weight")).toEqual([e, e]);
      expect(dims("attn_k.weight")).toEqual([e, kv]);
      expect(dims("attn_v.weight")).toEqual([e, kv]);
      expect(dims("attn_q.bias")).toEqual([e]);
      expect(dims("attn_k.bias")).toEqual([kv]);
      expect(dims("attn_v.bias")).toEqual([kv]);
      expect(dims("attn_output.weight")).toEqual([e, e]);
      expect(dims("ffn_gate.weight")).toEqual([e, ff]);
      expect(dims("ffn_up.weight")).toEqual([e, ff]);
      expect(dims("ffn_down.weight")).toEqual([ff, e]);
    }
    const meta = new Map(content.metadata.map((m) => [m.key, m.value]));
    expect(meta.get("qwen2.context_length")).toMatchObject({ value: 32768 });
    expect(meta.get("qwen2.rope.freq_base")).toMatchObject({ value: 1_000_000 });
    expect(meta.get("qwen2.attention.head_count_kv")).toMatchObject({ value: 2 });
  });

  it("stores every matrix as Q8_0 with rows that are whole blocks, vectors as F32", () => {
    for (const t of content.tensors) {
      if (t.dims.length === 2) {
        expect(t.type, t.name).toBe(GgmlType.Q8_0);
        expect(t.dims[0]! % 32, t.name).toBe(0);
      } else {
        expect(t.type, t.name).toBe(GgmlType.F32);
      }
    }
  });

  it("adds up to a file of about 380 MB", () => {
    const layout = layoutTensors(content.tensors);
    const last = layout.at(-1)!;
    const dataBytes = last.offset + last.byteLength;
    expect(dataBytes).toBeGreaterThan(370e6);
    expect(dataBytes).toBeLessThan(390e6);
  });

  it("keeps the anchor dimension out of the layers and suppresses end-of-turn tokens", async () => {
    const attnOutput = await byName.get("blk.0.attn_output.weight")!.data();
    expect(attnOutput.byteLength).toBe(896 * 896 / 32 * 34);
    const decoded = decodeQ8_0(attnOutput);
    expect(decoded.subarray(0, 896).every((v) => v === 0)).toBe(true); // row 0 writes nothing to the anchor
    expect(decoded.subarray(896, 2 * 896).some((v) => v !== 0)).toBe(true);

    const output = decodeQ8_0(await byName.get("output.weight")!.data());
    const imEnd = content.metadata.find((m) => m.key === "tokenizer.ggml.eos_token_id")?.value;
    const eos = imEnd?.type === GgufValueType.Uint32 ? imEnd.value : -1;
    expect(output[eos * 896]).toBeLessThan(-900);
    expect(output.subarray(eos * 896 + 1, (eos + 1) * 896).every((v) => v === 0)).toBe(true);
  });
});
