/**
 * Review decode speed with and without node-llama-cpp's InputLookupTokenPredictor (`predictionLength:
 * { max: 1 }`, the only length that can pay in 3.21.1), on the 0.5B-shaped model, as a ratio from one run.
 * Each run reviews the same real diff (test/fixtures/review/two-files.diff) under the review's JSON-schema
 * grammar at temperature 0, through ModelEngine as the review agent calls it; runs alternate between the
 * variants so drift in machine load hits both. Decode speed counts from the first answer token to the end
 * (prompt reading is the same for both and excluded).
 *
 * Two outputs: the real review schema, and a quote of the diff (see ReviewScenario), each with and without.
 *
 * Then what a review costs the next chat (time to first token of a new conversation after a chat vs after a review).
 *
 *   npx tsx test/bench/bench-review.ts            (writes the model to a temp dir, ~381 MB, a few seconds)
 *   BENCH_MODEL=/path/model.gguf BENCH_RUNS=5 BENCH_REVIEW_TOKENS=256 BENCH_THREADS=2 npx tsx test/bench/bench-review.ts
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { physicalCoreCount } from "../../models/physical-cores.js";
import type { GbnfJsonSchema } from "node-llama-cpp";
import type { ModelEngine } from "../../models/engine.js";
import { REVIEW_OUTPUT_SCHEMA } from "../../agent/review/review-schema.js";
import { REVIEW_SYSTEM_PROMPT, reviewMessage } from "../../agent/review/review-prompt.js";
import { parseReviewInput } from "../../src/review-input.js";
import { writeQwen05bShapedModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";
import { startEngine, timeFirstToken } from "./bench-engine.js";
import { systemPromptFor } from "../../agent/prompts.js";
import { median, positiveInt, progress, round2, RUNS } from "./bench-stats.js";

export interface ReviewSample {
  readonly inputLookup: boolean;
  readonly completionTokens: number;
  readonly decodeTokensPerSecond: number;
  readonly predictions: { used: number; unused: number; validated: number; refuted: number } | undefined;
}

export interface ReviewBenchResult {
  readonly without: { readonly tokensPerSecond: number; readonly samples: readonly ReviewSample[] };
  readonly with: { readonly tokensPerSecond: number; readonly samples: readonly ReviewSample[] };
  /**
   * with / without, the median of each run's pair (the two variants run back to back, so a drift in
   * machine speed over the benchmark cancels out): above 1 the predictor speeds reviews up.
   */
  readonly ratio: number;
}

const FIXTURE = fileURLToPath(new URL("../fixtures/review/two-files.diff", import.meta.url));

/**
 * What the review's output is made of. "review": the real review schema; a random-weight model never
 * repeats its input there, so the predictor has nothing to find and only its overhead shows. "copy": a
 * schema that forces the answer to quote the first hunk of the diff (a JSON string, so escaped as a real
 * review's suggestion is) — the most a review's output can copy, so what the predictor can gain.
 */
export type ReviewScenario = "review" | "copy";

function outputSchema(scenario: ReviewScenario, diff: string): GbnfJsonSchema {
  if (scenario === "review") return REVIEW_OUTPUT_SCHEMA;
  const firstHunk = diff.split("\n").slice(4, 16).join("\n");
  return { type: "object", properties: { quote: { const: firstHunk } } };
}

const schemas = new Map<ReviewScenario, GbnfJsonSchema>();

async function reviewOnce(engine: ModelEngine, inputLookup: boolean, maxTokens: number, scenario: ReviewScenario = "review"): Promise<ReviewSample> {
  const diff = readFileSync(FIXTURE, "utf8");
  const input = parseReviewInput("Please review this diff.", [{ name: "two-files.diff", text: diff }]);
  // One schema object per scenario: the engine caches grammars by schema object.
  let schema = schemas.get(scenario);
  if (!schema) schemas.set(scenario, (schema = outputSchema(scenario, diff)));
  const chat = await engine.openChat({ systemPrompt: REVIEW_SYSTEM_PROMPT, history: [], inputLookup });
  // The counters run for the sequence's life; this review's are the difference.
  const before = engine.tokenPredictions;
  let first: number | undefined;
  try {
    const result = await chat.prompt(reviewMessage({ instructions: input.instructions, files: input.files, checks: [] }), {
      maxTokens,
      temperature: 0,
      jsonSchema: schema,
      onText: () => void (first ??= performance.now()),
    });
    const end = performance.now();
    // The token meter also counts refuted predictions, so tokens are counted from the text itself.
    const tokens = engine.tokenCount(result.text);
    if (first === undefined || tokens < 2) throw new Error(`the review produced ${tokens} tokens`);
    // The first token comes with the prompt's evaluation; speed is over the tokens after it.
    return { inputLookup, completionTokens: tokens, decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first), predictions: predictionsSince(before, engine.tokenPredictions) };
  } finally {
    chat.dispose();
  }
}

type Predictions = NonNullable<ReviewSample["predictions"]>;

function predictionsSince(before: Predictions | undefined, after: Predictions | undefined): Predictions | undefined {
  if (!after) return undefined;
  const base = before ?? { used: 0, unused: 0, validated: 0, refuted: 0 };
  return { used: after.used - base.used, unused: after.unused - base.unused, validated: after.validated - base.validated, refuted: after.refuted - base.refuted };
}

