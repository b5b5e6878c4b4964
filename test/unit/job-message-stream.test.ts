import { describe, expect, it } from "vitest";
import type { JobEvent, JobEventBody } from "../../src/contracts.js";
import { openFenceAtEnd, splitMessage, splitMessageParts } from "../../bots/render/split-message.js";
import { JobMessageStream, RetryAfterError, tailPreview, type MessageSink, type SendOptions } from "../../bots/stream.js";

/**
 * JobMessageStream against an in-memory chat fed synthetic job events, on a virtual clock: sleeping
 * advances the clock, so throttling and rate limits are checked in exact (virtual) milliseconds.
 */

interface Op {
  readonly op: "send" | "edit" | "file";
  readonly id: string;
  readonly text: string;
  readonly final: boolean;
  readonly rateable?: boolean;
  readonly at: number;
}

/** Time moves only when the test says so; a sleeper wakes when the clock reaches its time. */
class VirtualTime {
  now = 1_000_000;
  private timers: { due: number; wake: () => void }[] = [];
  readonly clock = () => this.now;
  readonly sleep = (ms: number) => new Promise<void>((wake) => this.timers.push({ due: this.now + ms, wake }));

  /** Moves the clock forward, waking sleepers in order of their times. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      await tick();
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = Math.max(this.now, next.due);
      next.wake();
    }
    this.now = target;
    await tick();
  }

  /** Lets time run until `promise` settles. */
  async until<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    watched.catch(() => {});
    for (let i = 0; i < 10_000 && !settled; i++) {
      await tick();
      const next = this.earliest();
      if (next) await this.advance(Math.max(0, next.due - this.now));
    }
    return watched;
  }

  private earliest() {
    return this.timers.reduce<{ due: number; wake: () => void } | undefined>((a, b) => (a && a.due <= b.due ? a : b), undefined);
  }
}

class MemoryChat implements MessageSink {
  readonly ops: Op[] = [];
  readonly messages = new Map<string, string>();
  readonly files: { name: string; content: string; caption: string | undefined }[] = [];
  /** Thrown by the n-th call (1-based) of any method, once. */
  readonly failures = new Map<number, Error>();
  private calls = 0;
  private nextId = 1;

  constructor(private readonly time: VirtualTime) {}

  private maybeFail(): void {
    const error = this.failures.get(++this.calls);
    if (error) throw error;
  }

  async send(text: string, options?: SendOptions): Promise<string> {
    this.maybeFail();
    const id = String(this.nextId++);
    this.messages.set(id, text);
    this.ops.push({ op: "send", id, text, final: options?.final ?? false, rateable: options?.rateable, at: this.time.now });
    return id;
  }

  async edit(messageId: string, text: string, options?: SendOptions): Promise<void> {
    this.maybeFail();
    if (!this.messages.has(messageId)) throw Object.assign(new Error("message to edit not found"), { status: 400 });
    this.messages.set(messageId, text);
    this.ops.push({ op: "edit", id: messageId, text, final: options?.final ?? false, rateable: options?.rateable, at: this.time.now });
  }

  async sendFile(name: string, content: string, caption?: string): Promise<void> {
    this.maybeFail();
    this.files.push({ name, content, caption });
    this.ops.push({ op: "file", id: name, text: content, final: true, at: this.time.now });
  }

