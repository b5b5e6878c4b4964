/**
 * The physical limit of decode: memory read bandwidth, measured with memcmp. `Buffer.compare` of two
 * identical buffers is a memcmp that must read both to the end (2 × size bytes per call). Measured with one
 * thread and with one worker thread per physical core running at once (aggregate bandwidth). Then decode
 * tokens/s × bytes read per token is set against it.
 *
 * Buffers are filled with a non-zero byte first: zero-filled memory may be the kernel's shared zero page,
 * which sits in cache and would overstate the bandwidth.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { inspectModelFile } from "../../models/model-file.js";
import { tensorByteSize } from "../../models/ggml-type-sizes.js";
import { positiveInt, progress, RUNS, spread, type Spread } from "./bench-stats.js";

const BUFFER_MB = positiveInt(process.env.BENCH_BANDWIDTH_MB, 512);

/** Plain JavaScript, so the worker needs no TypeScript loader. One round of passes per "go" message. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { performance } = require("node:perf_hooks");
const a = Buffer.allocUnsafe(workerData.bytes).fill(0x5a);
const b = Buffer.allocUnsafe(workerData.bytes).fill(0x5a);
if (Buffer.compare(a, b) !== 0) throw new Error("buffers differ");
parentPort.postMessage({ type: "ready" });
parentPort.on("message", () => {
  const start = performance.timeOrigin + performance.now();
  for (let i = 0; i < workerData.passes; i++) Buffer.compare(a, b);
  parentPort.postMessage({ type: "done", start, end: performance.timeOrigin + performance.now() });
});
`;

/** memcmp passes over the buffers per round (each reads 2 × BUFFER_MB per thread). */
const PASSES_PER_ROUND = 3;

export interface BandwidthRun {
  readonly threads: number;
  /** Bytes all threads read in one round. */
  readonly bytesPerRound: number;
  /** Aggregate GB/s of each round: all threads' bytes over the span from the first start to the last end. */
  readonly roundGBps: number[];
}

export interface BandwidthResult {
  readonly method: string;
  readonly bufferBytes: number;
  /** The figure used: the best round (a physical limit; other load on the machine only lowers it). */
  readonly singleThread: { readonly bestGBps: number; readonly GBps: Spread; readonly run: BandwidthRun };
  readonly parallel: { readonly bestGBps: number; readonly GBps: Spread; readonly run: BandwidthRun };
}

export async function benchBandwidth(parallelThreads: number): Promise<BandwidthResult> {
  const bytes = BUFFER_MB * 1024 * 1024;
  const rounds = Math.max(RUNS, 3);
  progress(`bandwidth: memcmp of 2 × ${BUFFER_MB} MiB per thread, ${rounds} rounds of ${PASSES_PER_ROUND} passes, 1 thread…`);
  const single = await measure(1, bytes, rounds);
  progress(`bandwidth: 1 thread best ${Math.max(...single.roundGBps).toFixed(1)} GB/s; ${parallelThreads} threads at once…`);
  const parallel = await measure(parallelThreads, bytes, rounds);
  progress(`bandwidth: ${parallelThreads} threads best ${Math.max(...parallel.roundGBps).toFixed(1)} GB/s`);
  return {
    method: `Buffer.compare (memcmp) of two identical ${BUFFER_MB} MiB buffers (filled with 0x5a) per thread, ${PASSES_PER_ROUND} passes per round, all threads started together; GB = 1e9 bytes; best round reported`,
    bufferBytes: bytes,
    singleThread: { bestGBps: Math.max(...single.roundGBps), GBps: spread(single.roundGBps), run: single },
    parallel: { bestGBps: Math.max(...parallel.roundGBps), GBps: spread(parallel.roundGBps), run: parallel },
  };
}

async function measure(threads: number, bytes: number, rounds: number): Promise<BandwidthRun> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes, passes: PASSES_PER_ROUND } }));
  try {
    // events.once rejects if the worker emits "error" first (e.g. out of memory).
    await Promise.all(workers.map((worker) => once(worker, "message")));
    const roundGBps: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const done = workers.map((worker) => once(worker, "message") as Promise<[{ start: number; end: number }]>);
      for (const worker of workers) worker.postMessage("go");
      const spans = (await Promise.all(done)).map(([message]) => message);
      const seconds = (Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start))) / 1000;
      roundGBps.push((threads * PASSES_PER_ROUND * 2 * bytes) / seconds / 1e9);
    }
    return { threads, bytesPerRound: threads * PASSES_PER_ROUND * 2 * bytes, roundGBps };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

export interface BytesPerToken {
  /** Every tensor's bytes, the token embedding counted as the one row a token reads. */
  readonly weightBytes: number;
  /** The token embedding's full size, left out above (get_rows reads one row per token). */
  readonly tokenEmbeddingBytes: number;
  /** f16 KV cache read per token at `position` tokens of context (K and V, every layer). */
  readonly kvBytesAtPosition: number;
  readonly position: number;
  readonly fileBytes: number;
}

/** Bytes a decode step reads: all weights once (the token embedding only one row) plus the KV cache so far. */
export async function bytesPerToken(modelPath: string, position: number): Promise<BytesPerToken> {
  const info = await inspectModelFile(modelPath);
  const tensors = info.ggufInfo.fullTensorInfo ?? [];
  // Without its own output tensor the model multiplies by the token embedding, reading all of it.
  const tied = !tensors.some((tensor) => tensor.name === "output.weight");
  let weightBytes = 0;
  let tokenEmbeddingBytes = 0;
  for (const tensor of tensors) {
    const bytes = tensorByteSize(tensor.ggmlType, tensor.dimensions);
    if (bytes === undefined) throw new Error(`unknown size of tensor ${tensor.name} (ggml type ${tensor.ggmlType})`);
    if (tensor.name === "token_embd.weight" && !tied) {
      tokenEmbeddingBytes = bytes;
      weightBytes += bytes / Number(tensor.dimensions[1] ?? 1);
    } else {
      weightBytes += bytes;
    }
  }
  const headDim = info.embeddingLength / info.headCount;
  const kvBytesPerToken = info.layers * info.headCountKv * headDim * 2 /* K and V */ * 2; /* f16 */
  return { weightBytes, tokenEmbeddingBytes, kvBytesAtPosition: kvBytesPerToken * position, position, fileBytes: info.sizeBytes };
}
