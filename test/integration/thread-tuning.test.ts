import { readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelEngine } from "../../models/engine.js";
import { chooseThreads, readThreadChoice } from "../../models/thread-tuning.js";
import { silentLogger } from "../../src/log.js";
import { writeScriptedChatModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/** Thread counts chosen by measurement on real llama.cpp (which count wins is the machine's business). */
const tmp = makeTempDir("burrow-threads-");
const modelPath = join(tmp.path, "m.gguf");
let llama: Llama;
let model: LlamaModel;

beforeAll(async () => {
  await writeScriptedChatModel(modelPath);
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath });
});
afterAll(async () => {
  await llama.dispose();
  tmp.remove();
});

describe("thread tuning", () => {
  it("measures every candidate, picks the fastest, and remembers it for this model", async () => {
    const cacheFile = join(tmp.path, "tuning.json");
    const choice = await chooseThreads(model, { modelPath, cacheFile, candidates: [1, 2], logger: silentLogger() });
    expect(choice.cached).toBe(false);
    expect(choice.samples.map((s) => s.threads)).toEqual([1, 2]);
    for (const sample of choice.samples) expect(sample.tokensPerSecond).toBeGreaterThan(0);
    const fastest = choice.samples.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
    expect(choice.threads).toBe(fastest.threads);

    const again = await chooseThreads(model, { modelPath, cacheFile, candidates: [1, 2], logger: silentLogger() });
    expect(again).toEqual({ ...choice, cached: true });
    expect(readThreadChoice(cacheFile, modelPath)).toEqual({ ...choice, cached: true });
    expect(Object.keys(JSON.parse(readFileSync(cacheFile, "utf8")) as object)).toHaveLength(1);

    // A replaced model file (new mtime) is measured again, not given the old answer.
    utimesSync(modelPath, new Date(), new Date(Date.now() + 5_000));
    expect(readThreadChoice(cacheFile, modelPath)).toBeUndefined();
  });

  it("the engine uses the measured count with threads auto, and the set count otherwise", async () => {
    const cacheFile = join(tmp.path, "engine-tuning.json");
    const auto = new ModelEngine({ modelPath, threads: "auto", contextSize: 1024, logger: silentLogger(), tuningFile: cacheFile });
    const info = await auto.start();
    await auto.stop();
    expect(info.threadChoice).not.toBe("explicit");
    const measured = readThreadChoice(cacheFile, modelPath)!;
    expect(info.threads).toBe(measured.threads);

    const fixed = new ModelEngine({ modelPath, threads: 1, contextSize: 1024, logger: silentLogger(), tuningFile: cacheFile });
    const fixedInfo = await fixed.start();
    await fixed.stop();
    expect(fixedInfo).toMatchObject({ threads: 1, threadChoice: "explicit" });
  });
});
