import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationAbortedError, ModelEngine } from "../../models/engine.js";
import { silentLogger } from "../../src/log.js";
import { SENTENCE_REMEMBERED, writeQwen05bShapedModel, writeScriptedChatModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * Long messages are read in chunks so a cancel stops the reading itself (llama.cpp ignores an abort in
 * the middle of evaluating a prompt). Checked by what was evaluated, not by how long it took.
 */
const tmp = makeTempDir("burrow-chunks-");
const LONG_TEXT = "Here is a long document that the user pasted into the chat for the model to read. ".repeat(120);

afterAll(() => tmp.remove());

describe("chunked prompt reading", () => {
  let engine: ModelEngine;
  beforeAll(async () => {
    const model = await writeQwen05bShapedModel(join(tmp.path, "qwen05b.gguf"));
    engine = new ModelEngine({ modelPath: model.path, threads: 2, contextSize: 4096, logger: silentLogger() });
    await engine.start();
  });
  afterAll(async () => engine.stop());

  it("a cancel while a long message is being read stops the reading before the end of the message", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 300);
    const error = await engine
      .generate({ systemPrompt: "You are a test.", history: [], userText: LONG_TEXT, maxTokens: 8, temperature: 0, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationAbortedError);
    const read = engine.heldTokens;
    const total = engine.tokenCount(LONG_TEXT);
    expect(total).toBeGreaterThan(1_000);
    expect(read).toBeLessThan(total);
  });
});

describe("chunked prompt reading, answer unchanged", () => {
  it("gives the same answer as one piece, reading only a few more tokens per chunk", async () => {
    const model = await writeScriptedChatModel(join(tmp.path, "scripted.gguf"));
    const engine = new ModelEngine({ modelPath: model.path, threads: 1, contextSize: 8192, logger: silentLogger() });
    await engine.start();
    try {
      const userText = `${LONG_TEXT} pineapple`;
      const whole = await engine.generate({ systemPrompt: "A.", history: [], userText, maxTokens: 32, temperature: 0.7 });
      const chunked = await engine.generate({ systemPrompt: "B.", history: [], userText, maxTokens: 32, temperature: 0.7, signal: new AbortController().signal });
      expect(whole.text).toBe(SENTENCE_REMEMBERED);
      expect(chunked.text).toBe(SENTENCE_REMEMBERED);
      const chunks = Math.ceil(engine.tokenCount(userText) / 256);
      expect(chunked.promptTokens).toBeGreaterThanOrEqual(whole.promptTokens - 10);
      expect(chunked.promptTokens).toBeLessThanOrEqual(whole.promptTokens + chunks * 12);
    } finally {
      await engine.stop();
    }
  });
});
