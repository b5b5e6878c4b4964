/** Redis names used by the queue side. All keys share the "burrow" prefix (BullMQ's too). */
export const KEY_PREFIX = "burrow";
export const REQUESTS_QUEUE = "requests";

export const redisKeys = {
  /** A job's event stream (queued, started, delta…, done): read by whoever follows the job. */
  events: (jobId: string) => `${KEY_PREFIX}:events:${jobId}`,
  /** A conversation's turns, oldest first. */
  history: (conversation: string) => `${KEY_PREFIX}:history:${conversation}`,
  /** Set once a job's answer is delivered, so an at-least-once retry never answers twice. */
  reply: (jobId: string) => `${KEY_PREFIX}:reply:${jobId}`,
  /** Pub/sub channel carrying ids of running jobs to cancel. */
  cancelChannel: `${KEY_PREFIX}:cancel`,
  /** Pub/sub channel carrying conversation keys that were started afresh (`/new`). */
  resetChannel: `${KEY_PREFIX}:reset`,
  /** Measured job durations, for queue ETAs. */
  stats: `${KEY_PREFIX}:stats`,
} as const;

/** How long finished jobs' events and reply markers are kept. */
export const EVENTS_TTL_SECONDS = 24 * 60 * 60;
