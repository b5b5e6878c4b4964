import { existsSync, statSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import type { LlamaModel } from "node-llama-cpp";
import type { Logger } from "../src/log.js";
import { readJson, writeJsonAtomically } from "./json-file.js";
import { physicalCoreCount } from "./physical-cores.js";
import { sha256 } from "./state-fingerprint.js";

/**
 * Choosing the inference thread count by measuring it. No fixed rule is right: on this 2-core machine
 * 2 threads were ~100x faster than the library default of 4 for a 0.5B-shaped model, yet 1 thread was
 * ~30x faster than 2 for a tiny one (thread sync costs more than a tiny layer's work), and a 7B is
 * compute-heavy enough to want every physical core. So `BURROW_THREADS=auto` times a short prompt +
 * decode at each candidate once per model and machine, and remembers the winner.
 */

export interface ThreadSample {
  readonly threads: number;
  /** Tokens per second over the probe (prompt + decode). */
  readonly tokensPerSecond: number;
}

export interface ThreadChoice {
  readonly threads: number;
  readonly samples: readonly ThreadSample[];
  /** True when taken from the cache file rather than measured now. */
  readonly cached: boolean;
}

/** Candidates: 1 and the physical cores (never more: hyperthreads and oversubscription only add contention). */
export function threadCandidates(physical = physicalCoreCount()): number[] {
  return [...new Set([1, Math.max(1, physical - 1), physical])].sort((a, b) => a - b);
}

const PROBE_PROMPT_TOKENS = 32;
const PROBE_DECODE_TOKENS = 12;

/** Times a 32-token prompt plus 12 decoded tokens on a small throw-away context with `threads` threads. */
export async function measureThreads(model: LlamaModel, threads: number): Promise<ThreadSample> {
  const context = await model.createContext({ contextSize: 256, threads, sequences: 1 });
  try {
    const sequence = context.getSequence();
    // Any tokens do: the cost per token does not depend on which tokens they are.
    const vocabulary = model.tokenizer("The quick brown fox jumps over the lazy dog. ".repeat(8));
    const prompt = vocabulary.slice(0, PROBE_PROMPT_TOKENS);
    const started = performance.now();
    let decoded = 0;
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      void token;
      if (++decoded >= PROBE_DECODE_TOKENS) break;
    }
    const seconds = (performance.now() - started) / 1000;
    return { threads, tokensPerSecond: (prompt.length + decoded) / seconds };
  } finally {
    await context.dispose();
  }
}

interface CacheFile {
  readonly [key: string]: { readonly threads: number; readonly samples: ThreadSample[]; readonly at: string };
}

/** The cache key: the model file and the machine (a different CPU or core count must measure again). */
export function tuningKey(modelPath: string): string {
  const stat = statSync(modelPath);
  const cpu = cpus()[0]?.model ?? "unknown";
  return sha256(JSON.stringify({ modelPath, bytes: stat.size, mtimeMs: Math.round(stat.mtimeMs), cpu, logical: availableParallelism(), physical: physicalCoreCount() })).slice(0, 24);
}

export function readThreadChoice(cacheFile: string, modelPath: string): ThreadChoice | undefined {
  const cache = readCache(cacheFile);
  const entry = existsSync(modelPath) ? cache[tuningKey(modelPath)] : undefined;
  return entry ? { threads: entry.threads, samples: entry.samples, cached: true } : undefined;
}

/** The measured best thread count for this model on this machine, from the cache or measured now. */
export async function chooseThreads(model: LlamaModel, options: { modelPath: string; cacheFile: string | undefined; candidates?: number[]; logger: Logger }): Promise<ThreadChoice> {
  const { cacheFile, modelPath, logger } = options;
  if (cacheFile) {
    const cached = readThreadChoice(cacheFile, modelPath);
    if (cached) return cached;
  }
  const samples: ThreadSample[] = [];
  for (const threads of options.candidates ?? threadCandidates()) samples.push(await measureThreads(model, threads));
  const best = samples.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  logger.info({ samples, threads: best.threads }, "measured inference threads");
  if (cacheFile) {
    const cache = { ...readCache(cacheFile), [tuningKey(modelPath)]: { threads: best.threads, samples, at: new Date().toISOString() } };
    writeJsonAtomically(cacheFile, cache);
  }
  return { threads: best.threads, samples, cached: false };
}

function readCache(cacheFile: string): CacheFile {
  // A damaged or unreadable cache only means measuring again.
  let parsed: unknown;
  try {
    parsed = readJson(cacheFile);
  } catch {
    return {};
  }
  return typeof parsed === "object" && parsed !== null ? (parsed as CacheFile) : {};
}
