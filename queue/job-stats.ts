import type { Redis } from "ioredis";
import type { JobKind } from "../src/contracts.js";
import { redisKeys } from "./keys.js";

/** Weight of the newest job in the moving average: recent jobs matter most (model or load may change). */
const SMOOTHING = 0.3;

/**
 * Measured job durations, per kind (a review takes far longer than a question), kept in Redis so ETAs
 * survive restarts and are shared by all front ends.
 */
export class JobStats {
  constructor(private readonly redis: Redis) {}

  async record(durationMs: number, kind: JobKind = "chat"): Promise<void> {
    const field = fieldOf(kind);
    const raw = await this.redis.hget(redisKeys.stats, field);
    const next = raw === null ? durationMs : Number(raw) * (1 - SMOOTHING) + durationMs * SMOOTHING;
    await this.redis.hset(redisKeys.stats, field, String(Math.round(next)));
    await this.redis.hincrby(redisKeys.stats, "jobs", 1);
  }

  /** Moving average of a kind's job duration, or undefined before its first job. */
  async averageMs(kind: JobKind = "chat"): Promise<number | undefined> {
    const raw = await this.redis.hget(redisKeys.stats, fieldOf(kind));
    return raw === null ? undefined : Number(raw);
  }

  /** Both kinds' moving averages, read together (for many ETAs at once: see etaSecondsFrom). */
  async averages(): Promise<JobAverages> {
    const [chat, review] = await Promise.all([this.averageMs("chat"), this.averageMs("review")]);
    return { chat, review };
  }

  /** Estimated seconds until a job starts, given the kinds of the jobs ahead of it. */
  async etaSeconds(ahead: readonly JobKind[]): Promise<number | null> {
    return etaSecondsFrom(await this.averages(), ahead);
  }
}

export interface JobAverages {
  readonly chat: number | undefined;
  readonly review: number | undefined;
}

/** The ETA for the jobs `ahead`: a kind never measured yet counts as the other kind's average; null before any job. */
export function etaSecondsFrom(averages: JobAverages, ahead: readonly JobKind[]): number | null {
  const { chat, review } = averages;
  if (chat === undefined && review === undefined) return null;
  const of = { chat: chat ?? review!, review: review ?? chat! };
  return Math.round(ahead.reduce((sum, kind) => sum + of[kind], 0) / 1000);
}

/** "avgJobMs" is the field questions always used, so averages measured before reviews existed still count. */
function fieldOf(kind: JobKind): string {
  return kind === "review" ? "avgReviewMs" : "avgJobMs";
}
