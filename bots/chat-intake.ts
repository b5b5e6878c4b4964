import { setTimeout as sleep } from "node:timers/promises";
import type { HistoryStore } from "../queue/history-store.js";
import type { RequestProducer } from "../queue/producer.js";
import type { RatingStore, RatingValue } from "../queue/ratings.js";
import { conversationKey, type AttachmentSchema, type JobEvent, type Platform } from "../src/contracts.js";
import { BurrowError, describeError } from "../src/errors.js";
import type { Logger } from "../src/log.js";
import type { z } from "zod";
import { qualifiedUserId, type AccessPolicy } from "./access.js";
import { JobMessageStream, type JobMessageStreamOptions, type MessageSink } from "./stream.js";

/** Where a message came from: one conversation (its history is kept per conversation). */
export interface ConversationRef {
  readonly platform: Platform;
  readonly chatId: string;
  /** Discord thread, Telegram forum topic. */
  readonly threadId?: string;
}

/** Who sent something: the platform's own user id (not qualified). */
export interface Sender {
  readonly platform: Platform;
  readonly userId: string;
}

export interface IncomingMessage extends ConversationRef {
  readonly userId: string;
  readonly text: string;
  readonly attachments?: readonly z.input<typeof AttachmentSchema>[];
  readonly kind?: "chat" | "review";
}

export type SubmitOutcome =
  /** Nothing was queued; send `reply` to the user (or nothing when `reply` is undefined: refused before). */
  | { readonly status: "refused"; readonly reply: string | undefined }
  /** Queued; the stream shows its progress. `done` resolves with the last event once it is delivered. */
  | { readonly status: "queued"; readonly jobId: string; readonly position: number; readonly done: Promise<JobEvent | undefined> };

/**
 * What a bot needs of the queue: the daemon's QueueAccess has this shape. Declared here rather than
 * imported from src/daemon.ts, which wires the bots (an import back would be a cycle).
 */
export interface BotQueueAccess {
  readonly producer: RequestProducer;
  readonly history: HistoryStore;
  /** When given, final answers get rating controls (👍/👎) and ratings are stored here. */
  readonly ratings?: RatingStore;
}

export interface ChatIntakeOptions {
  readonly queue: BotQueueAccess;
  readonly access: AccessPolicy;
  readonly logger: Logger;
  /** Platform limits and throttling for every job's stream. */
  readonly stream: Omit<JobMessageStreamOptions, "sink" | "onError">;
}

interface FollowedJob {
  readonly jobId: string;
  readonly requester: string;
  readonly conversation: string;
  readonly controller: AbortController;
  readonly done: Promise<JobEvent | undefined>;
}

/** Unlisted users are told once per run, then ignored: a bot must not become an echo for strangers. */
const MAX_REMEMBERED_REFUSALS = 10_000;

/**
 * The flow every bot runs for an incoming message, whatever the platform: access check → per-user cap →
 * queue → follow the job's events → render them with a JobMessageStream. Also `/new` and cancel, with
 * the same rules everywhere (only the requester or an admin may cancel).
 */
export class ChatIntake {
  private readonly followed = new Map<string, FollowedJob>();
  private readonly refused = new Set<string>();
  private stopping = false;

  constructor(private readonly options: ChatIntakeOptions) {}

  /** Checks, queues and starts following; resolves once queued (or refused), not when answered. */
  async submit(message: IncomingMessage, sinkFor: (jobId: string) => MessageSink): Promise<SubmitOutcome> {
    const { access, queue, logger } = this.options;
    const user = qualifiedUserId(message.platform, message.userId);
    const refusal = this.refusal(message);
    if (refusal) return { status: "refused", reply: refusal.reply };
    if (this.stopping) return { status: "refused", reply: "Burrow is shutting down; send this again in a moment." };
    const cap = await access.checkQueueLimit(message.platform, message.userId, (platform, userId) => queue.producer.countQueuedBy(platform, userId));
    if (!cap.allowed) return { status: "refused", reply: cap.reply };
    let submitted;
    try {
      submitted = await queue.producer.submit({
        platform: message.platform,
        chatId: message.chatId,
        threadId: message.threadId,
        userId: message.userId,
        text: message.text,
        attachments: message.attachments ? [...message.attachments] : [],
        kind: message.kind ?? "chat",
      });
    } catch (error) {
      logger.warn({ err: error, platform: message.platform }, "could not queue a chat message");
      return { status: "refused", reply: error instanceof BurrowError ? error.toUserText() : `Could not queue your message: ${describeError(error)}` };
    }
    const { jobId } = submitted;
    const controller = new AbortController();
    const stream = new JobMessageStream({
      ...this.options.stream,
      sink: sinkFor(jobId),
      onError: (error) => logger.warn({ err: error, jobId }, "a progress update could not be shown"),
    });
    const done = this.follow(jobId, stream, controller.signal);
    this.followed.set(jobId, { jobId, requester: user, conversation: conversationKey(message), controller, done });
    void done.finally(() => this.followed.delete(jobId));
    return { status: "queued", jobId, position: submitted.position, done };
  }

  /** Whether the sender is on BURROW_ADMINS (admins may cancel anyone's request and see /privacy). */
  isAdmin(sender: Sender): boolean {
    return this.options.access.isAdmin(qualifiedUserId(sender.platform, sender.userId));
  }

