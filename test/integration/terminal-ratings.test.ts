import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runChat } from "../../bots/terminal/chat.js";
import { HistoryStore } from "../../queue/history-store.js";
import { RequestProducer } from "../../queue/producer.js";
import { RatingStore } from "../../queue/ratings.js";
import { RequestWorker } from "../../queue/worker.js";
import type { Agent, AgentEvent } from "../../src/contracts.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";

/** `/good` and `/bad` in `burrow chat` rate the last answer (real queue, worker and Redis; scripted agent). */
const agent: Agent = async function* (request): AsyncGenerator<AgentEvent> {
  if (request.text === "fail") throw new Error("boom");
  yield { type: "done", answer: `answer to ${request.text}`, sources: [] };
};

let redis: RedisFixture;
let worker: RequestWorker;
let producer: RequestProducer;
let ratings: RatingStore;
let history: HistoryStore;

const sink = () => {
  let text = "";
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
  return { stream, text: () => text };
};

beforeAll(async () => {
  redis = await startRedisFixture();
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 6 });
  await worker.start();
  const commands = connectRedis(redis.target, "client", "terminal-ratings");
  producer = new RequestProducer({ redis: commands, target: redis.target, logger: silentLogger() });
  await producer.start();
  ratings = new RatingStore(commands);
  history = new HistoryStore(commands);
});
afterAll(async () => {
  await worker.stop();
  await producer.stop();
  await redis.stop();
});

describe("terminal ratings", () => {
  it("/good rates the last answer, /bad re-rates it; nothing to rate before an answer or after a failure", async () => {
    const out = sink();
    const err = sink();
    const input = Readable.from(["/good\n", "first question\n", "second question\n", "/good\n", "/bad\n", "fail\n", "/good\n"]);
    await runChat({ producer, history }, { chatId: "t1", input, streams: { out: out.stream, err: err.stream }, ratings, userId: "alice" });
    const lines = err.text().split("\n").filter((line) => line.startsWith("["));
    const none = "[no answer to rate: /good and /bad rate the last answer]";
    expect(lines.filter((line) => /rated|no answer/.test(line))).toEqual([none, "[rated 👍]", "[rated 👎]", none]);
    const all = [];
    for await (const record of ratings.all()) all.push(record);
    // One record: the second answer, rated 👍 then 👎 (the /good after the failed request rated nothing).
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ rating: -1, ratedBy: "terminal:alice", request: { platform: "terminal", userId: "alice", text: "second question" }, answer: { text: "answer to second question" } });
    expect(all[0]!.context.map((turn) => turn.text)).toEqual(["first question", "answer to first question"]);
  });

  it("says so when ratings are not available", async () => {
    const err = sink();
    await runChat({ producer, history }, { chatId: "t2", input: Readable.from(["/bad\n"]), streams: { out: sink().stream, err: err.stream } });
    expect(err.text()).toContain("[rating is not available here]");
  });
});
