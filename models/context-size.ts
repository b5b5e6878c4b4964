import { freemem } from "node:os";
import { kvCacheBytesPerToken } from "./memory-estimate.js";
import type { ModelFileInfo } from "./model-file.js";

/** Never below this: the system prompt, tool definitions and a short conversation need it. */
const MIN_CONTEXT = 2048;
/** Never above this by default: prompt reading on 2 cores makes longer contexts impractical anyway. */
const MAX_AUTO_CONTEXT = 32_768;
/** RAM left for the OS, Redis, the bots and the sandbox. */
const RESERVE_BYTES = 1.5 * 1024 ** 3;

/**
 * `BURROW_CONTEXT_SIZE=auto`: the largest context whose KV cache fits in the RAM that is free after the
 * model's weights and a reserve, in steps of 1024 tokens, between 2k and 32k (and at most the model's
 * trained length). A 7B at 56 KiB/token: 8k needs 448 MiB, 32k 1.75 GiB.
 */
export function autoContextSize(model: ModelFileInfo, freeBytes = freemem()): number {
  const perToken = kvCacheBytesPerToken(model);
  const room = freeBytes - model.sizeBytes * 1.1 - RESERVE_BYTES;
  const fits = Math.floor(room / perToken / 1024) * 1024;
  return Math.min(model.trainContextLength, Math.max(MIN_CONTEXT, Math.min(MAX_AUTO_CONTEXT, fits)));
}
