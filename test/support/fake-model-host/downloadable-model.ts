import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { GgmlType } from "../gguf/gguf-types.js";
import { writeGgufFile } from "../gguf/gguf-writer.js";
import { buildRandomTinyModel } from "../models/index.js";

/**
 * Bytes of a valid GGUF model of about `targetBytes`: the random tiny model plus one F32 padding tensor of
 * random bytes, so a download spans several of ipull's 5 MB chunks and every byte is distinguishable (a chunk
 * written at the wrong offset cannot go unnoticed, as it could with zeros). models/model-file.ts accepts it;
 * llama.cpp would refuse to *load* it (an unknown tensor), which the download tests never do — tests that
 * load the downloaded model serve the scripted chat model instead.
 */
export async function buildDownloadableModel(scratchPath: string, targetBytes: number): Promise<Buffer> {
  const base = buildRandomTinyModel();
  const paddingValues = Math.max(1, Math.floor((targetBytes - 600_000) / 4));
  const padding = new Uint8Array(randomBytes(paddingValues * 4));
  await writeGgufFile(scratchPath, {
    metadata: base.metadata,
    tensors: [...base.tensors, { name: "burrow_test.padding", dims: [paddingValues], type: GgmlType.F32, data: () => padding }],
  });
  try {
    return await readFile(scratchPath);
  } finally {
    await rm(scratchPath, { force: true });
  }
}
