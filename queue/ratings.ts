import type { Redis } from "ioredis";
import { z } from "zod";
import { ChatRequestSchema, conversationKey, HistoryTurnSchema, JobEventSchema, type ChatRequest, type HistoryTurn } from "../src/contracts.js";
import { KEY_PREFIX, redisKeys } from "./keys.js";

/** +1 (👍, /good) or −1 (👎, /bad). */
export type RatingValue = 1 | -1;

/** Earlier turns of the conversation kept with a rating, so an exported example has its context. */
const CONTEXT_TURNS = 8;

const ratingKey = (jobId: string) => `${KEY_PREFIX}:rating:${jobId}`;
/** Rated job ids, scored by when they were (last) rated: the exporter's index. */
const RATINGS_INDEX = `${KEY_PREFIX}:ratings`;

export const RatedToolSchema = z.object({ name: z.string(), summary: z.string(), at: z.number() });

/**
 * One rated exchange, snapshotted when it was rated: the job's events and its BullMQ job expire after a
 * day, the rating (training data) does not.
 */
export const RatingRecordSchema = z.object({
  jobId: z.string().min(1),
  rating: z.union([z.literal(1), z.literal(-1)]),
  /** Qualified id (`telegram:123`) of who rated: the requester or an admin. */
  ratedBy: z.string().min(1),
  ratedAt: z.number(),
  /** The conversation key (`platform:chatId:threadId`). */
  conversation: z.string(),
  request: ChatRequestSchema,
  /** Earlier turns of the conversation, oldest first, as they were when the job ran. */
  context: z.array(HistoryTurnSchema),
  answer: z.object({ text: z.string(), at: z.number(), sources: z.array(z.object({ title: z.string(), url: z.string() })) }),
  /** The agent's tool events of the job, in order (name and the one-line summary the worker recorded). */
  tools: z.array(RatedToolSchema),
});
export type RatingRecord = z.infer<typeof RatingRecordSchema>;

export type RateOutcome = { readonly ok: true; readonly record: RatingRecord } | { readonly ok: false; readonly reason: "no_answer" };

/**
 * Ratings of answers, in Redis. Who may rate is the caller's decision (ChatIntake: the requester or an
 * admin); this store only snapshots the exchange. Rating again replaces the earlier rating.
 */
export class RatingStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Rates the answer of `jobId`, asked by `request`. Refused (`no_answer`) when the job has no `done`
   * event (failed, cancelled, still running, or older than the event stream's 24 h).
   */
  async rate(input: { readonly jobId: string; readonly request: ChatRequest; readonly rating: RatingValue; readonly ratedBy: string; readonly at?: number }): Promise<RateOutcome> {
    const { jobId, request } = input;
    const existing = await this.get(jobId);
    let record: RatingRecord;
    if (existing) {
      record = { ...existing, rating: input.rating, ratedBy: input.ratedBy, ratedAt: input.at ?? Date.now() };
    } else {
      const snapshot = await this.snapshot(jobId);
      if (!snapshot) return { ok: false, reason: "no_answer" };
      const conversation = conversationKey(request);
      record = {
        jobId,
        rating: input.rating,
        ratedBy: input.ratedBy,
        ratedAt: input.at ?? Date.now(),
        conversation,
        request,
        context: await this.contextOf(conversation, request),
        answer: snapshot.answer,
        tools: snapshot.tools,
      };
    }
    RatingRecordSchema.parse(record);
    await this.redis.multi().set(ratingKey(jobId), JSON.stringify(record)).zadd(RATINGS_INDEX, record.ratedAt, jobId).exec();
    return { ok: true, record };
  }

  async get(jobId: string): Promise<RatingRecord | undefined> {
    const raw = await this.redis.get(ratingKey(jobId));
    return raw === null ? undefined : RatingRecordSchema.parse(JSON.parse(raw));
  }

  /** Every rating, oldest first. */
  async *all(batch = 200): AsyncGenerator<RatingRecord> {
    for (let start = 0; ; start += batch) {
      const ids = await this.redis.zrange(RATINGS_INDEX, String(start), String(start + batch - 1));
      if (ids.length === 0) return;
      const raws = await this.redis.mget(ids.map(ratingKey));
      for (const raw of raws) if (raw !== null) yield RatingRecordSchema.parse(JSON.parse(raw));
      if (ids.length < batch) return;
    }
  }

  private async snapshot(jobId: string): Promise<Pick<RatingRecord, "answer" | "tools"> | undefined> {
    const entries = await this.redis.xrange(redisKeys.events(jobId), "-", "+");
    const tools: RatingRecord["tools"] = [];
    for (const [, fields] of entries) {
      const index = fields.indexOf("e");
      const parsed = JobEventSchema.safeParse(JSON.parse(fields[index + 1] ?? "null"));
      if (!parsed.success) continue;
      const event = parsed.data;
      // A job restarted after a crash runs again from the start: only the last run's tools count.
      if (event.type === "started") tools.length = 0;
      if (event.type === "tool") tools.push({ name: event.name, summary: event.summary, at: event.at });
      if (event.type === "done") return { answer: { text: event.answer, at: event.at, sources: event.sources }, tools };
    }
    return undefined;
  }

  /** The turns before this job's exchange: history is appended user+assistant, the user turn at createdAt. */
  private async contextOf(conversation: string, request: ChatRequest): Promise<HistoryTurn[]> {
    const raw = await this.redis.lrange(redisKeys.history(conversation), 0, -1);
    const turns = raw.map((entry) => HistoryTurnSchema.parse(JSON.parse(entry)));
    const index = turns.findLastIndex((turn) => turn.role === "user" && turn.at === request.createdAt && turn.text === request.text);
    const before = index >= 0 ? turns.slice(0, index) : [];
    return before.slice(Math.max(0, before.length - CONTEXT_TURNS));
  }
}
