import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobEventSchema, type JobEvent } from "../../src/contracts.js";
import { cliEnv, runCli, spawnCli, waitForOutput } from "../support/cli.js";
import { startFakeSearxng, type FakeSearxng } from "../support/fake-search/index.js";
import { writeToolCallerModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The whole path as a user runs it: `burrow ask` → BullMQ queue (real redis-server) → serial worker →
 * agent → real llama.cpp (the scripted tool-calling model) → the real SearXNG client through the egress
 * gate, against a fake SearXNG on loopback → the answer with its sources, as events.
 */
const tmp = makeTempDir("burrow-e2e-agent-");
let searxng: FakeSearxng;
let model: string;
const ANSWER = "Tokio is an async runtime [1].";
const SOURCE = { title: "Tokio - An asynchronous Rust runtime", url: "https://tokio.rs/" };

beforeAll(async () => {
  searxng = await startFakeSearxng();
  model = (await writeToolCallerModel(join(tmp.path, "tool-caller.gguf"), { call: { name: "web_search", arguments: { query: "tokio runtime" } }, answer: ANSWER })).path;
});
afterAll(async () => {
  await searxng.close();
  tmp.remove();
});

let dirs = 0;
const settings = (extra: Record<string, string> = {}) =>
  cliEnv({
    BURROW_DATA_DIR: join(tmp.path, `data-${++dirs}`),
    BURROW_MODEL: model,
    BURROW_THREADS: "1",
    BURROW_CONTEXT_SIZE: "4096",
    BURROW_SEARCH_PROVIDER: "searxng",
    BURROW_SEARXNG_URL: searxng.url,
    ...extra,
  });

const parse = (stdout: string): JobEvent[] => stdout.trim().split("\n").map((line) => JobEventSchema.parse(JSON.parse(line)) as JobEvent);

describe("burrow ask with the agent's tools", () => {
  it("searches through the queue and worker, and answers citing the result, with exactly these events", async () => {
    searxng.setMode("ok");
    searxng.clearRequests();
    const env = settings();
    const result = await runCli(["ask", "--json", "What is Tokio?"], env);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const events = parse(result.stdout);
    const jobId = events[0]!.jobId;
    expect(events.every((event) => event.jobId === jobId)).toBe(true);
    const answer = `${ANSWER}\n\nSources:\n[1] ${SOURCE.title} — ${SOURCE.url}`;
    // Deltas are one per decoded piece; everything else is exact.
    const shape = events.filter((event) => event.type !== "delta").map(({ at: _at, jobId: _id, ...body }) => body);
    expect(shape).toEqual([
      { type: "queued", position: 0, etaSeconds: null },
      { type: "started" },
      { type: "tool", name: "web_search", summary: 'Searching SearXNG for "tokio runtime"' },
      { type: "done", answer, sources: [SOURCE], usage: expect.any(Object) },
    ]);
    const deltas = events.filter((event): event is Extract<JobEvent, { type: "delta" }> => event.type === "delta");
    expect(deltas.map((delta) => delta.text).join("")).toBe(answer);
    expect(events.findIndex((event) => event.type === "tool")).toBeLessThan(events.findIndex((event) => event.type === "delta"));

    // What left the machine: one search request carrying only the query, and the egress log says so.
    expect(searxng.requests).toHaveLength(1);
    expect(searxng.requests[0]!.query).toEqual({ q: "tokio runtime", format: "json" });
    const audit = readFileSync(join(env.BURROW_DATA_DIR!, "logs", "egress.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    // The request (with its query, the one thing allowed out) and the connection the socket gate let through.
    const { hostname, port } = new URL(searxng.url);
    expect(audit).toEqual([
      expect.objectContaining({ purpose: "search", outcome: "allowed", host: new URL(searxng.url).host, jobId, status: 200, query: "tokio runtime" }),
      expect.objectContaining({ purpose: "search", layer: "socket", outcome: "allowed", host: hostname, port: Number(port), bytesOut: expect.any(Number) }),
    ]);
  });

  it("prints the answer and its sources in the terminal, and says clearly when search fails", async () => {
    searxng.setMode("ok");
    const ok = await runCli(["ask", "What is Tokio?"], settings());
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe(`${ANSWER}\n\nSources:\n[1] ${SOURCE.title} — ${SOURCE.url}`);
    expect(ok.stderr).toContain('web_search: Searching SearXNG for "tokio runtime"');

    searxng.setMode("json-disabled");
    const failed = await runCli(["ask", "What is Tokio?"], settings());
    expect(failed.exitCode).toBe(0);
    expect(failed.stdout).toMatch(new RegExp(`^${ANSWER.replace(/[[\].]/g, "\\$&")}\n\n⚠️ Web search failed: SearXNG at \\S+ refused the JSON API \\(HTTP 403\\)`));
    expect(failed.stdout).toContain("Enable `json` under `search.formats`");
  });

  it("offline (BURROW_OFFLINE=1) sends not even the query: the answer says search is unavailable", async () => {
    searxng.setMode("ok");
    searxng.clearRequests();
    const env = settings({ BURROW_OFFLINE: "1" });
    const result = await runCli(["ask", "What is Tokio?"], env);
    expect(result.exitCode).toBe(0);
    // The model still called web_search; the agent answered it with the offline reason instead of contacting anyone.
    expect(result.stderr).toContain("web_search: Search unavailable: Burrow is offline");
    expect(result.stdout).toBe(`${ANSWER}\n\n⚠️ Web search is unavailable: Burrow is in offline mode (BURROW_OFFLINE=1 or \`burrow start --offline\`), so nothing is sent.`);
    expect(searxng.requests).toEqual([]);
    // Nothing left the machine, so nothing was written to the audit log.
    expect(existsSync(join(env.BURROW_DATA_DIR!, "logs", "egress.log")) ? readFileSync(join(env.BURROW_DATA_DIR!, "logs", "egress.log"), "utf8") : "").toBe("");
  });

  it("`burrow start --offline`: the daemon's worker answers without search, and asks from other processes stay offline", async () => {
    searxng.setMode("ok");
    searxng.clearRequests();
    const env = settings();
    const daemon = spawnCli(["start", "--no-chat", "--offline"], env);
    try {
      await waitForOutput(daemon.stderr!, /Burrow is running/, 60_000);
      // This ask has no BURROW_OFFLINE of its own: the daemon's worker answers it, offline.
      const result = await runCli(["ask", "What is Tokio?"], env);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("⚠️ Web search is unavailable: Burrow is in offline mode");
      expect(searxng.requests).toEqual([]);
    } finally {
      daemon.kill("SIGTERM");
      await daemon;
    }
  }, 90_000);
});
