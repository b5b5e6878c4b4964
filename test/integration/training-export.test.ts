import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AccessPolicy } from "../../bots/access.js";
import { ChatIntake } from "../../bots/chat-intake.js";
import { HistoryStore } from "../../queue/history-store.js";
import { RequestProducer } from "../../queue/producer.js";
import { RatingStore } from "../../queue/ratings.js";
import { RequestWorker } from "../../queue/worker.js";
import type { Agent, AgentEvent, Platform } from "../../src/contracts.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { DatasetExampleSchema } from "../../training/dataset-schema.js";
import { exportRatings } from "../../training/export.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";
import { cliEnv, runCli } from "../support/cli.js";

/**
 * Learning from use, end to end on a real Redis: requests go through the real producer and worker (with
 * a scripted agent that uses a tool), people rate the answers through ChatIntake (the bots' shared flow),
 * and the exporter writes JSONL that the zod schema and the notebook's own Python check both accept.
 */
const root = resolve(import.meta.dirname, "../..");
// Real-looking (long) ids, so "the id is not in the export" cannot fail by chance on a random pseudonym or
// job id that happens to contain a short one.
const ALICE_ID = "5820471193";
const ALICE = `telegram:${ALICE_ID}`;
const BOB = "telegram:222";
const CAROL = "discord:333"; // allowed when she rated; no longer on the list when exporting
const ADMIN = "telegram:999";

/** Answers "answer: TEXT"; a question with "search" first uses the web_search tool. */
const agent: Agent = async function* (request, context): AsyncGenerator<AgentEvent> {
  if (request.text.includes("search")) yield { type: "tool", name: "web_search", summary: `Searching for "${request.text}"` };
  yield { type: "delta", text: "answer" };
  yield { type: "done", answer: `answer: ${request.text} (after ${context.history.length} turns)`, sources: [{ title: "Example", url: "https://example.org/" }] };
};

const tmp = makeTempDir("burrow-export-");
let redis: RedisFixture;
let producer: RequestProducer;
let worker: RequestWorker;
let ratings: RatingStore;
let intake: ChatIntake;

function sender(qualified: string) {
  const [platform, userId] = qualified.split(":") as [Platform, string];
  return { platform, userId };
}

/** Asks through the queue and waits for the answer; returns the job id. */
async function ask(qualified: string, text: string, chatId = `chat-${qualified}`): Promise<string> {
  const { platform, userId } = sender(qualified);
  const { jobId } = await producer.submit({ platform, chatId, userId, text });
  let last;
  for await (const event of producer.events.follow(jobId)) last = event;
  expect(last?.type).toBe("done");
  return jobId;
}

const exportAll = async (options: { stripIds?: boolean; minRating?: number } = {}) => {
  const lines: string[] = [];
  const summary = await exportRatings(ratings, { allowedUsers: new Set([ALICE, BOB, ADMIN]), ...options }, (line) => void lines.push(line));
  return { summary, lines, examples: lines.map((line) => DatasetExampleSchema.parse(JSON.parse(line))) };
};

const pythonCheck = (file: string) => spawnSync("python3", ["-B", join(root, "training/check_dataset.py"), file], { encoding: "utf8" });

