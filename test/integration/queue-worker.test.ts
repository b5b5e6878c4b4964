import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Agent, AgentContext, AgentEvent, ChatRequest, JobEvent } from "../../src/contracts.js";
import { BurrowError, RequestError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { HistoryStore } from "../../queue/history-store.js";
import { redisKeys } from "../../queue/keys.js";
import { RequestProducer } from "../../queue/producer.js";
import { RequestWorker } from "../../queue/worker.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";

/**
 * The queue side against a real redis-server, with a scripted agent (the model is tested elsewhere):
 * streaming, serial order, positions, history, failures, cancels, and at-least-once safety.
 */

interface Gate {
  promise: Promise<void>;
  open: () => void;
}
const gate = (): Gate => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
};

let redis: RedisFixture;
let producer: RequestProducer;
let worker: RequestWorker | undefined;
const calls: { request: ChatRequest; context: AgentContext }[] = [];
const gates = new Map<string, Gate>();

/** Behaviour by message text: "gate:NAME" waits for that gate after its first delta; "fail"; "forever". */
const agent: Agent = async function* (request, context): AsyncGenerator<AgentEvent> {
  calls.push({ request, context });
  if (request.text === "fail") throw new BurrowError("tool_failed", "The search provider is down.", { hint: "Try again later." });
  if (request.text === "forever") {
    for (;;) {
      if (context.signal.aborted) throw context.signal.reason;
      yield { type: "delta", text: "la " };
      await sleep(10);
    }
  }
  yield { type: "delta", text: "first " };
  const waitFor = request.text.startsWith("gate:") ? gates.get(request.text.slice(5)) : undefined;
  if (waitFor) await waitFor.promise;
  yield { type: "delta", text: "second" };
  yield { type: "done", answer: `answer to ${request.text} (history ${context.history.length})`, sources: [] };
};

const resets: string[] = [];

async function startWorker(stopGraceMs?: number): Promise<RequestWorker> {
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 5, stopGraceMs, onConversationReset: (key) => void resets.push(key) });
  await worker.start();
  return worker;
}

const ask = (text: string, chatId = "chat-1") => producer.submit({ platform: "terminal", chatId, userId: "u1", text });

async function collect(jobId: string, onEvent?: (event: JobEvent) => void): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of producer.events.follow(jobId)) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

beforeAll(async () => {
  redis = await startRedisFixture();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  await redis.client.flushall();
  calls.length = 0;
  resets.length = 0;
  const commands = connectRedis(redis.target, "client", "test-producer");
  producer = new RequestProducer({ redis: commands, target: redis.target, logger: silentLogger() });
  await producer.start();
});
afterEach(async () => {
  for (const g of gates.values()) g.open();
  gates.clear();
  await worker?.stop();
  worker = undefined;
  await producer.stop();
});

