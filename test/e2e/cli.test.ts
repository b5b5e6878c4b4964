import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobEventSchema, type JobEvent } from "../../src/contracts.js";
import { cliEnv, runCli, spawnCli, waitForOutput, watchOutput } from "../support/cli.js";
import { SENTENCE_DEFAULT, SENTENCE_REMEMBERED, writeScriptedChatModel } from "../support/models/index.js";
import { startRedisFixture } from "../support/redis-fixture.js";
import { descendantsOf, isRunning, processesMentioning } from "../support/processes.js";
import { makeTempDir } from "../support/temp-dir.js";
import { until } from "../support/until.js";

/**
 * `burrow` end to end, as built: real redis-server, real llama.cpp on the scripted tiny model, the CLI in
 * its own processes. The scripted model answers SENTENCE_DEFAULT, or SENTENCE_REMEMBERED when "pineapple"
 * is anywhere in its context (which proves history reached it), and sings " la" forever on "forever".
 */

const tmp = makeTempDir();
const model = join(tmp.path, "scripted.gguf");

beforeAll(async () => {
  await writeScriptedChatModel(model);
});
afterAll(() => tmp.remove());

let dirCount = 0;
function settings(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({ BURROW_DATA_DIR: join(tmp.path, `data-${++dirCount}`), BURROW_MODEL: model, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: "2048", ...extra });
}

function jsonEvents(stdout: string): JobEvent[] {
  return stdout.trim().split("\n").filter(Boolean).map((line) => JobEventSchema.parse(JSON.parse(line)) as JobEvent);
}

function nothingLeftRunning(dataDir: string): void {
  expect(processesMentioning(join(dataDir, "redis", "redis.sock"))).toEqual([]);
  expect(existsSync(join(dataDir, "instance.json"))).toBe(false);
}

