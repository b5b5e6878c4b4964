/**
 * A chat platform asked us to slow down (Telegram's 429 `retry_after`, Discord's rate limits). Sinks throw
 * it so the stream can wait that long and try again instead of dropping the message.
 */
export class RetryAfterError extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, message = `rate limited: retry after ${retryAfterSeconds} s`, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "RetryAfterError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Seconds to wait before retrying, for any error that carries a numeric `retryAfterSeconds`. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
