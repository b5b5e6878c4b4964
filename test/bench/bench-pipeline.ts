/**
 * Decode speed through the whole pipeline (`burrow ask` → queue → worker → agent → llama.cpp → events →
 * the ask process) against node-llama-cpp called directly on the same model, settings and prompt. Tools
 * are off (BURROW_MAX_TOOL_STEPS=0), so both read the same system prompt.
 */
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { getLlama, LlamaChatSession, QwenChatWrapper } from "node-llama-cpp";
import { systemPromptFor } from "../../agent/prompts.js";
import { JobEventSchema, type JobEvent } from "../../src/contracts.js";
import { cliEnv, spawnCli, waitForOutput } from "../support/cli.js";
import { childPids, processMemory, processName, type ProcessMemory } from "./bench-proc.js";
import { positiveInt, progress, RUNS, spread, type Spread } from "./bench-stats.js";

export const PIPELINE_MAX_TOKENS = positiveInt(process.env.BENCH_TOKENS, 128);
export const PIPELINE_CONTEXT = 2048;
const TEMPERATURE = 0.7;
const QUESTION = "Write a short story about a burrow under an old oak tree.";

export interface DecodeSample {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Milliseconds from the request to the first answer text, as the caller sees it. */
  readonly firstTokenMs: number;
  readonly decodeTokensPerSecond: number;
}

export interface PipelineResult {
  readonly settings: { readonly threads: number; readonly contextSize: number; readonly maxTokens: number; readonly temperature: number; readonly question: string };
  readonly direct: { readonly decodeTokensPerSecond: Spread; readonly firstTokenMs: Spread; readonly samples: DecodeSample[] };
  readonly burrowAsk: { readonly decodeTokensPerSecond: Spread; readonly firstTokenMs: Spread; readonly samples: DecodeSample[] };
  /** Median burrow ask decode / median direct decode. */
  readonly decodeRatio: number;
  /** The daemon serving the 0.5B-shaped model, idle after the runs (for comparison with the model-less figure). */
  readonly daemonWithModel: { readonly daemon: ProcessMemory; readonly redis: ProcessMemory | undefined };
}

export async function benchPipeline(modelPath: string, threads: number, tmpDir: string): Promise<PipelineResult> {
  const env = cliEnv({
    BURROW_DATA_DIR: join(tmpDir, "pipeline-data"),
    BURROW_MODEL: modelPath,
    BURROW_THREADS: String(threads),
    BURROW_CONTEXT_SIZE: String(PIPELINE_CONTEXT),
    BURROW_MAX_TOKENS: String(PIPELINE_MAX_TOKENS),
    BURROW_TEMPERATURE: String(TEMPERATURE),
    BURROW_MAX_TOOL_STEPS: "0",
  });
  progress(`pipeline: starting the daemon and a direct node-llama-cpp context (${threads} thread${threads === 1 ? "" : "s"})…`);
  const direct = await openDirect(modelPath, threads);
  const daemon = spawnCli(["start", "--no-chat"], env);
  const directSamples: DecodeSample[] = [];
  const askSamples: DecodeSample[] = [];
  let daemonWithModel: PipelineResult["daemonWithModel"];
  try {
    await waitForOutput(daemon.stderr!, /Burrow is running/, 300_000);
    // Direct and through ask take turns, so load from other processes falls on both alike.
    for (let run = 0; run < RUNS; run++) {
      directSamples.push(await direct.sample());
      askSamples.push(await decodeThroughAsk(env));
      progress(`pipeline run ${run + 1}/${RUNS}: direct ${directSamples.at(-1)!.decodeTokensPerSecond.toFixed(1)} tok/s, burrow ask ${askSamples.at(-1)!.decodeTokensPerSecond.toFixed(1)} tok/s`);
    }
    await sleep(1000);
    const pid = daemon.pid!;
    const redisPid = childPids(pid).find((child) => processName(child) === "redis-server");
    daemonWithModel = { daemon: processMemory(pid), redis: redisPid === undefined ? undefined : processMemory(redisPid) };
  } finally {
    daemon.kill("SIGTERM");
    await daemon;
    await direct.close();
  }
  const summary = (samples: DecodeSample[]) => ({
    decodeTokensPerSecond: spread(samples.map((s) => s.decodeTokensPerSecond)),
    firstTokenMs: spread(samples.map((s) => s.firstTokenMs)),
    samples,
  });
  const directSummary = summary(directSamples);
  const askSummary = summary(askSamples);
  return {
    settings: { threads, contextSize: PIPELINE_CONTEXT, maxTokens: PIPELINE_MAX_TOKENS, temperature: TEMPERATURE, question: QUESTION },
    direct: directSummary,
    burrowAsk: askSummary,
    decodeRatio: askSummary.decodeTokensPerSecond.median / directSummary.decodeTokensPerSecond.median,
    daemonWithModel,
  };
}

/** node-llama-cpp on its own: the same model, threads, context, chat wrapper, system prompt and question. */
async function openDirect(modelPath: string, threads: number): Promise<{ sample(): Promise<DecodeSample>; close(): Promise<void> }> {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
  try {
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: PIPELINE_CONTEXT, threads, sequences: 1 });
    const sequence = context.getSequence();
    return {
      close: () => llama.dispose(),
      async sample() {
        // A fresh evaluation each run, like a new conversation through Burrow (which reuses only the prefix).
        await sequence.clearHistory();
        const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), systemPrompt: systemPromptFor({ unavailable: new Map() }), autoDisposeSequence: false });
        try {
          const before = sequence.tokenMeter.getState();
          const start = performance.now();
          let first: number | undefined;
          await session.prompt(QUESTION, { maxTokens: PIPELINE_MAX_TOKENS, temperature: TEMPERATURE, onTextChunk: () => (first ??= performance.now()) });
          const end = performance.now();
          const used = sequence.tokenMeter.diff(before);
          if (first === undefined) throw new Error("node-llama-cpp produced no text");
          const tokens = used.usedOutputTokens;
          return { promptTokens: used.usedInputTokens, completionTokens: tokens, firstTokenMs: first - start, decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first) };
        } finally {
          session.dispose({ disposeSequence: false });
        }
      },
    };
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}

/** One `burrow ask --json` against the running daemon, timed from the ask's own event stream. */
async function decodeThroughAsk(env: Record<string, string>): Promise<DecodeSample> {
  const start = performance.now();
  const ask = spawnCli(["ask", "--json", "-q", QUESTION], env);
  let first: number | undefined;
  let done: Extract<JobEvent, { type: "done" }> | undefined;
  let end = 0;
  for await (const line of createInterface({ input: ask.stdout! })) {
    const event = JobEventSchema.parse(JSON.parse(line)) as JobEvent;
    if (event.type === "delta") first ??= performance.now();
    if (event.type === "done") {
      done = event;
      end = performance.now();
    }
  }
  const finished = await ask;
  if (!done?.usage || first === undefined) throw new Error(`burrow ask did not answer: ${String(finished.stderr).slice(-500)}`);
  const tokens = done.usage.completionTokens;
  return { promptTokens: done.usage.promptTokens, completionTokens: tokens, firstTokenMs: first - start, decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first) };
}
