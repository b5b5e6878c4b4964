import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { ModelEngine, type EngineOptions } from "../../models/engine.js";
import { AdapterFileError, inspectLoraAdapter } from "../../models/lora-adapter.js";
import { inspectModelFile, type ModelFileInfo } from "../../models/model-file.js";
import { QWEN05B_SHAPE, RANDOM_TINY_SHAPE, writeLoraAdapter, writeRandomTinyModel, type LoraAdapterFileInfo } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * LoRA adapters on real llama.cpp: a generated rank-4 adapter for the tiny random model, loaded through the
 * engine's `adapter` option, changes what the model generates (greedy, so any change in the argmax shows);
 * the same adapter at scale 0 gives exactly the base model's text, so the change is the adapter's. An adapter
 * for other dimensions is refused by the preflight with the exact reason, before llama.cpp sees it.
 */
const dir = makeTempDir("burrow-lora-");
const modelPath = join(dir.path, "tiny.gguf");
const adapterPath = join(dir.path, "tiny-lora.gguf");
const otherPath = join(dir.path, "other-dims-lora.gguf");
let model: ModelFileInfo;
let adapter: LoraAdapterFileInfo;
let adapterSha: string;

beforeAll(async () => {
  await writeRandomTinyModel(modelPath, { eogBias: -40 });
  adapter = await writeLoraAdapter(adapterPath, { shape: RANDOM_TINY_SHAPE, rank: 4 });
  // The same layout for a 0.5B-shaped model (hidden size 896): a real adapter for another model.
  await writeLoraAdapter(otherPath, { shape: QWEN05B_SHAPE, rank: 4, targets: ["attn_q", "attn_v"] });
  model = await inspectModelFile(modelPath);
  adapterSha = (await inspectLoraAdapter(adapterPath, model)).sha256!;
});
afterAll(() => dir.remove());

const options = (extra: Partial<EngineOptions> = {}): EngineOptions => ({ modelPath, threads: 1, contextSize: 512, logger: silentLogger(), ...extra });

async function withEngine<T>(extra: Partial<EngineOptions>, use: (engine: ModelEngine) => Promise<T>): Promise<T> {
  const engine = new ModelEngine(options(extra));
  await engine.start();
  try {
    return await use(engine);
  } finally {
    await engine.stop();
  }
}

const PROMPTS = ["hello there", "what is a burrow?", "tell me a story"];
async function greedy(engine: ModelEngine): Promise<string[]> {
  const texts: string[] = [];
  for (const userText of PROMPTS) texts.push((await engine.generate({ systemPrompt: "You are a test.", history: [], userText, maxTokens: 12, temperature: 0 })).text);
  return texts;
}

describe("LoRA adapter preflight", () => {
  it("accepts the generated adapter and reads its rank, alpha, tensors and hash", async () => {
    const info = await inspectLoraAdapter(adapterPath, model);
    expect(info).toMatchObject({ architecture: "qwen2", rank: 4, alpha: 4, sizeBytes: statSync(adapterPath).size });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([...info.baseTensors].sort()).toEqual([...adapter.baseTensors].sort());
    expect(info.baseTensors).toHaveLength(RANDOM_TINY_SHAPE.layers * 4);
  });

  it("refuses an adapter for other dimensions with the exact reason", async () => {
    const refusal = inspectLoraAdapter(otherPath, model);
    await expect(refusal).rejects.toBeInstanceOf(AdapterFileError);
    await expect(refusal).rejects.toThrow(
      "blk.0.attn_q.weight.lora_a takes 896 inputs but the base model's blk.0.attn_q.weight takes 64 " +
        "(lora_a 896×4, lora_b 4×896, base tensor 64×64, in ggml order): this adapter was trained for another model.",
    );
  });

  it("refuses files that are not LoRA adapters for this architecture, each with its reason", async () => {
    const notAdapter = join(dir.path, "model-as-adapter.gguf");
    await writeLoraAdapter(notAdapter, { shape: RANDOM_TINY_SHAPE, generalType: "model" });
    await expect(inspectLoraAdapter(notAdapter, model)).rejects.toThrow(`${notAdapter} is not a LoRA adapter: its general.type is "model", not "adapter".`);
    await expect(inspectLoraAdapter(modelPath, model)).rejects.toThrow(`${modelPath} is not a LoRA adapter: it has no general.type`);
    const llama = join(dir.path, "llama-lora.gguf");
    await writeLoraAdapter(llama, { shape: RANDOM_TINY_SHAPE, architecture: "llama" });
    await expect(inspectLoraAdapter(llama, model)).rejects.toThrow(
      `${llama} is an adapter for the llama architecture, but the base model burrow-test-random-tiny is qwen2: this adapter was trained for another model.`,
    );
    // The other tiny model has 64-wide FFN and 4 KV heads: same hidden size, other projection sizes.
    const otherFfn = join(dir.path, "other-ffn-lora.gguf");
    await writeLoraAdapter(otherFfn, { shape: { ...RANDOM_TINY_SHAPE, feedForward: 64 }, targets: ["ffn_up"] });
    await expect(inspectLoraAdapter(otherFfn, model)).rejects.toThrow("blk.0.ffn_up.weight.lora_b gives 64 outputs but the base model's blk.0.ffn_up.weight has 128");
    const truncated = join(dir.path, "truncated-lora.gguf");
    copyFileSync(adapterPath, truncated);
    const { truncateSync } = await import("node:fs");
    truncateSync(truncated, statSync(adapterPath).size - 1000);
    await expect(inspectLoraAdapter(truncated, model)).rejects.toThrow(/is truncated: its tensors need \d+ bytes but the file has \d+/);
  });
});

