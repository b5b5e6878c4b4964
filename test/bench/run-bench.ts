/**
 * `npm run bench`: Burrow's speed figures on a generated model with Qwen2.5-0.5B's layer shapes, each a
 * ratio measured in this run (median of BENCH_RUNS runs, default 3). A benchmark, not a test: it prints a
 * table, writes every raw sample to bench-results.json, and nothing passes or fails on timings.
 *
 *   bench-pipeline   decode through burrow ask / queue / worker / agent vs node-llama-cpp directly
 *   bench-follow-up  follow-up time to first token with ~2,000 tokens of history: restored state vs cold
 *   bench-prefix     new-conversation time to first token with the saved agent prefix vs without
 *   bench-bandwidth  memory read bandwidth (memcmp) vs decode tokens/s × bytes read per token
 *   bench-threads    decode with 1, 2 and node-llama-cpp's default thread count
 *   bench-daemon     idle RSS of the daemon (tiny model) and its redis-server
 *   bench-queue      queue overhead per job, producer → redis → worker → immediate agent
 *
 * Inference threads for everything after the threads measurement: its fastest variant (as BURROW_THREADS=auto
 * would choose), or BENCH_THREADS. Other settings: BENCH_RUNS, BENCH_TOKENS (pipeline decode),
 * BENCH_HISTORY_TOKENS, BENCH_THREAD_TOKENS, BENCH_BANDWIDTH_MB, BENCH_QUEUE_JOBS. Progress goes to stderr.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { physicalCoreCount } from "../../models/physical-cores.js";
import { writeQwen05bShapedModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";
import { benchBandwidth, bytesPerToken } from "./bench-bandwidth.js";
import { benchDaemon } from "./bench-daemon.js";
import { benchFollowUp } from "./bench-follow-up.js";
import { benchPipeline, PIPELINE_MAX_TOKENS } from "./bench-pipeline.js";
import { benchPrefix } from "./bench-prefix.js";
import { benchQueue } from "./bench-queue.js";
import { buildRows, formatTable, type AllResults, type Outcome } from "./bench-report.js";
import { benchSeconds, positiveInt, progress, RUNS } from "./bench-stats.js";
import { benchThreads } from "./bench-threads.js";

const RESULTS_FILE = "bench-results.json";

async function section<T>(name: string, run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, result: await run() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(`${name} FAILED: ${message}`);
    return { ok: false, error: message };
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_7B === "1") {
    progress("BENCH_7B=1: not supported — a 7B-shaped model at Q8_0 is ~8 GB to write, and its cold prompt runs alone take minutes each on 2 cores; running the 0.5B-shaped model only");
  }
  const startLoad = loadavg();
  const tmp = makeTempDir("burrow-bench-");
  try {
    const modelPath = join(tmp.path, "qwen05b-shaped.gguf");
    const written = performance.now();
    const model = await writeQwen05bShapedModel(modelPath);
    progress(`wrote ${(model.bytes / 1e6).toFixed(0)} MB 0.5B-shaped model in ${((performance.now() - written) / 1000).toFixed(1)} s`);
    const physical = physicalCoreCount();

    // Bandwidth first, while none of the bench's own model work is running.
    const bandwidth = await section("bandwidth", () => benchBandwidth(physical));
    const threadsResult = await section("threads", () => benchThreads(modelPath));
    // The rest runs with the fastest measured thread count, as BURROW_THREADS=auto would choose it.
    const threads = process.env.BENCH_THREADS ? positiveInt(process.env.BENCH_THREADS, physical) : threadsResult.ok ? threadsResult.result.fastestThreads : physical;
    progress(`using ${threads} thread${threads === 1 ? "" : "s"} for the rest of the bench${process.env.BENCH_THREADS ? " (BENCH_THREADS)" : " (fastest measured)"}`);
    const pipeline = await section("pipeline", () => benchPipeline(modelPath, threads, tmp.path));
    const perToken = await section("bytes per token", () => {
      // The KV cache read per token is taken at the middle of the direct runs' decode.
      const prompt = pipeline.ok ? pipeline.result.direct.samples[0]!.promptTokens : 0;
      return bytesPerToken(modelPath, prompt + Math.floor(PIPELINE_MAX_TOKENS / 2));
    });
    const followUp = await section("follow-up", () => benchFollowUp(modelPath, threads, tmp.path));
    const prefix = await section("prefix", () => benchPrefix(modelPath, threads, tmp.path));
    const daemon = await section("daemon", () => benchDaemon(tmp.path));
    const queue = await section("queue", () => benchQueue());

    const all: AllResults = { bandwidth, threads: threadsResult, pipeline, bytesPerToken: perToken, followUp, prefix, daemon, queue };
    const rows = buildRows(all);
    const machine = {
      cpu: cpus()[0]?.model ?? "unknown",
      logicalCpus: cpus().length,
      physicalCores: physical,
      memoryBytes: totalmem(),
      node: process.version,
      nodeLlamaCpp: packageVersion("node-llama-cpp"),
      loadAverageAtStart: startLoad,
      loadAverageAtEnd: loadavg(),
    };
    const results = {
      date: new Date().toISOString(),
      command: "npm run bench",
      totalSeconds: benchSeconds(),
      machine,
      model: { shape: "Qwen2.5-0.5B layers (random weights, Q8_0, small test vocabulary)", bytes: model.bytes },
      settings: {
        runs: RUNS,
        threads,
        threadsChosenBy: process.env.BENCH_THREADS ? "BENCH_THREADS" : "fastest in the threads measurement",
        note: "each figure is the median of `runs` runs; spreads and raw samples below",
      },
      sevenB: "not run: a 7B-shaped model would be ~8 GB at Q8_0 and its cold runs take minutes each on 2 cores",
      table: rows,
      ...Object.fromEntries(Object.entries(all).map(([name, outcome]) => [name, outcome.ok ? outcome.result : { error: outcome.error }])),
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);

    console.log(
      `\nBurrow bench — 0.5B-shaped model (${(model.bytes / 1e6).toFixed(0)} MB), ${machine.cpu}, ${physical} physical cores, ${threads} inference thread${threads === 1 ? "" : "s"}, ` +
        `median of ${RUNS} runs, load average ${startLoad.map((l) => l.toFixed(1)).join("/")} at start, ${machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join("/")} at end, ${Math.round(benchSeconds())} s`,
    );
    console.log(formatTable(rows));
    console.log(`\nraw samples: ${RESULTS_FILE}`);
    if (Object.values(all).some((outcome) => !outcome.ok)) process.exitCode = 1;
  } finally {
    tmp.remove();
  }
}

function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../node_modules", name, "package.json"), "utf8")) as { version?: string };
    return manifest.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

await main();
