import type { ModelFileInfo } from "./model-file.js";

/** Bytes of f16 K+V cache for one token: layers x KV heads x head dim x (K and V) x 2 bytes. */
export function kvCacheBytesPerToken(model: Pick<ModelFileInfo, "layers" | "embeddingLength" | "headCount" | "headCountKv">): number {
  const headDim = model.embeddingLength / model.headCount;
  return model.layers * model.headCountKv * headDim * 2 * 2;
}

/**
 * A conservative estimate of the RAM a model needs at a context size: the weights (memory-mapped, all
 * touched during decode), the KV cache, and ~10 % for compute buffers.
 */
export function estimateRamBytes(model: ModelFileInfo, contextSize: number): number {
  return Math.round((model.sizeBytes + kvCacheBytesPerToken(model) * contextSize) * 1.1);
}
