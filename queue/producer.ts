import { randomUUID } from "node:crypto";
import { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { ChatRequestSchema, isTerminalEvent, type ChatRequest, type ChatRequestInput, type Platform } from "../src/contracts.js";
import { RequestError } from "../src/errors.js";
import { parseReviewInput } from "../src/review-input.js";
import type { Logger } from "../src/log.js";
import type { RedisTarget } from "../src/redis.js";
import { JobEventLog } from "./event-log.js";
import { JobStats } from "./job-stats.js";
import { KEY_PREFIX, REQUESTS_QUEUE, redisKeys } from "./keys.js";
import { jobsAhead, priorityOf, publishPositions } from "./queue-position.js";

export interface SubmittedJob {
  readonly jobId: string;
  /** Jobs ahead of this one when it was queued (0 = runs next). */
  readonly position: number;
  readonly etaSeconds: number | null;
}

export type CancelOutcome =
  /** It was still waiting and has been removed from the queue. */
  | "removed"
  /** It is running; the worker has been told to stop it. */
  | "signalled"
  /** It had already finished. */
  | "finished"
  /** No such job. */
  | "unknown";

export interface ProducerOptions {
  readonly redis: Redis;
  readonly target: RedisTarget;
  readonly logger: Logger;
}

/** Puts requests on the "requests" queue, and cancels them; front ends use this and JobEventLog only. */
export class RequestProducer {
  private queue: Queue | undefined;
  readonly events: JobEventLog;
  private readonly stats: JobStats;

  constructor(private readonly options: ProducerOptions) {
    this.events = new JobEventLog(options.redis, options.target);
    this.stats = new JobStats(options.redis);
  }

  async start(): Promise<void> {
    this.queue = new Queue(REQUESTS_QUEUE, { connection: this.options.redis, prefix: KEY_PREFIX });
    await this.queue.waitUntilReady();
  }

  private get started(): Queue {
    if (!this.queue) throw new Error("RequestProducer used before start()");
    return this.queue;
  }

  /** Validates and queues a request; its events (starting with `queued`) go to its event stream. */
  async submit(input: Omit<ChatRequestInput, "createdAt">): Promise<SubmittedJob> {
    const parsed = ChatRequestSchema.safeParse({ ...input, createdAt: Date.now() });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "request";
      throw new RequestError(`The request was refused: ${field}: ${issue?.message ?? "invalid"}.`, {
        hint: "Nothing was queued; fix the message and send it again.",
      });
    }
    const request: ChatRequest = parsed.data;
    // Review input is checked here, where every front end's request passes: a refusal queues nothing.
    if (request.kind === "review") parseReviewInput(request.text, request.attachments);
    const jobId = randomUUID();
    // The queued event is written before the job exists, so it always precedes the worker's `started`.
    const ahead = await jobsAhead(this.started, request.kind);
    const position = ahead.length;
    const etaSeconds = await this.stats.etaSeconds(ahead);
    await this.events.append(jobId, { type: "queued", position, etaSeconds });
    const priority = priorityOf(request.kind);
    await this.started.add(request.kind, request, {
      jobId,
      attempts: 1,
      ...(priority > 0 ? { priority } : {}),
      removeOnComplete: { age: 24 * 60 * 60, count: 1000 },
      removeOnFail: { age: 7 * 24 * 60 * 60 },
    });
    // A question goes ahead of waiting reviews: they are told their new place.
    if (request.kind === "chat" && (await this.started.getPrioritizedCount()) > 0) await publishPositions(this.started, this.events, this.stats);
    this.options.logger.info({ jobId, platform: request.platform, kind: request.kind, position }, "request queued");
    return { jobId, position, etaSeconds };
  }

  /** Cancels a waiting or running job. Only front ends call this, after checking who may cancel. */
  async cancel(jobId: string, reason = "cancelled by the requester"): Promise<CancelOutcome> {
    const queue = this.started;
    // The event stream is the truth for users: BullMQ marks a job completed a moment after its last event.
    const last = await this.events.last(jobId);
    if (last && isTerminalEvent(last)) return "finished";
    const job = await Job.fromId(queue, jobId);
    if (!job) return "unknown";
    const state = await job.getState();
    if (state === "completed" || state === "failed") return "finished";
    if (state !== "active") {
      try {
        await job.remove();
        await this.events.append(jobId, { type: "cancelled", reason });
        await publishPositions(queue, this.events, this.stats);
        return "removed";
      } catch {
        // It became active between getState and remove: signal the worker instead.
      }
    }
    await this.options.redis.publish(redisKeys.cancelChannel, JSON.stringify({ jobId, reason }));
    return "signalled";
  }

  /** How many of one user's requests are waiting or running (for the per-user cap of the bots). */
  async countQueuedBy(platform: Platform, userId: string): Promise<number> {
    const jobs = await this.started.getJobs(["waiting", "prioritized", "active"]);
    return jobs.filter((job) => isRequestBy(job.data, platform, userId)).length;
  }

  /** The request of a job still known to the queue (waiting, running, or recently finished). */
  async requestOf(jobId: string): Promise<ChatRequest | undefined> {
    const job = await Job.fromId(this.started, jobId);
    if (!job) return undefined;
    const parsed = ChatRequestSchema.safeParse(job.data);
    return parsed.success ? parsed.data : undefined;
  }

  /** Jobs waiting and running now. */
  async counts(): Promise<{ waiting: number; active: number }> {
    const counts = await this.started.getJobCounts("waiting", "prioritized", "active");
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0 };
  }

  async stop(): Promise<void> {
    await this.queue?.close();
    this.queue = undefined;
  }
}

function isRequestBy(data: unknown, platform: Platform, userId: string): boolean {
  const request = data as Partial<ChatRequest> | null;
  return request?.platform === platform && request.userId === userId;
}
