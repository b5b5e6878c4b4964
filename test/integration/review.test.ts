import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAgent } from "../../agent/agent.js";
import { createReviewAgent } from "../../agent/review/review-agent.js";
import { routeByKind } from "../../agent/route-by-kind.js";
import { ModelEngine } from "../../models/engine.js";
import { RequestProducer } from "../../queue/producer.js";
import { RequestWorker } from "../../queue/worker.js";
import { ReviewSchema, type Review } from "../../src/review.js";
import type { ChatRequestInput, JobEvent } from "../../src/contracts.js";
import { RequestError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { MAX_REVIEW_CHARS } from "../../src/review-input.js";
import { Sandbox } from "../../tools/code-exec/index.js";
import { REVIEW_SUMMARY_DEFAULT, REVIEW_SUMMARY_SYNTAX, writeScriptedReviewModel } from "../support/models/index.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * Code reviews end to end: real fixtures (git diffs, plain diffs, files) through the real producer, a real
 * Redis, the real worker and the review agent on real llama.cpp (a scripted reviewer model that writes one
 * fixed JSON review under the review grammar), with syntax checks in the real bubblewrap sandbox.
 */

const FIXTURES = fileURLToPath(new URL("../fixtures/review/", import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");
const tmp = makeTempDir("burrow-review-");
let redis: RedisFixture;
let producer: RequestProducer;
const engines: ModelEngine[] = [];
const workers: RequestWorker[] = [];
let modelPath: string;

async function startWorker(contextSize = 4096): Promise<void> {
  const engine = new ModelEngine({ modelPath, threads: 1, contextSize, logger: silentLogger() });
  await engine.start();
  engines.push(engine);
  const sandbox = new Sandbox({ timeoutMs: 10_000 });
  const chat = createAgent({ engine, tools: { unavailable: new Map() }, maxTokens: 64, temperature: 0, maxToolSteps: 0, timeoutMs: 60_000, thoughtTokens: 0, fixRounds: 0, pageTokens: 100 });
  const review = createReviewAgent({ engine, code: sandbox, maxTokens: 200, temperature: 0, timeoutMs: 60_000, inputLookup: true });
  const worker = new RequestWorker({ target: redis.target, agent: routeByKind({ chat, review }), logger: silentLogger(), historyTurns: 0 });
  await worker.start();
  workers.push(worker);
}

async function stopWorkers(): Promise<void> {
  for (const worker of workers.splice(0)) await worker.stop();
  for (const engine of engines.splice(0)) await engine.stop();
}

const submit = (input: Partial<ChatRequestInput>) => producer.submit({ platform: "terminal", chatId: "c", userId: "u", text: "Please review.", kind: "review", ...input });

async function collect(jobId: string): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of producer.events.follow(jobId)) events.push(event);
  return events;
}

async function reviewOf(jobId: string): Promise<{ review: Review; answer: string; events: JobEvent[] }> {
  const events = await collect(jobId);
  const done = events.at(-1);
  if (done?.type !== "done") throw new Error(`the review ended with ${JSON.stringify(done)}`);
  // Valid against the schema, as the front ends receive it.
  return { review: ReviewSchema.parse(done.review), answer: done.answer, events };
}

beforeAll(async () => {
  redis = await startRedisFixture();
  modelPath = (await writeScriptedReviewModel(join(tmp.path, "reviewer.gguf"))).path;
});
afterAll(async () => {
  await stopWorkers();
  await producer?.stop();
  await redis.stop();
  tmp.remove();
});
beforeEach(async () => {
  await stopWorkers();
  await producer?.stop();
  await redis.client.flushall();
  producer = new RequestProducer({ redis: redis.client, target: redis.target, logger: silentLogger() });
  await producer.start();
});

describe("code reviews through the queue", () => {
  it("reviews a git diff: a schema-valid review rendered as Markdown, with findings on non-existent lines dropped", async () => {
    await startWorker();
    const { jobId } = await submit({ attachments: [{ name: "two-files.diff", text: fixture("two-files.diff") }] });
    const { review, answer } = await reviewOf(jobId);
    expect(review.summary).toBe(REVIEW_SUMMARY_DEFAULT);
    // The model wrote four findings: calc.py:2 (a changed line of src/calc.py), calc.py:999 (no such line) and
    // two on files the diff does not touch. Only the first survives, under the diff's own path.
    expect(review.findings).toEqual([
      { file: "src/calc.py", line: 2, hunk: null, severity: "major", category: "bug", explanation: "add() returns a - b instead of a + b.", suggestion: "    return a + b" },
    ]);
    expect(review.dropped).toBe(3);
    expect(review.parts).toBe(1);
    expect(answer).toContain("**Code review** (javascript, python)");
    expect(answer).toContain("1. 🔴 **major** · bug — `src/calc.py` line 2");
    expect(answer).toContain("3 findings citing a file or line that is not in the input were dropped.");
    expect(answer).not.toContain("999");
  });

  it("runs py_compile in the sandbox before the model writes and gives it the output", async () => {
    await startWorker();
    const { jobId } = await submit({ attachments: [{ name: "broken.py", text: fixture("broken.py") }] });
    const { review, answer, events } = await reviewOf(jobId);
    expect(review.checks).toEqual([{ file: "broken.py", command: "python -m py_compile broken.py", status: "failed", output: expect.stringContaining("SyntaxError: '(' was never closed") }]);
    // The scripted reviewer writes this summary only when "SyntaxError" is in its context: the check's output reached the prompt.
    expect(review.summary).toBe(REVIEW_SUMMARY_SYNTAX);
    expect(answer).toContain("❌ `python -m py_compile broken.py` failed");
    const order = events.map((event) => (event.type === "tool" ? event.summary : event.type));
    expect(order.indexOf("Syntax-checking broken.py in the sandbox")).toBeLessThan(order.indexOf("thinking"));
  });

  it("checks suggestions parse: a fragment that parses is kept, one that does not is removed", async () => {
    await startWorker();
    const diff = fixture("six-files.diff");
    const { jobId } = await submit({ attachments: [{ name: "calc.py", text: fixture("calc.py") }, { name: "six-files.diff", text: diff }] });
    const { review } = await reviewOf(jobId);
    expect(review.checks.map((check) => [check.file, check.status])).toEqual([["calc.py", "passed"]]);
    const byFile = new Map(review.findings.map((finding) => [finding.file, finding]));
    expect(byFile.get("calc.py")?.suggestion).toBe("    return a + b");
    // "INVENTORY_LIMIT = (" does not parse, in or out of a function body.
    expect(byFile.get("pkg/inventory.py")).toMatchObject({ line: 3, suggestion: null });
    expect(review.notes).toContain("1 suggested change did not parse and was removed.");
  });

  it("splits a multi-file diff larger than the context by file and hunk, and merges the findings", async () => {
    await startWorker(2048);
    const diff = fixture("six-files.diff");
    const { jobId } = await submit({ text: "Review this change.", attachments: [{ name: "six-files.diff", text: diff }] });
    const { review, answer, events } = await reviewOf(jobId);
    expect(engines[0]!.tokenCount(diff)).toBeGreaterThan(2048);
    expect(review.parts).toBeGreaterThan(1);
    const parts = events.filter((event) => event.type === "thinking" && /^Reviewing part \d+ of \d+/.test(event.text ?? ""));
    expect(parts).toHaveLength(review.parts);
    // Every part wrote the same two grounded findings; merged, each appears once.
    expect(review.findings.map((finding) => `${finding.file}:${finding.line}`).sort()).toEqual(["pkg/inventory.py:3", "pkg/users.py:3"]);
    expect(answer).toContain(`so it was reviewed in ${review.parts} parts (by file, then by hunk and line range where needed) and the findings merged`);
  });

  it("refuses oversized, binary and archive input with a message naming the limit, and queues nothing", async () => {
    const huge = "x = 1\n".repeat(Math.ceil(MAX_REVIEW_CHARS / 6) + 10);
    const attempts = [
      submit({ attachments: [{ name: "a.py", text: huge.slice(0, 150_000) }, { name: "b.py", text: huge.slice(0, 150_000) }] }),
      submit({ attachments: [{ name: "archive.zip", text: "PK\u0003\u0004 whatever" }] }),
      submit({ attachments: [{ name: "blob.dat", text: "\u0000\u0001\u0002\u0003binary\u0004\u0005" }] }),
    ];
    const results = await Promise.allSettled(attempts);
    const reasons = results.map((result) => (result.status === "rejected" ? (result.reason as RequestError) : undefined));
    expect(reasons.every((reason) => reason instanceof RequestError)).toBe(true);
    expect(reasons[0]!.message).toContain(`a review takes at most ${MAX_REVIEW_CHARS.toLocaleString("en-US")}`);
    expect(reasons[0]!.hint).toContain("Nothing was queued");
    expect(reasons[1]!.message).toContain("archive.zip is an archive or binary file");
    expect(reasons[2]!.message).toContain("blob.dat looks binary");
    expect(await producer.counts()).toEqual({ waiting: 0, active: 0 });
    expect(await redis.client.keys("*events*")).toEqual([]);
  });

  it("runs an interactive question queued after a review first, and tells the review its new place", async () => {
    // Both wait before the worker starts, as they would behind a running job.
    const review = await submit({ attachments: [{ name: "plain.diff", text: fixture("plain.diff") }] });
    const question = await producer.submit({ platform: "terminal", chatId: "q", userId: "u", text: "hello?" });
    expect(review.position).toBe(0);
    expect(question.position).toBe(0);
    const started: string[] = [];
    const watch = async (jobId: string, name: string): Promise<JobEvent[]> => {
      const events: JobEvent[] = [];
      for await (const event of producer.events.follow(jobId)) {
        events.push(event);
        if (event.type === "started") started.push(name);
      }
      return events;
    };
    const reviewEvents = watch(review.jobId, "review");
    const questionEvents = watch(question.jobId, "question");
    await startWorker();
    const [ofReview, ofQuestion] = await Promise.all([reviewEvents, questionEvents]);
    expect(started).toEqual(["question", "review"]);
    expect(ofQuestion.at(-1)?.type).toBe("done");
    expect(ofReview.at(-1)).toMatchObject({ type: "done", review: { findings: [] } });
    // Queued at 0, moved to 1 when the question went ahead of it.
    const positions = ofReview.filter((event) => event.type === "queued").map((event) => (event.type === "queued" ? event.position : -1));
    expect(positions.slice(0, 2)).toEqual([0, 1]);
  });
});