export async function benchReview(modelPath: string, threads: number, scenario: ReviewScenario = "review"): Promise<ReviewBenchResult> {
  const maxTokens = positiveInt(process.env.BENCH_REVIEW_TOKENS, 200);
  const engine = await startEngine({ modelPath, threads, contextSize: 4096 });
  try {
    await reviewOnce(engine, false, 16, scenario); // warm-up: page the weights in
    const samples: ReviewSample[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Alternate which goes first, so a trend in machine load does not favour one variant.
      for (const inputLookup of run % 2 === 0 ? [false, true] : [true, false]) {
        const sample = await reviewOnce(engine, inputLookup, maxTokens, scenario);
        progress(`${scenario} ${inputLookup ? "with" : "without"} predictor: ${sample.completionTokens} tokens at ${sample.decodeTokensPerSecond.toFixed(1)} tok/s${sample.predictions ? ` (predictions ${JSON.stringify(sample.predictions)})` : ""}`);
        samples.push(sample);
      }
    }
    const speed = (withPredictor: boolean): number => median(samples.filter((s) => s.inputLookup === withPredictor).map((s) => s.decodeTokensPerSecond));
    const without = speed(false);
    const withPredictor = speed(true);
    return {
      without: { tokensPerSecond: round2(without), samples: samples.filter((s) => !s.inputLookup) },
      with: { tokensPerSecond: round2(withPredictor), samples: samples.filter((s) => s.inputLookup) },
      ratio: round2(median(pairRatios(samples))),
    };
  } finally {
    await engine.stop();
  }
}

/** with / without for each run, whose two samples are adjacent (in either order). */
function pairRatios(samples: readonly ReviewSample[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < samples.length; i += 2) {
    const [a, b] = [samples[i]!, samples[i + 1]!];
    const [withSample, withoutSample] = a.inputLookup ? [a, b] : [b, a];
    ratios.push(withSample.decodeTokensPerSecond / withoutSample.decodeTokensPerSecond);
  }
  return ratios;
}

export interface ChatAfterReviewResult {
  /** A new conversation's time to first token right after another chat (the sequence holds the chat prefix). */
  readonly afterChatMs: number;
  /** The same right after a review, with and without the predictor, and where its tokens came from. */
  readonly afterReview: readonly { readonly inputLookup: boolean; readonly firstTokenMs: number; readonly stateSource: string }[];
}

/**
 * What a review costs the next chat: a review leaves its own prompt in the one sequence (and, with the
 * predictor, re-creates the sequence), so the next new conversation restores the saved chat prefix state
 * from disk instead of finding it in memory.
 */
export async function benchChatAfterReview(modelPath: string, threads: number, statesDir: string): Promise<ChatAfterReviewResult> {
  const engine = await startEngine({ modelPath, threads, contextSize: 4096, statesDir });
  const systemPrompt = systemPromptFor({ unavailable: new Map() });
  let turn = 0;
  const newChat = async () => (await timeFirstToken(engine, { systemPrompt, history: [], stateKey: `bench-${++turn}` }, "What is a monad?")).sample;
  try {
    await engine.preparePrefix({ systemPrompt });
    await newChat();
    const afterChat = await newChat();
    const afterReview: { inputLookup: boolean; firstTokenMs: number; stateSource: string }[] = [];
    for (const inputLookup of [false, true]) {
      await reviewOnce(engine, inputLookup, 8);
      const sample = await newChat();
      afterReview.push({ inputLookup, firstTokenMs: round2(sample.firstTokenMs), stateSource: sample.stateSource });
    }
    return { afterChatMs: round2(afterChat.firstTokenMs), afterReview };
  } finally {
    await engine.stop();
  }
}

async function main(): Promise<void> {
  const tmp = makeTempDir("burrow-bench-review-");
  try {
    let modelPath = process.env.BENCH_MODEL;
    if (!modelPath) {
      modelPath = join(tmp.path, "qwen05b-shaped.gguf");
      await writeQwen05bShapedModel(modelPath);
      progress("wrote the 0.5B-shaped model");
    }
    const threads = positiveInt(process.env.BENCH_THREADS, physicalCoreCount());
    const results = { review: await benchReview(modelPath, threads, "review"), copy: await benchReview(modelPath, threads, "copy") };
    const chatAfter = await benchChatAfterReview(modelPath, threads, join(tmp.path, "states"));
    process.stdout.write(
      `new chat's first token: after a chat ${chatAfter.afterChatMs} ms; ${chatAfter.afterReview.map((r) => `after a review ${r.inputLookup ? "with" : "without"} predictor ${r.firstTokenMs} ms (${r.stateSource})`).join("; ")}\n`,
    );
    for (const [scenario, result] of Object.entries(results)) {
      const predictions = result.with.samples.at(-1)?.predictions;
      process.stdout.write(
        `${scenario === "review" ? "review schema" : "quoting the diff"}, decode medians of ${RUNS}: without predictor ${result.without.tokensPerSecond} tok/s, with InputLookupTokenPredictor(max 1) ${result.with.tokensPerSecond} tok/s, ratio ${result.ratio}x (median of the ${RUNS} back-to-back pairs; ${threads} thread${threads === 1 ? "" : "s"}; last run's predictions ${JSON.stringify(predictions)} over ${result.with.samples.at(-1)?.completionTokens} tokens)\n`,
      );
    }
  } finally {
    tmp.remove();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
