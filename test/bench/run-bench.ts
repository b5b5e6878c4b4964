/**
 * `npm run bench`: decode speed through the whole pipeline (`burrow ask` → queue → worker → agent →
 * llama.cpp → events → the ask process) against node-llama-cpp called directly, on a generated model with
 * Qwen2.5-0.5B's layer shapes, same settings, same prompt, in the same run. A benchmark, not a test:
 * it prints a table and writes bench-results.json; nothing passes or fails.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { getLlama, LlamaChatSession, QwenChatWrapper } from "node-llama-cpp";
import { systemPromptFor } from "../../agent/prompts.js";
import { JobEventSchema, type JobEvent } from "../../src/contracts.js";
import { physicalCoreCount } from "../../models/physical-cores.js";
import { cliEnv, spawnCli, waitForOutput } from "../support/cli.js";
import { writeQwen05bShapedModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONTEXT = 2048;
const TEMPERATURE = 0.7;
const QUESTION = "Write a short story about a burrow under an old oak tree.";

interface Sample {
  readonly completionTokens: number;
  /** Milliseconds from the request to the first answer text, as the caller sees it. */
  readonly firstTokenMs: number;
  readonly decodeTokensPerSecond: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function direct(modelPath: string, threads: number): Promise<Sample[]> {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: CONTEXT, threads, sequences: 1 });
  const sequence = context.getSequence();
  const samples: Sample[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A fresh evaluation each run, like a new conversation through Burrow (which reuses only the prefix).
    await sequence.clearHistory();
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), systemPrompt: systemPromptFor({ unavailable: new Map() }), autoDisposeSequence: false });
    const before = sequence.tokenMeter.getState();
    const start = performance.now();
    let first: number | undefined;
    await session.prompt(QUESTION, { maxTokens: MAX_TOKENS, temperature: TEMPERATURE, onTextChunk: () => (first ??= performance.now()) });
    const end = performance.now();
    const tokens = sequence.tokenMeter.diff(before).usedOutputTokens;
    samples.push({ completionTokens: tokens, firstTokenMs: first! - start, decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first!) });
    session.dispose({ disposeSequence: false });
  }
  await llama.dispose();
  return samples;
}

async function throughAsk(env: Record<string, string>): Promise<Sample[]> {
  const daemon = spawnCli(["start", "--no-chat"], env);
  await waitForOutput(daemon.stderr!, /Burrow is running/, 120_000);
  const samples: Sample[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
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
      await ask;
      if (!done?.usage || first === undefined) throw new Error("burrow ask did not answer");
      const tokens = done.usage.completionTokens;
      samples.push({ completionTokens: tokens, firstTokenMs: first - start, decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first) });
    }
  } finally {
    daemon.kill("SIGTERM");
    await daemon;
  }
  return samples;
}

async function main(): Promise<void> {
  const tmp = makeTempDir("burrow-bench-");
  try {
    const modelPath = join(tmp.path, "qwen05b-shaped.gguf");
    const written = performance.now();
    const model = await writeQwen05bShapedModel(modelPath);
    process.stderr.write(`wrote ${(model.bytes / 1e6).toFixed(0)} MB 0.5B-shaped model in ${((performance.now() - written) / 1000).toFixed(1)} s\n`);
    const threads = physicalCoreCount();
    const env = cliEnv({ BURROW_DATA_DIR: join(tmp.path, "data"), BURROW_MODEL: modelPath, BURROW_THREADS: String(threads), BURROW_CONTEXT_SIZE: String(CONTEXT), BURROW_MAX_TOKENS: String(MAX_TOKENS), BURROW_TEMPERATURE: String(TEMPERATURE), BURROW_MAX_TOOL_STEPS: "0" });

    process.stderr.write(`node-llama-cpp directly, ${RUNS} runs…\n`);
    const directSamples = await direct(modelPath, threads);
    process.stderr.write(`burrow ask through the daemon's queue, ${RUNS} runs…\n`);
    const askSamples = await throughAsk(env);

    const summary = (samples: Sample[]) => ({
      decodeTokensPerSecond: median(samples.map((s) => s.decodeTokensPerSecond)),
      firstTokenMs: median(samples.map((s) => s.firstTokenMs)),
      completionTokens: median(samples.map((s) => s.completionTokens)),
    });
    const directSummary = summary(directSamples);
    const askSummary = summary(askSamples);
    const ratio = askSummary.decodeTokensPerSecond / directSummary.decodeTokensPerSecond;
    const results = {
      date: new Date().toISOString(),
      model: { shape: "Qwen2.5-0.5B layers (random weights, Q8_0, small vocabulary)", bytes: model.bytes },
      settings: { threads, contextSize: CONTEXT, maxTokens: MAX_TOKENS, temperature: TEMPERATURE, runs: RUNS },
      direct: { ...directSummary, samples: directSamples },
      burrowAsk: { ...askSummary, samples: askSamples },
      decodeRatio: ratio,
    };
    writeFileSync("bench-results.json", `${JSON.stringify(results, null, 2)}\n`);
    const row = (name: string, s: ReturnType<typeof summary>) =>
      `| ${name.padEnd(28)} | ${s.decodeTokensPerSecond.toFixed(1).padStart(12)} | ${s.firstTokenMs.toFixed(0).padStart(14)} | ${String(s.completionTokens).padStart(6)} |`;
    console.log(`\n0.5B-shaped model, ${threads} threads, ${MAX_TOKENS} tokens, median of ${RUNS} runs`);
    console.log("| path                         | decode tok/s | first token ms | tokens |");
    console.log("| ---------------------------- | -----------: | -------------: | -----: |");
    console.log(row("node-llama-cpp direct", directSummary));
    console.log(row("burrow ask (queue + worker)", askSummary));
    console.log(`\ndecode ratio burrow ask / direct: ${ratio.toFixed(3)}  (first-token time through ask includes starting the ask process)`);
    console.log("written: bench-results.json");
  } finally {
    tmp.remove();
  }
}

await main();