describe("burrow ask without a daemon", () => {
  it("answers through the queue and the worker, then stops everything it started", async () => {
    const env = settings();
    const result = await runCli(["ask", "hello there"], env);
    expect(result.stderr).toContain("[queued: next]");
    expect(result.stdout).toBe(`${SENTENCE_DEFAULT}`);
    expect(result.exitCode).toBe(0);
    nothingLeftRunning(env.BURROW_DATA_DIR!);
  });

  it("streams the known answer in pieces (--json shows every event)", async () => {
    const result = await runCli(["ask", "--json", "hello"], settings());
    expect(result.exitCode).toBe(0);
    const events = jsonEvents(result.stdout);
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(["queued", "started"]);
    const deltas = events.filter((e): e is Extract<JobEvent, { type: "delta" }> => e.type === "delta");
    expect(deltas.length).toBeGreaterThanOrEqual(5);
    expect(deltas.map((d) => d.text).join("")).toBe(SENTENCE_DEFAULT);
    expect(events.at(-1)).toMatchObject({ type: "done", answer: SENTENCE_DEFAULT });
  });

  it("stops with one clear line on a bad setting", async () => {
    const result = await runCli(["ask", "hi"], settings({ BURROW_TEMPERATURE: "hot" }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('burrow: Invalid setting BURROW_TEMPERATURE="hot" (from the environment): expected a number from 0 to 2.');
  });

  it("rejects a file that is not a GGUF model before llama.cpp sees it, and leaves nothing running", async () => {
    const bad = join(tmp.path, "not-a-model.gguf");
    writeFileSync(bad, "this is a text file, not a model\n");
    const env = settings({ BURROW_MODEL: bad });
    const result = await runCli(["ask", "hi"], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${bad} is not a GGUF model file`);
    expect(result.stderr).toContain("Set BURROW_MODEL=");
    nothingLeftRunning(env.BURROW_DATA_DIR!);
  });

  it("says what to do when the model file is missing", async () => {
    const result = await runCli(["ask", "hi"], settings({ BURROW_MODEL: join(tmp.path, "nope.gguf") }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Model file not found: .*nope\.gguf\nSet BURROW_MODEL=.*Qwen2\.5-7B-Instruct Q4_K_M/);
  });

  it("chats through piped stdin, one message per line", async () => {
    const result = await runCli(["chat", "--chat", "piped"], settings(), "hello\nI like pineapple\nwhat now?\n/exit\n");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${SENTENCE_DEFAULT}\n${SENTENCE_REMEMBERED}\n${SENTENCE_REMEMBERED}`);
  });
});

describe("burrow with REDIS_URL", () => {
  it("uses the configured Redis and starts no redis-server of its own", async () => {
    const redis = await startRedisFixture({ tcp: true });
    try {
      const env = settings({ REDIS_URL: redis.url! });
      const result = await runCli(["ask", "--chat", "r1", "hello"], env);
      expect(result.stdout).toBe(SENTENCE_DEFAULT);
      expect(existsSync(join(env.BURROW_DATA_DIR!, "redis"))).toBe(false);
      // The conversation lives in that server.
      expect(await redis.client.llen("burrow:history:terminal:r1:-")).toBe(2);
      const doctor = await runCli(["doctor"], env);
      expect(doctor.stdout).toMatch(/^ok {4}Redis: redis:\/\/127\.0\.0\.1:\d+\/?, version 7/m);
    } finally {
      await redis.stop();
    }
  });

  it("says clearly when the configured Redis cannot be reached", async () => {
    const result = await runCli(["ask", "hi"], settings({ REDIS_URL: "redis://127.0.0.1:1" }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*\nCheck REDIS_URL/);
  });
});

describe("burrow doctor", () => {
  it("reports a usable setup", async () => {
    const result = await runCli(["doctor"], settings());
    expect(result.stdout).toMatch(/^ok {4}Model: .*qwen2.*needs about .* RAM/m);
    expect(result.stdout).toMatch(/^ok {4}Redis: embedded redis-server/m);
    expect(result.stdout).toMatch(/^ok {4}Threads: 1 inference thread \(BURROW_THREADS\); \d+ physical core/m);
    expect(result.stdout).toMatch(/^ok {4}Privacy: online: search queries and pages from results may leave; audit log \d+ records?, .* of 10 MB$/m);
    expect(result.exitCode).toBe(0);
  });

  it("says what to fix when the model is missing", async () => {
    const result = await runCli(["doctor"], settings({ BURROW_MODEL: join(tmp.path, "missing.gguf") }));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}Model: Model file not found: .*missing\.gguf\n {6}fix: Set BURROW_MODEL=/m);
  });
});

describe("burrow start (the daemon) with asks from other processes", () => {
  // A context large enough that "forever" never reaches it (at ~1,000–2,600 tok/s) before a test cancels it.
  const env = settings({ BURROW_MAX_TOKENS: "60000", BURROW_CONTEXT_SIZE: "32768" });
  const dataDir = env.BURROW_DATA_DIR!;
  let daemon: ReturnType<typeof spawnCli>;

  async function startDaemon() {
    daemon = spawnCli(["start", "--no-chat"], env);
    await waitForOutput(daemon.stderr!, /Burrow is running/);
  }

  beforeAll(startDaemon);
  afterAll(async () => {
    if (isRunning(daemon.pid!)) daemon.kill("SIGKILL");
    await daemon;
  });

  it("answers an ask from another process with the daemon's worker", async () => {
    const result = await runCli(["ask", "hi"], env);
    expect(result.stdout).toBe(SENTENCE_DEFAULT);
    // The daemon logs the answer after its last event, through a non-blocking writer: wait for the line.
    const answeredBy = (): number[] =>
      readFileSync(join(dataDir, "logs", "burrow.log"), "utf8")
        .split("\n").filter((line) => line.includes('"request answered"')).map((line) => JSON.parse(line).pid as number);
    await until(() => answeredBy().length > 0, 5000, "the daemon's \"request answered\" log line");
    expect(answeredBy()).toEqual([daemon.pid]);
  });

  it("runs two questions one after the other: the second waits at position 1; Ctrl-C cancels the first", async () => {
    const first = spawnCli(["ask", "--json", "sing forever"], env);
    await waitForOutput(first.stdout!, /"type":"delta"/);
    const second = spawnCli(["ask", "--json", "hello"], env);
    await waitForOutput(second.stdout!, /"type":"queued"/);
    await sleep(300);
    first.kill("SIGINT");
    const [firstResult, secondResult] = await Promise.all([first, second]);
    const firstEvents = jsonEvents(firstResult.stdout);
    const secondEvents = jsonEvents(secondResult.stdout);
    expect(firstResult.exitCode).toBe(130);
    expect(firstEvents.at(-1)?.type).toBe("cancelled");
    expect(firstEvents.filter((e) => e.type === "delta").length).toBeGreaterThan(10);
    expect(secondEvents[0]).toMatchObject({ type: "queued", position: 1 });
    expect(secondEvents.at(-1)).toMatchObject({ type: "done", answer: SENTENCE_DEFAULT });
    const secondStarted = secondEvents.find((e) => e.type === "started")!;
    expect(secondStarted.at).toBeGreaterThanOrEqual(firstEvents.at(-1)!.at);
    expect(secondResult.exitCode).toBe(0);
  });

  it("keeps a chat's history between turns, and only that chat's", async () => {
    expect((await runCli(["ask", "--chat", "c1", "my favourite fruit is pineapple"], env)).stdout).toBe(SENTENCE_REMEMBERED);
    expect((await runCli(["ask", "--chat", "c1", "what did I tell you?"], env)).stdout).toBe(SENTENCE_REMEMBERED);
    expect((await runCli(["ask", "--chat", "c2", "what did I tell you?"], env)).stdout).toBe(SENTENCE_DEFAULT);
  });

  it("loses no queued job across a daemon restart: the running one is re-queued, the waiting one answered", async () => {
    const first = spawnCli(["ask", "--json", "sing forever"], env);
    const firstOutput = watchOutput(first.stdout!);
    await firstOutput.waitFor(/"type":"delta"/);
    const second = spawnCli(["ask", "--json", "hello"], env);
    await waitForOutput(second.stdout!, /"type":"queued"/);
    daemon.kill("SIGTERM");
    expect((await daemon).exitCode).toBe(0);
    // Both asks keep waiting for Burrow to come back; nothing was answered or dropped meanwhile.
    await startDaemon();
    await firstOutput.waitFor(/"type":"started"[\s\S]*"type":"queued"[\s\S]*"type":"started"/);
    first.kill("SIGINT");
    const [firstResult, secondResult] = await Promise.all([first, second]);
    expect(jsonEvents(secondResult.stdout).at(-1)).toMatchObject({ type: "done", answer: SENTENCE_DEFAULT });
    expect(secondResult.stderr).toContain("[lost the connection to Burrow; waiting for it to come back (your request is kept)]");
    expect(jsonEvents(firstResult.stdout).at(-1)?.type).toBe("cancelled");
  });

  it("stops on SIGTERM leaving no redis-server or other child process, and keeps history for the next start", async () => {
    const children = descendantsOf(daemon.pid!);
    expect(children.length).toBeGreaterThan(0);
    expect(processesMentioning(join(dataDir, "redis", "redis.sock"))).toHaveLength(1);
    daemon.kill("SIGTERM");
    const result = await daemon;
    expect(result.exitCode).toBe(0);
    expect(children.filter(isRunning)).toEqual([]);
    nothingLeftRunning(dataDir);

    await startDaemon();
    expect((await runCli(["ask", "--chat", "c1", "still there?"], env)).stdout).toBe(SENTENCE_REMEMBERED);
  });
});
