import { GrammyError, HttpError } from "grammy";
import { RetryAfterError } from "../retry-after-error.js";

/**
 * A failed Bot API call, reduced to what is safe to log: grammY's GrammyError keeps the whole request
 * payload (the user's text, the answer) and HttpError keeps the fetch error, whose message holds the
 * request URL — and Telegram puts the bot token in the URL.
 */
export class TelegramApiError extends Error {
  readonly method: string;
  /** Telegram's error_code (400, 403…), undefined for network failures. The stream retries only those. */
  readonly error_code: number | undefined;
  readonly description: string;

  constructor(method: string, errorCode: number | undefined, description: string) {
    super(`Telegram ${method} failed: ${errorCode === undefined ? "" : `${errorCode} `}${description}`);
    this.name = "TelegramApiError";
    this.method = method;
    this.error_code = errorCode;
    this.description = description;
  }
}

/** Any error from a grammY call as one that is safe to log and tells the stream what to do. */
export function telegramError(error: unknown, token: string): Error {
  if (error instanceof GrammyError) {
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new RetryAfterError(seconds, `Telegram flood control on ${error.method}: retry after ${seconds} s`);
    }
    return new TelegramApiError(error.method, error.error_code, redact(error.description, token));
  }
  if (error instanceof HttpError) {
    const inner = error.error as { code?: unknown; name?: unknown } | undefined;
    const detail = typeof inner?.code === "string" ? inner.code : typeof inner?.name === "string" ? inner.name : "network error";
    return new TelegramApiError(methodOf(error.message), undefined, `${redact(error.message, token)} (${detail})`);
  }
  if (error instanceof RetryAfterError || error instanceof TelegramApiError) return error;
  return new Error(redact(error instanceof Error ? error.message : String(error), token));
}

function methodOf(message: string): string {
  return /'([A-Za-z]+)'/.exec(message)?.[1] ?? "request";
}

function redact(text: string, token: string): string {
  return token === "" ? text : text.split(token).join("[token]");
}
