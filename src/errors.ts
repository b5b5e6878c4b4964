/**
 * Errors that carry what is needed to act on them: a stable `code` for programs, and a `hint` that tells
 * the person what to do. Every user-facing failure in Burrow ends up as one of these, so the front ends
 * can always show "what happened" + "what to do" without guessing from a stack trace.
 */
export class BurrowError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** One or two lines for a person: the message, then what to do. */
  toUserText(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }
}

/** A setting has a bad value; `setting` names it (e.g. BURROW_THREADS). */
export class ConfigError extends BurrowError {
  readonly setting: string;

  constructor(setting: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("config_invalid", message, options);
    this.setting = setting;
  }
}

/** The model file is missing, unreadable, or not a GGUF llama.cpp can load. */
export class ModelFileError extends BurrowError {
  readonly path: string;

  constructor(path: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("model_file_invalid", message, options);
    this.path = path;
  }
}

/** Redis could not be started or reached. */
export class RedisError extends BurrowError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(options.code ?? "redis_unavailable", message, options);
  }
}

/** A request did not match the job contract (bad input from a front end). */
export class RequestError extends BurrowError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("request_invalid", message, options);
  }
}

/** Text for any thrown value, for logs and last-resort user messages. */
export function describeError(error: unknown): string {
  if (error instanceof BurrowError) return error.toUserText();
  if (error instanceof Error) return error.message;
  return String(error);
}
