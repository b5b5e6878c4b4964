/**
 * Queue overhead per job: RequestProducer and RequestWorker in this process on a real redis-server, with
 * an agent that answers at once. Each job is timed end to end as a front end sees it — submit, then follow
 * its event stream to the `done` event — one job after another, so the figure is the latency the queue
 * adds to every answer (BullMQ, the event stream, history and reply commit).
 */
import type { AgentEvent } from "../../src/contracts.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { RequestProducer } from "../../queue/producer.js";
import { RequestWorker } from "../../queue/worker.js";
import { startRedisFixture } from "../support/redis-fixture.js";
import { percentile, positiveInt, progress, round2, RUNS, spread, type Spread } from "./bench-stats.js";

const JOBS = positiveInt(process.env.BENCH_QUEUE_JOBS, 200);
const WARM_UP_JOBS = 10;

export interface QueueRun {
  readonly jobs: number;
  readonly totalMs: number;
  /** totalMs / jobs. */
  readonly msPerJob: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly jobMs: number[];
}

export interface QueueResult {
  readonly settings: { readonly jobs: number; readonly warmUpJobs: number; readonly redis: string; readonly historyTurns: number };
  readonly msPerJob: Spread;
  readonly runs: QueueRun[];
}

export async function benchQueue(): Promise<QueueResult> {
  progress(`queue: ${RUNS} runs of ${JOBS} jobs through producer → redis → worker → immediate agent…`);
  const redis = await startRedisFixture();
  const logger = silentLogger();
  const commands = connectRedis(redis.target, "client", "bench-producer");
  const producer = new RequestProducer({ redis: commands, target: redis.target, logger });
  const worker = new RequestWorker({ target: redis.target, agent: immediateAgent, logger, historyTurns: 10 });
  try {
    await producer.start();
    await worker.start();
    const oneJob = async (n: number): Promise<number> => {
      const started = performance.now();
      const { jobId } = await producer.submit({ platform: "terminal", chatId: `bench-${n % 10}`, userId: "bench", text: `question ${n}` });
      for await (const event of producer.events.follow(jobId)) {
        if (event.type === "done") return performance.now() - started;
        if (event.type === "failed" || event.type === "cancelled") throw new Error(`queue job ${event.type}`);
      }
      throw new Error("the event stream ended without an answer");
    };
    for (let i = 0; i < WARM_UP_JOBS; i++) await oneJob(i);
    const runs: QueueRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      const jobMs: number[] = [];
      const started = performance.now();
      for (let i = 0; i < JOBS; i++) jobMs.push(await oneJob(i));
      const totalMs = performance.now() - started;
      runs.push({ jobs: JOBS, totalMs, msPerJob: totalMs / JOBS, p50Ms: percentile(jobMs, 0.5), p95Ms: percentile(jobMs, 0.95), jobMs: jobMs.map(round2) });
      progress(`queue run ${run + 1}/${RUNS}: ${(totalMs / JOBS).toFixed(2)} ms/job (p95 ${runs.at(-1)!.p95Ms.toFixed(1)} ms)`);
    }
    return {
      settings: { jobs: JOBS, warmUpJobs: WARM_UP_JOBS, redis: "redis-server on a unix socket (test fixture, appendonly yes)", historyTurns: 10 },
      msPerJob: spread(runs.map((r) => r.msPerJob)),
      runs,
    };
  } finally {
    await worker.stop();
    await producer.stop();
    await commands.quit().catch(() => {});
    await redis.stop();
  }
}

/** Answers at once: one delta and the done event, like the fastest possible model. */
async function* immediateAgent(): AsyncIterable<AgentEvent> {
  yield { type: "delta", text: "ok" };
  yield { type: "done", answer: "ok", sources: [], usage: { promptTokens: 0, completionTokens: 1, firstTokenMs: 0, totalMs: 0 } };
}
