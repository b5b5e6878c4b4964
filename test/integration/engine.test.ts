import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { GenerationAbortedError, ModelEngine } from "../../models/engine.js";
import { writeGgufFile } from "../support/gguf/gguf-writer.js";
import {
  FOREVER_WORD,
  SENTENCE_DEFAULT,
  SENTENCE_REMEMBERED,
  buildRandomTinyModel,
  writeScriptedChatModel,
} from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The model engine on real llama.cpp, with the scripted tiny model (exact, known answers). */
const dir = makeTempDir();
const modelPath = join(dir.path, "scripted.gguf");
let engine: ModelEngine;

const generate = (userText: string, history: { role: "user" | "assistant"; text: string }[] = [], extra: { maxTokens?: number; signal?: AbortSignal; onText?: (t: string) => void } = {}) =>
  engine.generate({ systemPrompt: "You are a test.", history, userText, maxTokens: extra.maxTokens ?? 64, temperature: 0.7, signal: extra.signal, onText: extra.onText });

beforeAll(async () => {
  await writeScriptedChatModel(modelPath);
  engine = new ModelEngine({ modelPath, threads: 1, contextSize: 2048, logger: silentLogger() });
  await engine.start();
});
afterAll(async () => {
  await engine.stop();
  dir.remove();
});

describe("model engine", () => {
  it("answers the known sentence exactly, streamed in pieces as it is decoded", async () => {
    const pieces: string[] = [];
    const result = await generate("hello", [], { onText: (t) => pieces.push(t) });
    expect(result.text).toBe(SENTENCE_DEFAULT);
    expect(result.stopReason).toBe("eogToken");
    expect(pieces.filter((p) => p !== "").length).toBeGreaterThanOrEqual(5);
    expect(pieces.join("")).toBe(SENTENCE_DEFAULT);
    expect(result.completionTokens).toBeGreaterThanOrEqual(8);
  });

  it("gives the model the conversation history", async () => {
    const history = [{ role: "user" as const, text: "my fruit is pineapple" }, { role: "assistant" as const, text: "ok" }];
    expect((await generate("what did I say?", history)).text).toBe(SENTENCE_REMEMBERED);
    expect((await generate("what did I say?")).text).toBe(SENTENCE_DEFAULT);
  });

  it("reuses one context across jobs: the shared prefix is not evaluated again", async () => {
    const history = [{ role: "user" as const, text: "a fairly long earlier message, to make the shared prefix longer than the new part" }, { role: "assistant" as const, text: "noted" }];
    await generate("first", history);
    const again = await generate("second", history);
    // The system prompt and history are already in the sequence; only the new turn is read.
    expect(again.promptTokens).toBeGreaterThan(0);
    expect(again.promptTokens).toBeLessThan(15);
  });

  it("stops generating when the signal aborts, and stays usable", async () => {
    const controller = new AbortController();
    let pieces = 0;
    const error = await generate("sing forever", [], {
      maxTokens: 5000,
      signal: controller.signal,
      onText: (text) => {
        expect(text).toBe(FOREVER_WORD);
        if (++pieces === 20) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationAbortedError);
    expect(pieces).toBeLessThan(40);
    expect((await generate("hello")).text).toBe(SENTENCE_DEFAULT);
  });

  it("caps an endless answer at maxTokens", async () => {
    const result = await generate("sing forever", [], { maxTokens: 30 });
    expect(result.stopReason).toBe("maxTokens");
    expect(result.text).toBe(FOREVER_WORD.repeat(30));
  });

  it("uses the thread count and context size it was given (auto threads: see thread-tuning.test.ts)", () => {
    expect(engine.info.threads).toBe(1);
    expect(engine.info.threadChoice).toBe("explicit");
    expect(engine.info.contextSize).toBe(2048);
  });

  it("rejects a malformed model before llama.cpp loads it (this process survives to assert it)", async () => {
    const content = buildRandomTinyModel();
    const path = join(dir.path, "no-ffn.gguf");
    // Without feed_forward_length llama.cpp aborts the whole process (GGML_ASSERT) instead of throwing.
    await writeGgufFile(path, { metadata: content.metadata.filter((e) => e.key !== "qwen2.feed_forward_length"), tensors: content.tensors });
    const broken = new ModelEngine({ modelPath: path, threads: 1, contextSize: 512, logger: silentLogger() });
    const error = await broken.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).message).toContain("lacks the metadata key qwen2.feed_forward_length");
  });
});