describe("queue and serial worker", () => {
  it("streams events while the job runs, in order: queued, started, deltas, done", async () => {
    await startWorker();
    gates.set("g", gate());
    const job = await ask("gate:g");
    // The agent holds after its first delta until the follower has seen it: if events only arrived at
    // the end, this would never finish.
    const events = await collect(job.jobId, (event) => {
      if (event.type === "delta") gates.get("g")!.open();
    });
    expect(events.map((e) => e.type)).toEqual(["queued", "started", "delta", "delta", "done"]);
    expect(events.filter((e) => e.type === "delta").map((e) => (e as { text: string }).text).join("")).toBe("first second");
    expect(events.at(-1)).toMatchObject({ type: "done", answer: "answer to gate:g (history 0)" });
  });

  it("runs one job at a time: the second waits at position 1 and starts after the first is done", async () => {
    await startWorker();
    gates.set("one", gate());
    const first = await ask("gate:one");
    const firstEvents: JobEvent[] = [];
    const firstDone = collect(first.jobId, (e) => firstEvents.push(e));
    while (!firstEvents.some((e) => e.type === "started")) await sleep(5);
    const second = await ask("second question");
    expect(second.position).toBe(1);
    await sleep(100);
    expect((await producer.events.read(second.jobId)).map((e) => e.type)).toEqual(["queued"]);
    gates.get("one")!.open();
    const secondEvents = await collect(second.jobId);
    await firstDone;
    const firstEnd = firstEvents.at(-1)!;
    const secondStart = secondEvents.find((e) => e.type === "started")!;
    expect(firstEnd.type).toBe("done");
    expect(secondStart.at).toBeGreaterThanOrEqual(firstEnd.at);
    expect(secondEvents.at(-1)?.type).toBe("done");
  });

  it("tells waiting jobs their new position when the queue moves", async () => {
    gates.set("block", gate());
    const first = await ask("gate:block");
    const second = await ask("b");
    const third = await ask("c");
    expect([first.position, second.position, third.position]).toEqual([0, 1, 2]);
    await startWorker();
    while (!(await producer.events.read(first.jobId)).some((e) => e.type === "started")) await sleep(5);
    gates.get("block")!.open();
    const thirdEvents = await collect(third.jobId);
    const positions = thirdEvents.filter((e) => e.type === "queued").map((e) => (e as { position: number }).position);
    // Queued behind two; still two behind once the first starts; one behind once the second starts.
    expect(positions).toEqual([2, 2, 1]);
  });

  it("keeps each conversation's history and gives it to the agent on the next turn", async () => {
    await startWorker();
    await collect((await ask("hello", "chat-h")).jobId);
    const second = await collect((await ask("again", "chat-h")).jobId);
    expect(second.at(-1)).toMatchObject({ answer: "answer to again (history 2)" });
    expect(calls.at(-1)!.context.history.map((t) => [t.role, t.text])).toEqual([
      ["user", "hello"],
      ["assistant", "answer to hello (history 0)"],
    ]);
    const other = await collect((await ask("hi", "chat-other")).jobId);
    expect(other.at(-1)).toMatchObject({ answer: "answer to hi (history 0)" });
  });

  it("turns an agent error into a failed event with reason and hint, and goes on with the next job", async () => {
    await startWorker();
    const failed = await collect((await ask("fail")).jobId);
    expect(failed.at(-1)).toMatchObject({ type: "failed", reason: "The search provider is down.", hint: "Try again later." });
    const next = await collect((await ask("fine")).jobId);
    expect(next.at(-1)?.type).toBe("done");
  });

  it("cancels a waiting job without running it", async () => {
    gates.set("hold", gate());
    await ask("gate:hold");
    const waiting = await ask("never run me");
    expect(await producer.cancel(waiting.jobId)).toBe("removed");
    await startWorker();
    expect((await collect(waiting.jobId)).at(-1)).toMatchObject({ type: "cancelled" });
    gates.get("hold")!.open();
    await sleep(100);
    expect(calls.map((c) => c.request.text)).not.toContain("never run me");
  });

  it("cancels a running job through the agent's abort signal", async () => {
    await startWorker();
    const job = await ask("forever");
    const events = await collect(job.jobId, (event) => {
      if (event.type === "delta" && event.text === "la ") void producer.cancel(job.jobId);
    });
    expect(events.at(-1)).toMatchObject({ type: "cancelled" });
    expect(calls[0]!.context.signal.aborted).toBe(true);
    expect(await producer.cancel(job.jobId)).toBe("finished");
    // The worker is free again.
    expect((await collect((await ask("after")).jobId)).at(-1)?.type).toBe("done");
  });

  it("never answers a job twice: a job whose reply is recorded is skipped on retry", async () => {
    const job = await ask("already answered");
    await redis.client.set(redisKeys.reply(job.jobId), "1");
    await startWorker();
    const next = await collect((await ask("next")).jobId);
    expect(next.at(-1)?.type).toBe("done");
    expect(calls.map((c) => c.request.text)).toEqual(["next"]);
    expect((await producer.events.read(job.jobId)).map((e) => e.type)).toEqual(["queued"]);
  });

  it("puts a job interrupted by shutdown back in the queue, and runs it after the restart", async () => {
    await startWorker(100);
    const job = await ask("forever");
    while (!(await producer.events.read(job.jobId)).some((e) => e.type === "delta")) await sleep(5);
    await worker!.stop();
    worker = undefined;
    expect(await producer.counts()).toEqual({ waiting: 1, active: 0 });
    await startWorker();
    const events: JobEvent[] = [];
    for await (const event of producer.events.follow(job.jobId)) {
      events.push(event);
      if (event.type === "started" && events.filter((e) => e.type === "started").length === 2) void producer.cancel(job.jobId);
    }
    expect(events.filter((e) => e.type === "started")).toHaveLength(2);
    expect(events.at(-1)?.type).toBe("cancelled");
  });

  it("/new clears the history and tells the worker, which forgets the conversation's model state", async () => {
    await startWorker();
    await collect((await ask("hello", "chat-r")).jobId);
    const history = new HistoryStore(redis.client);
    await history.clear("terminal:chat-r:-");
    for (let i = 0; i < 200 && resets.length === 0; i++) await sleep(5);
    expect(resets).toEqual(["terminal:chat-r:-"]);
    expect(await history.load("terminal:chat-r:-", 5)).toEqual([]);
    const after = await collect((await ask("again", "chat-r")).jobId);
    expect(after.at(-1)).toMatchObject({ answer: "answer to again (history 0)" });
  });

  it("moves the history window in half-window steps, so the conversation's start stays put between steps", async () => {
    await startWorker();
    for (let i = 1; i <= 7; i++) await collect((await ask(`m${i}`, "chat-w")).jobId);
    // historyTurns is 5: after 5 exchanges the window jumps by 2 (half of 5, rounded down).
    const shown = calls.map((c) => c.context.history.filter((t) => t.role === "user").map((t) => t.text).join(","));
    expect(shown).toEqual(["", "m1", "m1,m2", "m1,m2,m3", "m1,m2,m3,m4", "m1,m2,m3,m4,m5", "m3,m4,m5,m6"]);
  });

  it("refuses an invalid request with a clear error and queues nothing", async () => {
    const error = await producer.submit({ platform: "terminal", chatId: "c", userId: "u", text: "  " }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).message).toBe("The request was refused: text: the message is empty.");
    expect(await producer.counts()).toEqual({ waiting: 0, active: 0 });
  });
});
