import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../agent/agent.js";
import { ModelEngine } from "../../models/engine.js";
import { RequestProducer } from "../../queue/producer.js";
import { RequestWorker } from "../../queue/worker.js";
import type { JobEvent } from "../../src/contracts.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { writeQwen05bShapedModel } from "../support/models/index.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * A cancel that arrives while the model is still reading a long message stops the reading (the message is
 * read in chunks with the cancel checked between them), the job ends "cancelled", and the worker takes
 * the next job. Real redis-server, real worker and agent, real llama.cpp on the 0.5B-shaped model (big
 * enough that reading ~3,000 tokens takes seconds on 2 cores). Checked by tokens read, not by time.
 */
const tmp = makeTempDir("burrow-cancel-");
const LONG = "Please summarise this long pasted report about queue latency and cache reuse. ".repeat(200);
let redis: RedisFixture;
let engine: ModelEngine;
let worker: RequestWorker;
let producer: RequestProducer;

beforeAll(async () => {
  redis = await startRedisFixture();
  const model = await writeQwen05bShapedModel(join(tmp.path, "m.gguf"));
  engine = new ModelEngine({ modelPath: model.path, threads: 2, contextSize: 8192, logger: silentLogger() });
  await engine.start();
  const agent = createAgent({ engine, tools: { unavailable: new Map() }, maxTokens: 4, temperature: 0, maxToolSteps: 0, timeoutMs: 120_000, thoughtTokens: 16, fixRounds: 0, pageTokens: 100 });
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 4 });
  await worker.start();
  producer = new RequestProducer({ redis: connectRedis(redis.target, "client", "test"), target: redis.target, logger: silentLogger() });
  await producer.start();
});
afterAll(async () => {
  await producer?.stop();
  await worker?.stop();
  await engine?.stop();
  await redis?.stop();
  tmp.remove();
});

async function follow(jobId: string, onEvent?: (event: JobEvent) => void): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of producer.events.follow(jobId)) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

describe("cancel while the model reads a long message", () => {
  it("stops the reading part-way, reports cancelled, and the worker answers the next job", async () => {
    const total = engine.tokenCount(LONG);
    expect(total).toBeGreaterThan(2_500);
    const long = await producer.submit({ platform: "terminal", chatId: "c1", userId: "u", text: LONG });
    const next = await producer.submit({ platform: "terminal", chatId: "c2", userId: "u", text: "hi" });
    const longEvents = await follow(long.jobId, (event) => {
      if (event.type === "started") setTimeout(() => void producer.cancel(long.jobId, "cancelled by the test"), 300);
    });
    expect(longEvents.at(-1)?.type).toBe("cancelled");
    expect(longEvents.some((e) => e.type === "delta")).toBe(false);
    // What the sequence held when the next job began: part of the message, not all of it.
    let heldAtNextStart = -1;
    const nextEvents = await follow(next.jobId, (event) => {
      if (event.type === "started" && heldAtNextStart < 0) heldAtNextStart = engine.heldTokens;
    });
    expect(nextEvents.at(-1)?.type).toBe("done");
    expect(heldAtNextStart).toBeGreaterThan(0);
    expect(heldAtNextStart).toBeLessThan(total);
  });
});
