import { setTimeout as sleep } from "node:timers/promises";
import type { JobEvent } from "../src/contracts.js";
import { statusLine } from "./render/job-status.js";
import { openFenceAtEnd, reopenLine, splitMessage } from "./render/split-message.js";
import { retryAfterSecondsOf } from "./retry-after-error.js";

export { RetryAfterError, retryAfterSecondsOf } from "./retry-after-error.js";

export interface SendOptions {
  /**
   * The text is the request's final state (answer, error, "Cancelled."): a sink drops per-request controls
   * such as a Cancel button. Progress messages are sent and edited with `final: false`.
   */
  readonly final: boolean;
  /**
   * The last message of a finished answer (never of an error or a cancellation): a sink may put rating
   * controls (👍/👎) on it.
   */
  readonly rateable?: boolean;
}

/**
 * One chat (thread, DM) as the stream sees it. Methods may throw an error carrying `retryAfterSeconds`
 * (RetryAfterError) when the platform rate-limits; the stream waits that long and tries again.
 */
export interface MessageSink {
  /** Sends a new message and returns its id. */
  send(text: string, options?: SendOptions): Promise<string /* message id */>;
  edit(messageId: string, text: string, options?: SendOptions): Promise<void>;
  sendFile(name: string, content: string, caption?: string): Promise<void>;
}

export interface JobMessageStreamOptions {
  readonly sink: MessageSink;
  /** Most characters (UTF-16 code units) of one message on the platform. */
  readonly limit: number;
  /** At least this long between two edits of the placeholder (the final edit included). */
  readonly editIntervalMs: number;
  /** A final answer longer than this goes as a file attachment with a short note. Default: never. */
  readonly fileThreshold?: number;
  /** Name of that file. Default "answer.md". */
  readonly fileName?: string;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress updates that failed (they are skipped; the final text is retried). Default: ignored. */
  readonly onError?: (error: unknown) => void;
  /** How many rate-limit waits one final message may take before the stream gives up. Default 20. */
  readonly maxRetries?: number;
}

type Outcome =
  | { readonly kind: "text"; readonly text: string; readonly rateable?: boolean }
  | { readonly kind: "file"; readonly note: string; readonly content: string; readonly rateable?: boolean };

/** Network-type failures of a final message are retried this often, 1 s then 2 s apart. */
const FINAL_ERROR_RETRIES = 2;
const PREVIEW_MARKER = "…\n";

/**
 * Renders one job's events into one chat: a placeholder that shows the queue position and wait, then
 * "thinking…" and tool use, then the answer as it streams (throttled edits, the latest text wins), and at
 * the end the whole answer split across messages in order (the first chunk replaces the placeholder), or
 * as a file when it is very long. Rate limits are waited out; the final text is never dropped.
 *
 * `handle` only records the event and never waits for the platform, so a slow chat does not hold up the
 * job's event stream; `finish` waits until everything is delivered (and throws if the final text could
 * not be).
 */
