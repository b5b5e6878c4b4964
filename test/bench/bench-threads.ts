/**
 * Decode speed by thread count: 1, 2 and node-llama-cpp's default (a context created without `threads`
 * on a Llama from `getLlama({ gpu: false, build: "never" })` without `maxThreads`), on one model. Each
 * sample reads a short prompt and decodes up to DECODE_TOKENS tokens, or for at most CAP_MS when a
 * setting is very slow (a slow one also gets fewer samples: see VARIANT_BUDGET_MS). Variants take turns
 * within each run, so machine noise spreads over all of them.
 */
import { getLlama, type LlamaContext, type LlamaContextSequence, type Token } from "node-llama-cpp";
import { physicalCoreCount } from "../../models/physical-cores.js";
import { positiveInt, progress, RUNS, spread, type Spread } from "./bench-stats.js";

const DECODE_TOKENS = positiveInt(process.env.BENCH_THREAD_TOKENS, 16);
const CAP_MS = 5_000;
/** Total time one variant may take over all runs (at least one sample is always taken). */
const VARIANT_BUDGET_MS = 20_000;
const PROMPT_TOKENS = 16;
const CONTEXT = 512;

export interface ThreadSample {
  readonly decodedTokens: number;
  readonly promptMs: number;
  readonly decodeTokensPerSecond: number;
}

export interface ThreadVariant {
  readonly label: string;
  /** The `threads` option given to createContext; null for the library default. */
  readonly requested: number | null;
  /** context.currentThreads / idealThreads as node-llama-cpp reports them. */
  readonly currentThreads: number;
  readonly idealThreads: number;
  readonly decodeTokensPerSecond: Spread;
  readonly samples: ThreadSample[];
}

export interface ThreadsResult {
  readonly llama: { readonly maxThreads: number; readonly cpuMathCores: number };
  readonly physicalCores: number;
  readonly settings: { readonly promptTokens: number; readonly decodeTokens: number; readonly capMs: number; readonly variantBudgetMs: number; readonly contextSize: number };
  readonly variants: ThreadVariant[];
  /** The thread count of the fastest variant (what BURROW_THREADS=auto would pick from these). */
  readonly fastestThreads: number;
}

export async function benchThreads(modelPath: string): Promise<ThreadsResult> {
  const llama = await getLlama({ gpu: false, build: "never" });
  try {
    const model = await llama.loadModel({ modelPath });
    const requests = [...new Set([1, 2, physicalCoreCount()])].map((threads) => ({ label: `${threads} thread${threads === 1 ? "" : "s"}`, requested: threads as number | null }));
    requests.push({ label: "library default", requested: null });
    const contexts: LlamaContext[] = [];
    for (const request of requests) {
      contexts.push(await model.createContext({ contextSize: CONTEXT, sequences: 1, ...(request.requested === null ? {} : { threads: request.requested }) }));
    }
    const defaultContext = contexts.at(-1)!;
    progress(`threads: library default is ${defaultContext.currentThreads} threads (maxThreads ${llama.maxThreads}, cpuMathCores ${llama.cpuMathCores}); ${RUNS} runs…`);
    const sequences = contexts.map((context) => context.getSequence());
    const prompt = model.tokenize("The quick brown fox jumps over the lazy dog. ".repeat(4)).slice(0, PROMPT_TOKENS);
    const samples: ThreadSample[][] = requests.map(() => []);
    const spentMs = requests.map(() => 0);
    for (let run = 0; run < RUNS; run++) {
      for (const [i, sequence] of sequences.entries()) {
        // A very slow setting (seconds per token) is sampled until it has had VARIANT_BUDGET_MS, not RUNS times.
        if (spentMs[i]! >= VARIANT_BUDGET_MS) continue;
        const started = performance.now();
        const sample = await decode(sequence, prompt);
        spentMs[i]! += performance.now() - started;
        samples[i]!.push(sample);
        progress(`threads run ${run + 1}/${RUNS}: ${requests[i]!.label}: ${sample.decodeTokensPerSecond.toFixed(2)} tok/s (${sample.decodedTokens} tokens)`);
      }
    }
    const variants = requests.map((request, i) => ({
      ...request,
      currentThreads: contexts[i]!.currentThreads,
      idealThreads: contexts[i]!.idealThreads,
      decodeTokensPerSecond: spread(samples[i]!.map((s) => s.decodeTokensPerSecond)),
      samples: samples[i]!,
    }));
    return {
      llama: { maxThreads: llama.maxThreads, cpuMathCores: llama.cpuMathCores },
      physicalCores: physicalCoreCount(),
      settings: { promptTokens: prompt.length, decodeTokens: DECODE_TOKENS, capMs: CAP_MS, variantBudgetMs: VARIANT_BUDGET_MS, contextSize: CONTEXT },
      variants,
      fastestThreads: variants.reduce((a, b) => (b.decodeTokensPerSecond.median > a.decodeTokensPerSecond.median ? b : a)).currentThreads,
    };
  } finally {
    await llama.dispose();
  }
}

async function decode(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<ThreadSample> {
  await sequence.clearHistory();
  const started = performance.now();
  let first: number | undefined;
  let last = started;
  let decoded = 0;
  // evaluate() reads the prompt, then yields one generated token at a time.
  for await (const token of sequence.evaluate([...prompt], { temperature: 0 })) {
    void token;
    last = performance.now();
    first ??= last;
    decoded++;
    if (decoded >= DECODE_TOKENS || last - first >= CAP_MS) break;
  }
  if (first === undefined || decoded < 2) throw new Error("decoded fewer than 2 tokens");
  return { decodedTokens: decoded, promptMs: first - started, decodeTokensPerSecond: ((decoded - 1) * 1000) / (last - first) };
}