  /** The messages as the user sees them now, in the order they were first sent. */
  get visible(): string[] {
    return [...this.messages.values()];
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: { limit?: number; editIntervalMs?: number; fileThreshold?: number } = {}) {
  const time = new VirtualTime();
  const chat = new MemoryChat(time);
  const stream = new JobMessageStream({
    sink: chat,
    limit: options.limit ?? 4096,
    editIntervalMs: options.editIntervalMs ?? 1000,
    fileThreshold: options.fileThreshold,
    clock: time.clock,
    sleep: time.sleep,
  });
  /** Feeds events `stepMs` apart (virtual), letting the stream work between them. */
  const feed = async (bodies: readonly JobEventBody[], stepMs = 10) => {
    for (const body of bodies) {
      await stream.handle({ ...body, jobId: "job-1", at: time.now } as JobEvent);
      await time.advance(stepMs);
    }
  };
  const finish = () => time.until(stream.finish());
  return { time, chat, stream, feed, finish };
}

const deltas = (text: string, size: number): JobEventBody[] => {
  const out: JobEventBody[] = [];
  for (let i = 0; i < text.length; i += size) out.push({ type: "delta", text: text.slice(i, i + size) });
  return out;
};

describe("JobMessageStream", () => {
  it("marks only the last message of a finished answer as rateable, never an error or a cancellation", async () => {
    const answer = Array.from({ length: 30 }, (_, i) => `Line ${i} of the answer.`).join("\n");
    const long = setup({ limit: 200 });
    await long.feed([{ type: "started" }, { type: "done", answer, sources: [] }]);
    await long.finish();
    const finals = long.chat.ops.filter((op) => op.final);
    expect(finals.length).toBeGreaterThan(2);
    expect(finals.map((op) => op.rateable === true)).toEqual(finals.map((_, i) => i === finals.length - 1));

    const short = setup();
    await short.feed([{ type: "started" }, { type: "done", answer: "Short.", sources: [] }]);
    await short.finish();
    expect(short.chat.ops.at(-1)).toMatchObject({ op: "edit", text: "Short.", final: true, rateable: true });

    const file = setup({ fileThreshold: 50 });
    await file.feed([{ type: "started" }, { type: "done", answer: "x".repeat(80), sources: [] }]);
    await file.finish();
    expect(file.chat.ops.find((op) => op.rateable)?.text).toMatch(/^📎 The answer is 80 characters long/);

    for (const end of [{ type: "failed", reason: "broken" }, { type: "cancelled" }] as const) {
      const { chat, feed, finish } = setup();
      await feed([{ type: "started" }, { type: "delta", text: "partial" }, end]);
      await finish();
      expect(chat.ops.some((op) => op.rateable)).toBe(false);
    }
  });

  it("shows the queue position and wait in one placeholder, then thinking and tools, then the answer", async () => {
    const { chat, stream, feed, finish } = setup();
    await feed([{ type: "queued", position: 2, etaSeconds: 95 }], 1500);
    await feed([{ type: "queued", position: 1, etaSeconds: 40 }], 1500);
    await feed([{ type: "started" }], 1500);
    await feed([{ type: "tool", name: "web_search", summary: "searching: tiny models" }], 1500);
    await feed([...deltas("Hello there.", 3), { type: "done", answer: "Hello there.", sources: [] }]);
    await finish();
    expect(chat.ops[0]).toMatchObject({ op: "send", text: "⏳ Queued: 2 requests ahead of you, about 2 min to start.", final: false });
    expect(chat.ops.filter((op) => op.op === "send")).toHaveLength(1);
    const texts = chat.ops.map((op) => op.text);
    expect(texts).toContain("⏳ Queued: 1 request ahead of you, about 40 s to start.");
    expect(texts).toContain("💭 Thinking…");
    expect(texts).toContain("🔧 web_search: searching: tiny models");
    expect(chat.ops.at(-1)).toMatchObject({ op: "edit", id: chat.ops[0]!.id, text: "Hello there.", final: true });
    expect(chat.visible).toEqual(["Hello there."]);
    expect(stream.isDelivered).toBe(true);
  });

  it("throttles edits to one per interval, the latest text winning, and never sends an identical edit", async () => {
    const { chat, feed, finish } = setup({ editIntervalMs: 1000 });
    const answer = Array.from({ length: 300 }, (_, i) => `w${i}`).join(" ");
    await feed([{ type: "queued", position: 0, etaSeconds: null }, { type: "started" }, ...deltas(answer, 4)], 20);
    await feed([{ type: "done", answer, sources: [] }]);
    await finish();
    const edits = chat.ops.filter((op) => op.op === "edit");
    for (let i = 1; i < chat.ops.length; i++) expect(chat.ops[i]!.at - chat.ops[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    // ~6 virtual seconds of streaming: a handful of edits, not hundreds.
    expect(edits.length).toBeGreaterThan(3);
    expect(edits.length).toBeLessThan(12);
    for (let i = 1; i < chat.ops.length; i++) expect(chat.ops[i]!.text === chat.ops[i - 1]!.text && chat.ops[i]!.final === chat.ops[i - 1]!.final).toBe(false);
    // Progress edits show a growing prefix of the answer.
    for (const edit of edits.filter((op) => !op.final && op.text !== "💭 Thinking…")) expect(answer.startsWith(edit.text)).toBe(true);
    expect(chat.visible).toEqual([answer]);
  });

  it("does not edit when an event changes nothing", async () => {
    const { chat, feed, finish } = setup();
    await feed([{ type: "queued", position: 1, etaSeconds: null }], 2000);
    await feed([{ type: "queued", position: 1, etaSeconds: null }], 2000);
    await feed([{ type: "queued", position: 1, etaSeconds: null }], 2000);
    await feed([{ type: "cancelled" }]);
    await finish();
    expect(chat.ops.map((op) => op.text)).toEqual(["⏳ Queued: 1 request ahead of you.", "Cancelled."]);
  });

  it("delivers a 10,000-character answer complete, in order, each message within 4,096, fences balanced", async () => {
    const { chat, feed, finish } = setup({ limit: 4096 });
    let answer = "";
    for (let i = 0; answer.length < 10_000; i++) {
      answer += `Step ${i}: some explanation with an emoji 😀 and words.\n\`\`\`python\n${Array.from({ length: 25 }, (_, j) => `print(${i}, ${j})`).join("\n")}\n\`\`\`\n`;
    }
    answer = answer.slice(0, 10_000);
    await feed([{ type: "queued", position: 0, etaSeconds: null }, { type: "started" }, ...deltas(answer, 50)], 5);
    await feed([{ type: "done", answer, sources: [] }]);
    await finish();
    const messages = chat.visible;
    expect(messages).toEqual(splitMessage(answer, 4096));
    expect(messages.length).toBe(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(4096);
      expect(openFenceAtEnd(message)).toBeUndefined();
    }
    expect(splitMessageParts(answer, 4096).map((p) => p.body).join("")).toBe(answer);
    // The first chunk replaced the placeholder; the rest were sent after it, in order.
    const finals = chat.ops.filter((op) => op.final);
    expect(finals.map((op) => op.op)).toEqual(["edit", "send", "send"]);
    expect(finals[0]!.id).toBe(chat.ops[0]!.id);
    // While streaming, the placeholder never went over the limit either.
    for (const op of chat.ops) expect(op.text.length).toBeLessThanOrEqual(4096);
  });

  it("sends a very long answer as a file with a short note in the placeholder", async () => {
    const { chat, feed, finish } = setup({ fileThreshold: 12_000 });
    const answer = "line of a long review\n".repeat(1000);
    await feed([{ type: "queued", position: 0, etaSeconds: null }, { type: "done", answer, sources: [] }]);
    await finish();
    expect(chat.files).toEqual([{ name: "answer.md", content: answer, caption: "The full answer." }]);
    expect(chat.visible).toEqual(["📎 The answer is 22,000 characters long, so it is attached as answer.md."]);
  });

  it("says what failed and what to do, after any partial answer", async () => {
    const { chat, feed, finish } = setup();
    await feed([{ type: "started" }, { type: "delta", text: "Partial" }, { type: "failed", reason: "The search provider is down.", hint: "Try again later." }]);
    await finish();
    expect(chat.visible).toEqual(["Partial\n\n⚠️ The search provider is down.\nTry again later."]);
  });

  it("says Cancelled., keeping what was already written", async () => {
    const { chat, feed, finish } = setup();
    await feed([{ type: "started" }, { type: "delta", text: "la la la" }, { type: "cancelled", reason: "by the user" }]);
    await finish();
    expect(chat.visible).toEqual(["la la la\n\nCancelled."]);
  });

  it("honours retry-after: the next edit waits that long, and the final text still arrives", async () => {
    const { chat, feed, time, finish } = setup({ editIntervalMs: 1000 });
    // Call 2 (the first edit) and call 4 are rate-limited.
    chat.failures.set(2, new RetryAfterError(5));
    chat.failures.set(4, new RetryAfterError(3));
    const answer = "one two three four five six seven eight";
    const start = time.now;
    await feed([{ type: "queued", position: 0, etaSeconds: null }, { type: "started" }, ...deltas(answer, 4)], 300);
    await feed([{ type: "done", answer, sources: [] }]);
    await finish();
    const [placeholder, ...rest] = chat.ops;
    expect(placeholder!.at).toBe(start);
    // The first edit was refused at ~start+1000 with retry_after 5: nothing was edited before start+6000.
    expect(rest[0]!.at).toBeGreaterThanOrEqual(start + 6000);
    expect(chat.visible).toEqual([answer]);
    expect(chat.ops.at(-1)).toMatchObject({ op: "edit", text: answer, final: true });
  });

  it("waits out rate limits on the final messages too, without losing or reordering any", async () => {
    const { chat, feed, finish } = setup({ limit: 100, editIntervalMs: 100 });
    const answer = Array.from({ length: 40 }, (_, i) => `sentence ${i}.`).join(" ");
    for (const call of [3, 4, 5]) chat.failures.set(call, new RetryAfterError(2));
    await feed([{ type: "queued", position: 0, etaSeconds: null }, { type: "done", answer, sources: [] }]);
    await finish();
    expect(chat.visible).toEqual(splitMessage(answer, 100));
  });

  it("sends the answer as a new message when the placeholder cannot be edited any more", async () => {
    const { chat, feed, finish } = setup();
    await feed([{ type: "queued", position: 0, etaSeconds: null }], 2000);
    chat.messages.clear(); // the user deleted the placeholder
    await feed([{ type: "done", answer: "Still here.", sources: [] }]);
    await finish();
    expect(chat.visible).toEqual(["Still here."]);
    expect(chat.ops.at(-1)).toMatchObject({ op: "send", text: "Still here.", final: true });
  });

  it("throws from finish() when the final text cannot be delivered at all", async () => {
    const { chat, feed, finish } = setup();
    for (let call = 1; call < 10; call++) chat.failures.set(call, Object.assign(new Error("Forbidden: bot was blocked by the user"), { status: 403 }));
    await feed([{ type: "done", answer: "hi", sources: [] }]);
    await expect(finish()).rejects.toThrow("blocked");
  });

  it("works on the real clock", async () => {
    const chat = new MemoryChat(new VirtualTime());
    const stream = new JobMessageStream({ sink: chat, limit: 200, editIntervalMs: 30 });
    // Timed from before the placeholder is sent, which starts the interval (timers may round down by a ms).
    const started = performance.now();
    await stream.handle({ type: "queued", position: 0, etaSeconds: null, jobId: "j", at: 0 });
    for (const piece of ["a ", "b ", "c"]) await stream.handle({ type: "delta", text: piece, jobId: "j", at: 0 });
    await stream.handle({ type: "done", answer: "a b c", sources: [] as never[], jobId: "j", at: 0 });
    await stream.finish();
    expect(performance.now() - started).toBeGreaterThanOrEqual(28);
    expect(chat.visible).toEqual(["a b c"]);
  });
});

describe("tailPreview", () => {
  it("shows the end of a long answer after a marker, within the limit, fences reopened and closed", () => {
    const text = `intro\n\`\`\`js\n${"let x = 1;\n".repeat(50)}`;
    const preview = tailPreview(text, 120);
    expect(preview.length).toBeLessThanOrEqual(120);
    expect(preview.startsWith("…\n```js\n")).toBe(true);
    expect(openFenceAtEnd(preview)).toBeUndefined();
    expect(tailPreview("short", 120)).toBe("short");
  });
});
