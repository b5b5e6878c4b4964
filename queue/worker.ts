import { UnrecoverableError, WaitingError, Worker, type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { ChatRequestSchema, conversationKey, type Agent, type AgentEvent, type ChatRequest } from "../src/contracts.js";
import { BurrowError, describeError } from "../src/errors.js";
import type { Logger } from "../src/log.js";
import { connectRedis, type RedisTarget } from "../src/redis.js";
import { JobEventLog } from "./event-log.js";
import { HistoryStore } from "./history-store.js";
import { JobStats } from "./job-stats.js";
import { EVENTS_TTL_SECONDS, KEY_PREFIX, REQUESTS_QUEUE, redisKeys } from "./keys.js";
import { publishPositions } from "./queue-position.js";

export interface WorkerOptions {
  readonly target: RedisTarget;
  readonly agent: Agent;
  readonly logger: Logger;
  /** Earlier turns given to the agent. */
  readonly historyTurns: number;
  /**
   * On stop(), how long a running job may go on before it is interrupted and put back in the queue
   * (it runs again from the start on the next start-up). Default 5000 ms.
   */
  readonly stopGraceMs?: number;
  /** Called when a conversation is started afresh (`/new`), e.g. to delete its saved model state. */
  readonly onConversationReset?: (conversation: string) => void | Promise<void>;
}

type DoneEvent = Extract<AgentEvent, { type: "done" }>;

interface RunningJob {
  readonly jobId: string;
  readonly controller: AbortController;
}

/** Marks an abort caused by Burrow shutting down (the job is re-queued, not cancelled). */
class ShutdownAbort extends Error {
  constructor() {
    super("Burrow is shutting down");
  }
}

/**
 * The one serial worker: takes requests off the queue one at a time (concurrency 1 — the CPU runs one
 * generation at a time anyway), runs the agent, and writes every event to the job's event stream.
 *
 * Delivery is at-least-once (BullMQ retries a job whose worker died), so the answer, the history append
 * and a reply marker commit in one MULTI, and a job with a marker is never answered again.
 */
export class RequestWorker {
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private queue: Queue | undefined;
  private commands: Redis | undefined;
  private subscriber: Redis | undefined;
  private events: JobEventLog | undefined;
  private history: HistoryStore | undefined;
  private stats: JobStats | undefined;
  private running: RunningJob | undefined;

  constructor(private readonly options: WorkerOptions) {}

  async start(): Promise<void> {
    const { target, logger } = this.options;
    const commands = connectRedis(target, "client", "worker-commands");
    commands.on("error", (error) => logger.warn({ err: error }, "worker redis connection error"));
    this.commands = commands;
    this.events = new JobEventLog(commands, target);
    this.history = new HistoryStore(commands);
    this.stats = new JobStats(commands);
    this.queue = new Queue(REQUESTS_QUEUE, { connection: commands, prefix: KEY_PREFIX });

    const subscriber = connectRedis(target, "blocking", "worker-cancel");
    subscriber.on("error", (error) => logger.warn({ err: error }, "cancel subscriber error"));
    subscriber.on("message", (channel, message) => {
      if (channel === redisKeys.resetChannel) this.onResetMessage(message);
      else this.onCancelMessage(message);
    });
    await subscriber.subscribe(redisKeys.cancelChannel, redisKeys.resetChannel);
    this.subscriber = subscriber;

    const connection = connectRedis(target, "blocking", "worker");
    connection.on("error", (error) => logger.warn({ err: error }, "worker redis connection error"));
    this.workerConnection = connection;
    this.worker = new Worker(REQUESTS_QUEUE, (job, token) => this.process(job, token), {
      connection,
      prefix: KEY_PREFIX,
      concurrency: 1,
      // A job whose worker died is retried once, then failed (a job that kills the worker twice is a bug).
      maxStalledCount: 1,
    });
    this.worker.on("error", (error) => logger.error({ err: error }, "worker error"));
    await this.worker.waitUntilReady();
    logger.info("worker started");
  }

  private onResetMessage(conversation: string): void {
    const onReset = this.options.onConversationReset;
    if (!onReset) return;
    Promise.resolve(onReset(conversation)).catch((error: unknown) => this.options.logger.warn({ err: error, conversation }, "conversation reset handler failed"));
  }

  private onCancelMessage(message: string): void {
    try {
      const { jobId, reason } = JSON.parse(message) as { jobId: string; reason?: string };
      if (this.running?.jobId === jobId) {
        this.options.logger.info({ jobId }, "cancelling running job");
        this.running.controller.abort(new Error(reason ?? "cancelled"));
      }
    } catch (error) {
      this.options.logger.warn({ err: error, message }, "ignored malformed cancel message");
    }
  }

  private async process(job: Job, token: string | undefined): Promise<unknown> {
    const jobId = job.id;
    const { logger } = this.options;
    const events = this.events!;
    if (!jobId) throw new UnrecoverableError("job without id");
    if ((await this.commands!.exists(redisKeys.reply(jobId))) === 1) {
      logger.warn({ jobId }, "job already answered; not answering twice");
      return { alreadyAnswered: true };
    }
    const parsed = ChatRequestSchema.safeParse(job.data);
    if (!parsed.success) {
      await events.append(jobId, { type: "failed", reason: "The request was malformed and could not be run.", hint: "Send the message again." });
      throw new UnrecoverableError(`malformed request: ${parsed.error.message}`);
    }
    const request = parsed.data;
    const controller = new AbortController();
    this.running = { jobId, controller };
    const startedAt = performance.now();
    try {
      await events.append(jobId, { type: "started" });
      await publishPositions(this.queue!, events, this.stats!);
      const done = await this.runAgent(request, jobId, controller.signal);
      await this.commitAnswer(jobId, request, done);
      await this.stats!.record(performance.now() - startedAt, request.kind);
      logger.info({ jobId, ms: Math.round(performance.now() - startedAt), usage: done.usage }, "request answered");
      return { answered: true };
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof ShutdownAbort && token) {
        // Put it back: it runs again after the restart instead of being lost.
        await events.append(jobId, { type: "queued", position: 0, etaSeconds: null });
        await job.moveToWait(token);
        logger.info({ jobId }, "job interrupted by shutdown; re-queued");
        throw new WaitingError();
      }
      if (controller.signal.aborted) {
        await events.append(jobId, { type: "cancelled", reason: reason instanceof Error ? reason.message : undefined });
        logger.info({ jobId }, "request cancelled");
        return { cancelled: true };
      }
      logger.error({ jobId, err: error }, "request failed");
      const hint = error instanceof BurrowError && error.hint ? error.hint : "Try again; if it keeps failing, run `burrow doctor`.";
      const message = error instanceof BurrowError ? error.message : `Burrow hit an internal error: ${describeError(error)}`;
      await events.append(jobId, { type: "failed", reason: message, hint });
      throw new UnrecoverableError(message);
    } finally {
      this.running = undefined;
    }
  }

  private async runAgent(request: ChatRequest, jobId: string, signal: AbortSignal): Promise<DoneEvent> {
    const history = await this.history!.load(conversationKey(request), this.options.historyTurns);
    for await (const event of this.options.agent(request, { jobId, history, signal })) {
      if (event.type === "done") return event;
      await this.events!.append(jobId, event);
    }
    if (signal.aborted) throw signal.reason;
    throw new Error("the agent finished without an answer");
  }

  private async commitAnswer(jobId: string, request: ChatRequest, done: DoneEvent): Promise<void> {
    const now = Date.now();
    const multi = this.commands!.multi();
    this.history!.appendTo(multi, conversationKey(request), { role: "user", text: request.text, at: request.createdAt }, { role: "assistant", text: done.answer, at: now });
    multi.set(redisKeys.reply(jobId), String(now), "EX", EVENTS_TTL_SECONDS);
    this.events!.appendTo(multi, jobId, done);
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw new Error(`could not store the answer: ${failed?.[0]?.message ?? "transaction aborted"}`);
  }

  /** Stops taking jobs; a running job gets `stopGraceMs` to finish, then is interrupted and re-queued. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      const grace = setTimeout(() => this.running?.controller.abort(new ShutdownAbort()), this.options.stopGraceMs ?? 5000);
      try {
        await worker.close();
      } finally {
        clearTimeout(grace);
      }
    }
    // BullMQ does not close a connection it was given; it is ours to quit.
    await this.workerConnection?.quit().catch(() => {});
    this.workerConnection = undefined;
    await this.queue?.close();
    this.queue = undefined;
    await this.subscriber?.quit().catch(() => {});
    this.subscriber = undefined;
    await this.commands?.quit().catch(() => {});
    this.commands = undefined;
    this.options.logger.info("worker stopped");
  }
}