describe("LoRA adapter in the engine", () => {
  it("changes the greedy output versus no adapter; at scale 0 it is exactly the base model", async () => {
    const base = await withEngine({}, greedy);
    const started = performance.now();
    const withAdapter = await withEngine({ adapter: { path: adapterPath, scale: 1, id: adapterSha, name: "tiny" } }, async (engine) => {
      expect(engine.info.adapter).toMatchObject({ path: adapterPath, scale: 1, id: adapterSha });
      console.log(`adapter: ${adapter.bytes} bytes; context with adapter created in ${engine.info.adapter!.loadMs.toFixed(1)} ms (engine start ${(performance.now() - started).toFixed(0)} ms)`);
      return greedy(engine);
    });
    const scaleZero = await withEngine({ adapter: { path: adapterPath, scale: 0, id: adapterSha } }, greedy);
    expect(base.every((text) => text.length > 0)).toBe(true);
    expect(scaleZero).toEqual(base);
    // Every prompt's greedy continuation differs: the adapter moved the argmax token somewhere in each.
    for (let i = 0; i < PROMPTS.length; i++) expect(withAdapter[i]).not.toBe(base[i]);
  });

  it("an adapter for other dimensions fails start() with the preflight's reason; the process lives on", async () => {
    const engine = new ModelEngine(options({ adapter: { path: otherPath, scale: 1, id: "x" } }));
    await expect(engine.start()).rejects.toThrow(/blk\.0\.attn_q\.weight\.lora_a takes 896 inputs/);
    await engine.stop();
    expect(engine.heldTokens).toBe(0); // nothing was loaded; the next tests run in this same process
  });

  it("keeps KV states apart per adapter and scale (the fingerprint has the adapter's hash@scale)", async () => {
    const states = { dir: join(dir.path, "states"), budgetBytes: 64 * 1024 * 1024 };
    const prefix = (extra: Partial<EngineOptions>) => withEngine({ states, ...extra }, (engine) => engine.preparePrefix({ systemPrompt: "You are a test." }));
    const none = (await prefix({}))!;
    const one = (await prefix({ adapter: { path: adapterPath, scale: 1, id: adapterSha } }))!;
    // The same adapter and scale after a restart: its own prefix state is restored.
    expect(await prefix({ adapter: { path: adapterPath, scale: 1, id: adapterSha } })).toMatchObject({ fingerprint: one.fingerprint, restored: true });
    const half = (await prefix({ adapter: { path: adapterPath, scale: 0.5, id: adapterSha } }))!;
    expect(new Set([none.fingerprint, one.fingerprint, half.fingerprint]).size).toBe(3);
    // Never a state evaluated with another adapter, scale or none: each change evaluates the prefix anew.
    expect([none.restored, one.restored, half.restored]).toEqual([false, false, false]);
  });
});

describe("llama.cpp's next-token distribution with the adapter", () => {
  let llama: Llama;
  let loaded: LlamaModel;
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    loaded = await llama.loadModel({ modelPath });
  });
  afterAll(async () => llama?.dispose());

  async function nextTokenProbabilities(scale: number | undefined): Promise<Map<Token, number>> {
    const context = await loaded.createContext({ contextSize: 256, threads: 1, lora: scale === undefined ? undefined : { adapters: [{ filePath: adapterPath, scale }] } });
    try {
      const sequence = context.getSequence();
      for await (const output of sequence.evaluateWithMetadata(loaded.tokenize("hello there, little model"), { probabilities: true }, { temperature: 0 })) {
        return output.probabilities;
      }
      throw new Error("no token evaluated");
    } finally {
      await context.dispose();
    }
  }

  it("moves probability mass, more at scale 1 than at 0.5, none at scale 0", async () => {
    const base = await nextTokenProbabilities(undefined);
    const [top] = [...base.entries()].sort((a, b) => b[1] - a[1]);
    const at = async (scale: number) => (await nextTokenProbabilities(scale)).get(top![0]) ?? 0;
    const [zero, half, full] = [await at(0), await at(0.5), await at(1)];
    console.log(`base top token p=${top![1].toFixed(3)}; with adapter: scale 0 → ${zero.toFixed(3)}, 0.5 → ${half.toFixed(3)}, 1 → ${full.toFixed(3)}`);
    expect(zero).toBeCloseTo(top![1], 5);
    const totalVariation = (a: Map<Token, number>, b: Map<Token, number>) => [...new Set([...a.keys(), ...b.keys()])].reduce((sum, t) => sum + Math.abs((a.get(t) ?? 0) - (b.get(t) ?? 0)), 0) / 2;
    const tvHalf = totalVariation(base, await nextTokenProbabilities(0.5));
    const tvFull = totalVariation(base, await nextTokenProbabilities(1));
    console.log(`total variation distance from the base distribution: scale 0.5 → ${tvHalf.toFixed(3)}, 1 → ${tvFull.toFixed(3)}`);
    expect(tvHalf).toBeGreaterThan(0.05);
    expect(tvFull).toBeGreaterThan(tvHalf);
  });
});
