import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import type { ModelFileInfo } from "./model-file.js";

/**
 * What a saved KV state is only valid for. llama.cpp loads a state file into any model without checking,
 * and a state from another model (or another adapter, prompt prefix, context size or sequence count) gives
 * garbage or crashes the process — so every state lives under the fingerprint of exactly what produced it,
 * and a state under another fingerprint is never loaded.
 */
export interface StateIdentity {
  readonly model: ModelFileInfo;
  /** The active LoRA adapter (its hash and scale), or null for none. */
  readonly adapter: string | null;
  readonly contextSize: number;
  readonly sequences: number;
  /** The exact prompt prefix: system prompt and tool definitions. */
  readonly prefix: string;
}

/** node-llama-cpp's state format may change between versions; a version bump invalidates old states. */
const STATE_FORMAT = "node-llama-cpp@3.21.1";

export function stateFingerprint(identity: StateIdentity): string {
  // Size and mtime identify the file cheaply (hashing gigabytes on each start would cost minutes on a
  // laptop disk); the header fields catch a file replaced in place with another of the same size.
  const stat = statSync(identity.model.path);
  const parts = {
    format: STATE_FORMAT,
    model: {
      path: identity.model.path,
      bytes: stat.size,
      mtimeMs: Math.round(stat.mtimeMs),
      architecture: identity.model.architecture,
      name: identity.model.name ?? null,
      layers: identity.model.layers,
      embedding: identity.model.embeddingLength,
      tensors: identity.model.ggufInfo.fullTensorInfo?.length ?? null,
    },
    adapter: identity.adapter,
    contextSize: identity.contextSize,
    sequences: identity.sequences,
    prefix: sha256(identity.prefix),
  };
  return sha256(JSON.stringify(parts)).slice(0, 24);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
