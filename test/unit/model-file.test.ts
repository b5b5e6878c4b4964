import { copyFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { estimateRamBytes, kvCacheBytesPerToken } from "../../models/memory-estimate.js";
import { inspectModelFile } from "../../models/model-file.js";
import { gguf } from "../support/gguf/gguf-types.js";
import { writeGgufFile } from "../support/gguf/gguf-writer.js";
import { buildRandomTinyModel, RANDOM_TINY_SHAPE, writeRandomTinyModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The preflight that keeps malformed files away from llama.cpp (which may abort the process on them). */
const dir = makeTempDir();
const valid = join(dir.path, "valid.gguf");
beforeAll(async () => {
  await writeRandomTinyModel(valid);
});
afterAll(() => dir.remove());

async function rejection(path: string): Promise<ModelFileError> {
  const error = await inspectModelFile(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

/** Writes the valid model's content with one metadata key removed or replaced. */
async function variant(name: string, change: { drop?: string; set?: [string, ReturnType<typeof gguf.str>] }): Promise<string> {
  const content = buildRandomTinyModel();
  let metadata = content.metadata.filter((entry) => entry.key !== change.drop);
  if (change.set) metadata = [...metadata.filter((e) => e.key !== change.set![0]), { key: change.set[0], value: change.set[1] }];
  const path = join(dir.path, name);
  await writeGgufFile(path, { metadata, tensors: content.tensors });
  return path;
}

describe("model file preflight", () => {
  it("reads what Burrow needs from a valid model", async () => {
    const info = await inspectModelFile(valid);
    expect(info).toMatchObject({
      architecture: "qwen2",
      layers: RANDOM_TINY_SHAPE.layers,
      embeddingLength: RANDOM_TINY_SHAPE.embedding,
      headCount: RANDOM_TINY_SHAPE.heads,
      headCountKv: RANDOM_TINY_SHAPE.kvHeads,
      trainContextLength: RANDOM_TINY_SHAPE.contextLength,
      sizeBytes: readFileSync(valid).length,
    });
  });

  it("says when the file does not exist", async () => {
    const error = await rejection(join(dir.path, "nope.gguf"));
    expect(error.message).toBe(`Model file not found: ${join(dir.path, "nope.gguf")}`);
    expect(error.hint).toMatch(/^Set BURROW_MODEL=/);
  });

  it("says when the file is not GGUF at all", async () => {
    const path = join(dir.path, "text.gguf");
    writeFileSync(path, "<html>404 Not Found</html>");
    expect((await rejection(path)).message).toContain("is not a GGUF model file");
  });

  it("says when the file is truncated (an interrupted download)", async () => {
    const path = join(dir.path, "truncated.gguf");
    copyFileSync(valid, path);
    truncateSync(path, readFileSync(valid).length - 1000);
    const error = await rejection(path);
    expect(error.message).toMatch(/is truncated: its tensors need \d+ bytes but the file has \d+/);
    expect(error.hint).toContain("Download the model again");
  });

  it("says when the header itself is cut off", async () => {
    const path = join(dir.path, "header-only.gguf");
    writeFileSync(path, readFileSync(valid).subarray(0, 200));
    expect((await rejection(path)).message).toContain("is a damaged GGUF file");
  });

  it.each(["qwen2.feed_forward_length", "qwen2.attention.head_count", "qwen2.block_count"])(
    "names a missing key llama.cpp would abort on (%s)",
    async (key) => {
      const error = await rejection(await variant(`no-${key}.gguf`, { drop: key }));
      expect(error.message).toContain(`lacks the metadata key ${key}`);
    },
  );

  it("says when it is handed a LoRA adapter instead of a model", async () => {
    const path = await variant("adapter.gguf", { set: ["general.type", gguf.str("adapter")] });
    const error = await rejection(path);
    expect(error.message).toContain("is a LoRA adapter, not a model");
  });

  it("estimates RAM from the weights and the KV cache", async () => {
    const info = await inspectModelFile(valid);
    // 2 layers x 2 KV heads x 16 dims x (K+V) x 2 bytes
    expect(kvCacheBytesPerToken(info)).toBe(256);
    // Qwen2.5-7B's shape gives the published 56 KiB per token.
    expect(kvCacheBytesPerToken({ layers: 28, embeddingLength: 3584, headCount: 28, headCountKv: 4 })).toBe(56 * 1024);
    expect(estimateRamBytes(info, 1000)).toBe(Math.round((info.sizeBytes + 256 * 1000) * 1.1));
  });
});
