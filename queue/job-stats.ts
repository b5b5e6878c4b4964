import type { Redis } from "ioredis";
import { redisKeys } from "./keys.js";

/** Weight of the newest job in the moving average: recent jobs matter most (model or load may change). */
const SMOOTHING = 0.3;

/** Measured job durations, kept in Redis so ETAs survive restarts and are shared by all front ends. */
export class JobStats {
  constructor(private readonly redis: Redis) {}

  async record(durationMs: number): Promise<void> {
    const previous = await this.averageMs();
    const next = previous === undefined ? durationMs : previous * (1 - SMOOTHING) + durationMs * SMOOTHING;
    await this.redis.hset(redisKeys.stats, "avgJobMs", String(Math.round(next)));
    await this.redis.hincrby(redisKeys.stats, "jobs", 1);
  }

  /** Moving average of job duration, or undefined before the first job. */
  async averageMs(): Promise<number | undefined> {
    const raw = await this.redis.hget(redisKeys.stats, "avgJobMs");
    return raw === null ? undefined : Number(raw);
  }

  /** Estimated seconds until a job with `position` jobs ahead of it starts. */
  async etaSeconds(position: number): Promise<number | null> {
    const average = await this.averageMs();
    return average === undefined ? null : Math.round((position * average) / 1000);
  }
}