export class JobMessageStream {
  private readonly sink: MessageSink;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private placeholder: string | undefined;
  /** What each message of ours shows now, so identical edits are never sent. */
  private readonly shown = new Map<string, string>();
  private status = "";
  private answer = "";
  /** A status event came after answer text (a tool call mid-answer): shown under the text. */
  private statusAfterAnswer = false;
  private outcome: Outcome | undefined;
  private delivered = false;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private dirty = false;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly options: JobMessageStreamOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
    // The preview and the split need room for a reopened fence and the "…" marker.
    if (options.limit < 64) throw new RangeError(`JobMessageStream: limit must be at least 64, got ${options.limit}`);
  }

  /** The placeholder's message id, once it has been sent. */
  get messageId(): string | undefined {
    return this.placeholder;
  }

  /** True once the final text (or file) has been delivered. */
  get isDelivered(): boolean {
    return this.delivered;
  }

  async handle(event: JobEvent): Promise<void> {
    if (this.outcome) return;
    switch (event.type) {
      case "queued":
      case "thinking":
      case "tool":
        this.status = statusLine(event);
        this.statusAfterAnswer = this.answer !== "";
        break;
      case "started":
        // A job restarted after a crash streams again from the beginning.
        this.answer = "";
        this.status = statusLine(event);
        this.statusAfterAnswer = false;
        break;
      case "delta":
        this.answer += event.text;
        this.statusAfterAnswer = false;
        break;
      case "done":
        this.outcome = this.doneOutcome(event.answer);
        break;
      case "failed":
        this.outcome = { kind: "text", text: `${this.answerSoFar()}⚠️ ${event.reason}${event.hint ? `\n${event.hint}` : ""}` };
        break;
      case "cancelled":
        this.outcome = { kind: "text", text: `${this.answerSoFar()}Cancelled.` };
        break;
    }
    this.kick();
  }

  /** Waits until the latest state is on the platform; throws if the final text could not be delivered. */
  async finish(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
  }

  private answerSoFar(): string {
    return this.answer.trim() === "" ? "" : `${this.answer}\n\n`;
  }

  private doneOutcome(answer: string): Outcome {
    const { fileThreshold } = this.options;
    if (fileThreshold !== undefined && answer.length > fileThreshold) {
      const name = this.options.fileName ?? "answer.md";
      return { kind: "file", note: `📎 The answer is ${answer.length.toLocaleString("en")} characters long, so it is attached as ${name}.`, content: answer, rateable: true };
    }
    return { kind: "text", text: answer.trim() === "" ? "(The model gave an empty answer.)" : answer, rateable: true };
  }

  private kick(): void {
    this.dirty = true;
    this.running ??= this.pump()
      .catch((error: unknown) => {
        this.failure = { error };
      })
      .finally(() => {
        this.running = undefined;
        if (this.dirty && !this.delivered && !this.failure) this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (this.dirty && !this.delivered) {
      await this.waitForTurn();
      // Whatever arrived while waiting is rendered now: the latest text wins.
      this.dirty = false;
      if (this.outcome) {
        await this.deliver(this.outcome);
        this.delivered = true;
        return;
      }
      await this.renderProgress();
    }
  }

  /** The throttle (after the first message) and any rate limit the platform asked for. */
  private async waitForTurn(): Promise<void> {
    const readyAt = Math.max(this.blockedUntil, this.lastAttemptAt + this.options.editIntervalMs);
    const wait = readyAt - this.clock();
    if (wait > 0) await this.sleep(wait);
  }

  private async renderProgress(): Promise<void> {
    const text = this.progressText();
    if (this.placeholder === undefined) {
      const id = await this.tryOnce(() => this.sink.send(text, { final: false }));
      if (id !== undefined) {
        this.placeholder = id;
        this.shown.set(id, shownKey(text, false));
      }
      return;
    }
    const id = this.placeholder;
    if (this.shown.get(id) === shownKey(text, false)) return;
    const ok = await this.tryOnce(async () => {
      await this.sink.edit(id, text, { final: false });
      return true;
    });
    if (ok) this.shown.set(id, shownKey(text, false));
  }

  /** What the placeholder shows while the job runs. */
  private progressText(): string {
    if (this.answer.trim() === "") return this.status || "⏳ Queued.";
    const under = this.statusAfterAnswer ? `\n\n${this.status}` : "";
    return tailPreview(this.answer, this.options.limit - under.length) + under;
  }

  private async deliver(outcome: Outcome): Promise<void> {
    if (outcome.kind === "file") {
      await this.putFirst(outcome.note, outcome.rateable === true);
      const name = this.options.fileName ?? "answer.md";
      await this.mustSucceed(() => this.sink.sendFile(name, outcome.content, "The full answer."));
      return;
    }
    const [first, ...rest] = splitMessage(outcome.text, this.options.limit);
    const rateable = outcome.rateable === true;
    await this.putFirst(first!, rateable && rest.length === 0);
    for (const [index, chunk] of rest.entries()) {
      const options: SendOptions = rateable && index === rest.length - 1 ? { final: true, rateable: true } : { final: true };
      await this.mustSucceed(() => this.sink.send(chunk, options));
    }
  }

  /** The first final chunk replaces the placeholder (or is sent, if there is none or it is gone). */
  private async putFirst(text: string, rateable: boolean): Promise<void> {
    const id = this.placeholder;
    const options: SendOptions = rateable ? { final: true, rateable: true } : { final: true };
    if (id === undefined) {
      const sent = await this.mustSucceed(() => this.sink.send(text, options));
      this.shown.set(sent, shownKey(text, true));
      return;
    }
    if (this.shown.get(id) === shownKey(text, true)) return;
    try {
      await this.mustSucceed(() => this.sink.edit(id, text, options));
      this.shown.set(id, shownKey(text, true));
    } catch (error) {
      if (retryAfterSecondsOf(error) !== undefined) throw error;
      // The placeholder was deleted or cannot be edited: the answer goes as a new message instead.
      this.options.onError?.(error);
      const sent = await this.mustSucceed(() => this.sink.send(text, options));
      this.shown.set(sent, shownKey(text, true));
    }
  }

  /** One try of a progress update; a rate limit marks the state dirty so it is retried after the wait. */
  private async tryOnce<T>(operation: () => Promise<T>): Promise<T | undefined> {
    this.lastAttemptAt = this.clock();
    try {
      return await operation();
    } catch (error) {
      const retryAfter = retryAfterSecondsOf(error);
      if (retryAfter !== undefined) {
        this.blockedUntil = this.clock() + retryAfter * 1000;
        this.dirty = true;
      } else {
        this.options.onError?.(error);
      }
      return undefined;
    }
  }

  /** A final message: waits out rate limits (up to maxRetries) and retries transient failures. */
  private async mustSucceed<T>(operation: () => Promise<T>): Promise<T> {
    let rateLimited = 0;
    let failed = 0;
    for (;;) {
      await this.waitForBlock();
      this.lastAttemptAt = this.clock();
      try {
        return await operation();
      } catch (error) {
        const retryAfter = retryAfterSecondsOf(error);
        if (retryAfter !== undefined) {
          if (++rateLimited > (this.options.maxRetries ?? 20)) throw error;
          this.blockedUntil = this.clock() + retryAfter * 1000;
        } else {
          if (++failed > FINAL_ERROR_RETRIES || !isTransient(error)) throw error;
          await this.sleep(1000 * failed);
        }
      }
    }
  }

  private async waitForBlock(): Promise<void> {
    const wait = this.blockedUntil - this.clock();
    if (wait > 0) await this.sleep(wait);
  }
}

function shownKey(text: string, final: boolean): string {
  return `${final ? "F" : "P"}${text}`;
}

/** Errors worth another try: network trouble, not a refusal by the platform (those carry a 4xx). */
function isTransient(error: unknown): boolean {
  const status = (error as { status?: unknown; error_code?: unknown } | null)?.status ?? (error as { error_code?: unknown } | null)?.error_code;
  return !(typeof status === "number" && status >= 400 && status < 500);
}

/**
 * The answer so far, fitted in one message: all of it when it fits, else its end after a "…" line, with a
 * fence open at the cut reopened and every fence closed, so the preview renders cleanly.
 */
export function tailPreview(text: string, limit: number): string {
  const whole = splitMessage(text, limit);
  if (whole.length <= 1) return whole[0] ?? "";
  const room = limit - PREVIEW_MARKER.length;
  let start = text.length - Math.floor(room * 0.9);
  // Start at a line when one begins nearby; never between the halves of a surrogate pair.
  const newline = text.indexOf("\n", start);
  if (newline !== -1 && newline - start < 200 && newline + 1 < text.length) start = newline + 1;
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start += 1;
  const open = openFenceAtEnd(text.slice(0, start));
  const tail = (open ? reopenLine(open) : "") + text.slice(start);
  return PREVIEW_MARKER + splitMessage(tail, room).at(-1)!;
}