/** Runs the notebook's own cells that load the schema, define the check and check the uploaded file. */
function notebookCheck(file: string) {
  const notebook = JSON.parse(readFileSync(join(root, "training/burrow-finetune.ipynb"), "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
  const sources = notebook.cells.filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
  const pick = (test: (source: string) => boolean) => {
    const found = sources.filter(test);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const cells = [
    pick((source) => source.startsWith("# --- training/dataset-schema.json ---")),
    pick((source) => source.startsWith("# --- training/check_dataset.py ---")),
    pick((source) => source.includes("user_examples = []")),
  ];
  const script = [`user_data_path = ${JSON.stringify(file)}`, ...cells].join("\n\n");
  return spawnSync("python3", ["-B", "-c", script], { encoding: "utf8" });
}

beforeAll(async () => {
  redis = await startRedisFixture({ tcp: true });
});
afterAll(async () => {
  await redis.stop();
  tmp.remove();
});
beforeEach(async () => {
  await redis.client.flushall();
  const commands = connectRedis(redis.target, "client", "test-export");
  producer = new RequestProducer({ redis: commands, target: redis.target, logger: silentLogger() });
  await producer.start();
  ratings = new RatingStore(commands);
  intake = new ChatIntake({
    queue: { producer, history: new HistoryStore(commands), ratings },
    access: new AccessPolicy({ allowedUsers: new Set([ALICE, BOB, CAROL]), admins: new Set([ADMIN]), maxQueuedPerUser: 3 }),
    logger: silentLogger(),
    stream: { limit: 4096, editIntervalMs: 0 },
  });
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 6 });
  await worker.start();
});
afterEach(async () => {
  await worker.stop();
  await producer.stop();
});

describe("ratings and training export", () => {
  it("only the requester or an admin rates; export keeps 👍 of allowlisted users with context and tool events; both schema checks pass", async () => {
    await ask(ALICE, "what is a monad?");
    const aliceJob = await ask(ALICE, "please search for monad tutorials");
    const bobJob = await ask(BOB, "tell me a joke");
    const carolJob = await ask(CAROL, "carol's question");
    const unrated = await ask(ALICE, "never rated", "other-chat");

    expect(await intake.rate(aliceJob, sender(BOB), 1)).toBe("Only the person who asked (or an admin) can rate that answer.");
    expect(await ratings.get(aliceJob)).toBeUndefined();
    expect(await intake.rate(aliceJob, sender(ALICE), -1)).toMatch(/^👎/);
    // Rating again replaces the earlier rating; an admin may rate anyone's answer.
    expect(await intake.rate(aliceJob, sender(ADMIN), 1)).toMatch(/^👍/);
    expect(await intake.rate(bobJob, sender(BOB), -1)).toMatch(/^👎/);
    expect(await intake.rate(carolJob, sender(CAROL), 1)).toMatch(/^👍/);
    expect(await intake.rate("no-such-job", sender(ALICE), 1)).toBe("That answer is too old to rate.");

    const record = await ratings.get(aliceJob);
    expect(record).toMatchObject({ rating: 1, ratedBy: ADMIN, conversation: `telegram:chat-telegram:${ALICE_ID}:-`, request: { userId: ALICE_ID, text: "please search for monad tutorials" } });
    expect(record?.tools).toEqual([expect.objectContaining({ name: "web_search", summary: 'Searching for "please search for monad tutorials"' })]);

    const { summary, lines, examples } = await exportAll();
    expect(summary).toEqual({ exported: 1, skippedRating: 1, skippedUser: 1 });
    const [example] = examples;
    expect(example!.messages).toEqual([
      { role: "system", content: expect.any(String) },
      { role: "user", content: "what is a monad?" },
      { role: "assistant", content: "answer: what is a monad? (after 0 turns)" },
      { role: "user", content: "please search for monad tutorials" },
      { role: "assistant", content: "answer: please search for monad tutorials (after 2 turns)" },
    ]);
    expect(example!.meta).toMatchObject({ source: "burrow", rating: 1, jobId: aliceJob, platform: "telegram", user: ALICE, tools: [{ name: "web_search", summary: expect.any(String) }], sources: [{ title: "Example", url: "https://example.org/" }] });
    const text = lines.join("");
    expect(text).not.toContain("carol's question");
    expect(text).not.toContain("tell me a joke");
    expect(text).not.toContain(unrated);

    // The notebook's own check accepts the exported file, and refuses a broken one.
    const file = join(tmp.path, "export.jsonl");
    writeFileSync(file, text);
    const ok = pythonCheck(file);
    expect(ok.stdout.trim()).toBe("OK: 1 example(s)");
    expect(ok.status).toBe(0);
    const broken = join(tmp.path, "broken.jsonl");
    writeFileSync(broken, text.replace('"role":"assistant"', '"role":"robot"'));
    expect(pythonCheck(broken).status).toBe(1);
    // The same through the notebook's cells, as they run in Colab.
    const inNotebook = notebookCheck(file);
    expect(inNotebook.stdout.trim()).toBe("OK: 1 example(s) from Burrow");
    expect(inNotebook.status).toBe(0);
    const brokenInNotebook = notebookCheck(broken);
    expect(brokenInNotebook.status).toBe(1);
    expect(brokenInNotebook.stderr).toContain("ValueError");

    // --min-rating -1 exports Bob's 👎 too (Carol stays out: she is not on the list).
    expect((await exportAll({ minRating: -1 })).summary).toEqual({ exported: 2, skippedRating: 0, skippedUser: 1 });
  });

  it("--strip-ids replaces user ids and chat keys by pseudonyms, stable within one export", async () => {
    const first = await ask(ALICE, "first");
    const second = await ask(ALICE, "second", "another-chat");
    await intake.rate(first, sender(ALICE), 1);
    await intake.rate(second, sender(ALICE), 1);
    const { lines, examples } = await exportAll({ stripIds: true });
    expect(examples).toHaveLength(2);
    const text = lines.join("");
    for (const secret of [ALICE_ID, ALICE, "chat-telegram", "another-chat"]) expect(text).not.toContain(secret);
    expect(examples[0]!.meta.user).toMatch(/^user-[0-9a-f]{12}$/);
    expect(examples[0]!.meta.user).toBe(examples[1]!.meta.user);
    expect(examples[0]!.meta.conversation).not.toBe(examples[1]!.meta.conversation);
    const file = join(tmp.path, "stripped.jsonl");
    writeFileSync(file, text);
    expect(pythonCheck(file).status).toBe(0);
  });

  it("`burrow training export --out FILE --strip-ids` through the built CLI", async () => {
    const jobId = await ask(ALICE, "cli question");
    await intake.rate(jobId, sender(ALICE), 1);
    const out = join(tmp.path, "cli.jsonl");
    const env = cliEnv({ BURROW_DATA_DIR: join(tmp.path, "data"), BURROW_REDIS_URL: redis.url!, BURROW_ALLOWED_USERS: ALICE });
    const result = await runCli(["training", "export", "--out", out, "--strip-ids"], env);
    expect(result.stderr).toContain("Exported 1 example(s)");
    expect(result.exitCode).toBe(0);
    const content = readFileSync(out, "utf8");
    expect(content).toContain("answer: cli question");
    expect(content).not.toContain(ALICE_ID);
    expect(execFileSync("python3", ["-B", join(root, "training/check_dataset.py"), out], { encoding: "utf8" })).toContain("OK: 1");
    const refused = await runCli(["training", "export", "--min-rating", "5"], env);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("--min-rating must be -1, 0 or 1");

    // Without a running Burrow: a data directory with no Redis data yet is told so; one with data gets
    // its embedded Redis started for the export (and stopped again).
    const fresh = cliEnv({ BURROW_DATA_DIR: join(tmp.path, "fresh"), BURROW_ALLOWED_USERS: ALICE });
    const empty = await runCli(["training", "export"], fresh);
    expect(empty.stderr).toContain("there is nothing to export");
    expect(empty.exitCode).toBe(1);
    mkdirSync(join(tmp.path, "fresh", "redis"), { recursive: true });
    const embedded = await runCli(["training", "export"], fresh);
    expect(embedded.stderr).toContain("Exported 0 example(s)");
    expect(embedded.exitCode).toBe(0);
    expect(existsSync(join(tmp.path, "fresh", "instance.json"))).toBe(false);
  });
});
