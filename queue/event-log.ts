import type { Redis, ChainableCommander } from "ioredis";
import { JobEventSchema, isTerminalEvent, type JobEvent, type JobEventBody } from "../src/contracts.js";
import { connectRedis, type RedisTarget } from "../src/redis.js";
import { EVENTS_TTL_SECONDS, redisKeys } from "./keys.js";

/** Streams stay small: a 7B answer is a few hundred deltas. The cap only guards against runaway jobs. */
const MAX_EVENTS_PER_JOB = 20_000;

/**
 * Each job's events live in a Redis stream. A stream (unlike pub/sub) keeps what was written, so a front
 * end that starts following late, or reconnects, still sees every event in order and nothing twice.
 */
export class JobEventLog {
  constructor(
    private readonly redis: Redis,
    private readonly target: RedisTarget,
  ) {}

  /** Appends an event; returns it with its job id and timestamp. */
  async append(jobId: string, body: JobEventBody): Promise<JobEvent> {
    const pipeline = this.redis.multi();
    const event = this.appendTo(pipeline, jobId, body);
    await pipeline.exec();
    return event;
  }

  /** Queues the append on a MULTI/pipeline, so it commits atomically with other writes. */
  appendTo(pipeline: ChainableCommander, jobId: string, body: JobEventBody): JobEvent {
    const event: JobEvent = { ...body, jobId, at: Date.now() };
    const key = redisKeys.events(jobId);
    pipeline.xadd(key, "MAXLEN", "~", MAX_EVENTS_PER_JOB, "*", "e", JSON.stringify(event));
    // The TTL is (re)set by every event but the per-token deltas, which always sit between a `started`
    // and a terminal event: one Redis command per token instead of two.
    if (body.type !== "delta") pipeline.expire(key, EVENTS_TTL_SECONDS);
    return event;
  }

  /** Every event written so far, without waiting. */
  async read(jobId: string): Promise<JobEvent[]> {
    const entries = await this.redis.xrange(redisKeys.events(jobId), "-", "+");
    return entries.map(([, fields]) => parseEvent(fields));
  }

  /** The latest event of a job, if it has any (a terminal event is always the last). */
  async last(jobId: string): Promise<JobEvent | undefined> {
    const entries = await this.redis.xrevrange(redisKeys.events(jobId), "+", "-", "COUNT", 1);
    const entry = entries[0];
    return entry ? parseEvent(entry[1]) : undefined;
  }

  /**
   * Yields the job's events from the first one, waiting for new ones, and ends after a terminal event
   * (done, failed, cancelled) or when `signal` aborts. Uses its own blocking connection.
   */
  async *follow(
    jobId: string,
    options: { readonly signal?: AbortSignal; readonly onConnectionLost?: () => void } = {},
  ): AsyncGenerator<JobEvent> {
    const { signal, onConnectionLost } = options;
    const reader = connectRedis(this.target, "blocking", `follow:${jobId}`);
    // ioredis reconnects by itself and the read resumes from the last id seen, so an outage (Burrow
    // restarting) loses nothing; the caller is told once per outage so it can say so.
    let connected = true;
    reader.on("error", () => {});
    reader.on("ready", () => (connected = true));
    reader.on("reconnecting", () => {
      if (connected && !signal?.aborted) onConnectionLost?.();
      connected = false;
    });
    const onAbort = () => reader.disconnect();
    signal?.addEventListener("abort", onAbort, { once: true });
    const key = redisKeys.events(jobId);
    let lastId = "0";
    try {
      while (!signal?.aborted) {
        // Block a few seconds at a time so an abort or shutdown is noticed promptly.
        const reply = await reader.xread("COUNT", 500, "BLOCK", 5000, "STREAMS", key, lastId).catch((error: unknown) => {
          if (signal?.aborted) return null;
          throw error;
        });
        if (!reply) continue;
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) {
            lastId = id;
            const event = parseEvent(fields);
            yield event;
            if (isTerminalEvent(event)) return;
          }
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      reader.disconnect();
    }
  }
}

function parseEvent(fields: string[]): JobEvent {
  const index = fields.indexOf("e");
  const raw = index >= 0 ? fields[index + 1] : undefined;
  if (raw === undefined) throw new Error(`Malformed job event entry: ${JSON.stringify(fields)}`);
  return JobEventSchema.parse(JSON.parse(raw)) as JobEvent;
}