  /**
   * Undefined when the sender is on the allowlist; otherwise the refusal, whose `reply` is set only the
   * first time (later messages from the same stranger get no answer at all).
   */
  refusal(sender: Sender): { readonly reply: string | undefined } | undefined {
    const user = qualifiedUserId(sender.platform, sender.userId);
    const decision = this.options.access.check(user);
    if (decision.allowed) return undefined;
    if (this.refused.has(user)) return { reply: undefined };
    if (this.refused.size >= MAX_REMEMBERED_REFUSALS) this.refused.clear();
    this.refused.add(user);
    this.options.logger.info({ user }, "refused a user who is not on the allowlist");
    return { reply: decision.reply };
  }

  private async follow(jobId: string, stream: JobMessageStream, signal: AbortSignal): Promise<JobEvent | undefined> {
    let last: JobEvent | undefined;
    try {
      for await (const event of this.options.queue.producer.events.follow(jobId, { signal })) {
        last = event;
        await stream.handle(event);
      }
      await stream.finish();
    } catch (error) {
      this.options.logger.error({ err: error, jobId }, "could not deliver a job's answer to the chat");
    }
    return last;
  }

  /** `/new`: forgets the conversation's history. Returns the reply for the user. */
  async newConversation(conversation: ConversationRef, sender: Sender): Promise<string | undefined> {
    const refusal = this.refusal(sender);
    if (refusal) return refusal.reply;
    await this.options.queue.history.clear(conversationKey(conversation));
    return "🆕 New conversation: I have forgotten what was said here before.";
  }

  /** Cancels one job (from a button or `/cancel <id>`). Returns the reply for the user. */
  async cancel(jobId: string, sender: Sender): Promise<string | undefined> {
    const user = qualifiedUserId(sender.platform, sender.userId);
    const refusal = this.refusal(sender);
    if (refusal) return refusal.reply;
    const tracked = this.followed.get(jobId);
    let requester = tracked?.requester;
    if (requester === undefined) {
      const request = await this.options.queue.producer.requestOf(jobId);
      if (request) requester = qualifiedUserId(request.platform, request.userId);
    }
    if (requester === undefined) return "That request is not waiting or running any more.";
    if (!this.options.access.canCancel(user, requester)) return "Only the person who asked (or an admin) can cancel that request.";
    return this.cancelAs(jobId, user);
  }

  /**
   * `/cancel` without an id: the sender's oldest unfinished request in this conversation (the one being
   * answered first); for an admin, anyone's. Returns the reply for the user.
   */
  async cancelInConversation(conversation: ConversationRef, sender: Sender): Promise<string | undefined> {
    const user = qualifiedUserId(sender.platform, sender.userId);
    const refusal = this.refusal(sender);
    if (refusal) return refusal.reply;
    const key = conversationKey(conversation);
    const target = [...this.followed.values()].find((job) => job.conversation === key && this.options.access.canCancel(user, job.requester));
    if (!target) return "You have nothing waiting or running here.";
    return this.cancelAs(target.jobId, user);
  }

  private async cancelAs(jobId: string, user: string): Promise<string> {
    const outcome = await this.options.queue.producer.cancel(jobId, `cancelled by ${user}`);
    this.options.logger.info({ jobId, outcome }, "cancel requested from a chat");
    switch (outcome) {
      case "removed":
        return "Removed from the queue.";
      case "signalled":
        return "Stopping…";
      case "finished":
        return "That request has already finished.";
      case "unknown":
        return "That request is not waiting or running any more.";
    }
  }

  /** Whether answers can be rated (a rating store was given). */
  get ratingsEnabled(): boolean {
    return this.options.queue.ratings !== undefined;
  }

  /**
   * Rates a finished answer (👍/👎). Only the person who asked, or an admin, may rate. Returns the reply
   * for the user.
   */
  async rate(jobId: string, sender: Sender, rating: RatingValue): Promise<string | undefined> {
    const ratings = this.options.queue.ratings;
    if (!ratings) return undefined;
    const refusal = this.refusal(sender);
    if (refusal) return refusal.reply;
    const user = qualifiedUserId(sender.platform, sender.userId);
    const existing = await ratings.get(jobId);
    const request = existing?.request ?? (await this.options.queue.producer.requestOf(jobId));
    if (!request) return "That answer is too old to rate.";
    if (!this.options.access.canCancel(user, qualifiedUserId(request.platform, request.userId))) return "Only the person who asked (or an admin) can rate that answer.";
    const outcome = await ratings.rate({ jobId, request, rating, ratedBy: user });
    if (!outcome.ok) return "Only a finished answer can be rated.";
    this.options.logger.info({ jobId, rating }, "answer rated");
    return rating > 0 ? "👍 Thanks! Marked as a good answer." : "👎 Thanks! Marked as a poor answer.";
  }

  /** Requests being followed now. */
  get following(): number {
    return this.followed.size;
  }

  /** Accepts messages again after stop(). */
  start(): void {
    this.stopping = false;
  }

  /**
   * Stops following (jobs stay queued; their messages keep the last progress shown). Waits for messages
   * being delivered, but not past `graceMs` (a rate-limited chat must not hold up shutdown).
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const jobs = [...this.followed.values()];
    for (const job of jobs) job.controller.abort();
    const grace = new AbortController();
    await Promise.race([Promise.allSettled(jobs.map((job) => job.done)), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => {})]);
    grace.abort();
  }
}
