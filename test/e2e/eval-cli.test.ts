import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalReportSchema, type EvalReport } from "../../agent/eval/eval-report.js";
import { cliEnv, runCli, spawnCli, watchOutput } from "../support/cli.js";
import { SCRIPTED_SHAPE, writeLoraAdapter, writeToolCallerModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `burrow eval` as a user runs it: the built CLI, real llama.cpp on the scripted tool-calling model (it
 * searches once, then answers "Tool result received."), the real agent and tools against the local web,
 * and grading in the real sandbox, over the fixture suites plus HumanEval/MBPP fixture files. The model
 * cannot solve anything, so scores are zero; what is checked is the mechanics and the report files.
 */
const tmp = makeTempDir("burrow-e2e-eval-");
const fixtures = resolve(import.meta.dirname, "../fixtures/eval");
let model: string;

beforeAll(async () => {
  model = (await writeToolCallerModel(join(tmp.path, "tool-caller.gguf"), { call: { name: "web_search", arguments: { query: "velmora tidal bridge" } } })).path;
});
afterAll(() => tmp.remove());

const env = () =>
  cliEnv({ BURROW_DATA_DIR: join(tmp.path, "data"), BURROW_MODEL: model, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: "4096", BURROW_MAX_TOKENS: "48" });
const args = ["eval", "--suites-dir", fixtures, "--humaneval", join(fixtures, "humaneval.jsonl"), "--mbpp", join(fixtures, "mbpp.jsonl")];
const reportsIn = (dir: string): EvalReport[] =>
  readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => EvalReportSchema.parse(JSON.parse(readFileSync(join(dir, name), "utf8"))));

describe("burrow eval", () => {
  it("runs every task through the agent, grades it and writes JSON and Markdown reports; the second run compares with the first", async () => {
    const first = await runCli(args, env());
    expect(first.stderr).toContain("burrow eval: 14 tasks on");
    expect(first.exitCode).toBe(0);
    for (let i = 1; i <= 14; i++) expect(first.stderr).toContain(`[${i}/14] `);
    expect(first.stdout).toMatch(/Simple functions\s+2\s+0 % \(0 %–\d+ %\)\s+~70 %/);
    expect(first.stdout).toContain("Architecture design (approx.)");
    expect(first.stdout).toContain("Previous run: none in this folder.");

    const outDir = join(tmp.path, "data", "eval");
    const [report] = reportsIn(outDir);
    expect(report!.partial).toBe(false);
    expect(report!.model).toEqual({ path: model, name: expect.any(String), bytes: expect.any(Number) });
    expect(report!.adapter).toBeNull();
    expect(report!.settings).toMatchObject({ repeat: 1, maxTokens: 48, threads: 1 });
    expect(report!.categories.map((summary) => summary.category)).toEqual(["simple-functions", "complex-algorithms", "debugging", "web-assisted", "architecture", "humaneval", "mbpp"]);
    expect(report!.tasks).toHaveLength(14);
    const web = report!.categories.find((summary) => summary.category === "web-assisted")!;
    expect(web).toMatchObject({ tasks: 2, runs: 2, rate: 0, low: 0, expected: 0.6, previousRate: null, approximate: false });
    expect(web.high).toBeGreaterThan(0.5); // two failures say little: the interval is wide
    expect(report!.categories.find((summary) => summary.category === "architecture")).toMatchObject({ trials: 8, approximate: true, expected: 0.3 });
    // The scripted model searched once in every task, through the real SearXNG client to the local engine.
    expect(report!.tasks.every((run) => run.toolCalls === 1 && run.completionTokens > 0 && !run.passed)).toBe(true);
    expect(report!.tasks.find((run) => run.id === "web-fixture-velmora-bridge")!.detail).toContain("does not cite /wiki/velmora-tidal-bridge");
    expect(report!.tasks.find((run) => run.id === "sf-fixture-slugify")!.detail).toContain("no ```python code block");
    // Both layers audit each search: the HTTP gate's record (host with port) and the socket gate's (port apart).
    const audit = readFileSync(join(tmp.path, "data", "logs", "egress.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { purpose: string; layer?: string; host: string; outcome: string });
    expect(audit.filter((record) => (record.layer ?? "http") === "http").length).toBeGreaterThanOrEqual(14);
    expect(audit.filter((record) => record.layer === "socket").length).toBeGreaterThanOrEqual(14);
    expect(audit.every((record) => record.purpose === "search" && record.outcome === "allowed" && /^127\.0\.0\.1(:\d+)?$/.test(record.host))).toBe(true);
    const markdown = readFileSync(join(outDir, readdirSync(outDir).find((name) => name.endsWith(".md"))!), "utf8");
    expect(markdown).toContain("| category | tasks | pass rate (95 % CI) | design expects | previous run |");
    expect(markdown).toContain("| web-fixture-orrin-lamp | web-assisted | 1 | fail |");

    const second = await runCli([...args, "--suite", "web-assisted,architecture"], env());
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain("burrow eval: 4 tasks on");
    const reports = reportsIn(outDir);
    expect(reports).toHaveLength(2);
    const latest = reports[1]!;
    expect(latest.previous).toMatchObject({ startedAt: report!.startedAt, adapter: null });
    expect(latest.categories.map((summary) => [summary.category, summary.previousRate])).toEqual([
      ["web-assisted", 0],
      ["architecture", 0],
    ]);
    expect(second.stdout).toMatch(/Previous run: .*eval-.*\.json/);
    expect(second.stdout).toMatch(/Web-assisted\s+2\s+0 % \(0 %–\d+ %\)\s+~60 %\s+0 %\s+\+0 pts/);
  }, 120_000);

  it("stops on Ctrl-C and still writes a report, marked partial", async () => {
    const outDir = join(tmp.path, "partial");
    const child = spawnCli([...args, "--repeat", "50", "--out", outDir], env());
    const stderr = watchOutput(child.stderr!);
    await stderr.waitFor(/\[3\/700\] /, 60_000);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    const [report] = reportsIn(outDir);
    expect(report!.partial).toBe(true);
    expect(report!.tasks.length).toBeGreaterThanOrEqual(3);
    expect(report!.tasks.length).toBeLessThan(700);
    expect(String(result.stdout)).toContain("Partial: stopped after");
  }, 90_000);

  it("base vs adapter: a run with --adapter records the adapter and compares with the base run before it", async () => {
    const adapterFile = join(tmp.path, "tuned.gguf");
    // A weak adapter (tiny weights) so the scripted model still behaves; what is checked is that it is loaded and reported.
    await writeLoraAdapter(adapterFile, { shape: SCRIPTED_SHAPE, rank: 4, std: 0.001 });
    const added = await runCli(["adapters", "add", adapterFile, "--name", "tuned"], env());
    expect(added.exitCode).toBe(0);
    const outDir = join(tmp.path, "adapter-runs");
    const only = [...args, "--suite", "simple-functions", "--out", outDir];
    const base = await runCli([...only, "--adapter", "none"], env());
    expect(base.exitCode).toBe(0);
    expect(base.stdout).toContain("no adapter");
    const tuned = await runCli([...only, "--adapter", "tuned", "--adapter-scale", "0.5"], env());
    expect(tuned.stderr).toContain("+ adapter tuned (scale 0.5)");
    expect(tuned.exitCode).toBe(0);
    const [first, second] = reportsIn(outDir);
    expect(first!.adapter).toBeNull();
    expect(second!.adapter).toMatchObject({ name: "tuned", scale: 0.5 });
    expect(second!.previous).toMatchObject({ startedAt: first!.startedAt, adapter: null });
    expect(tuned.stdout).toMatch(/Previous run: .*, no adapter, /);
    expect(tuned.stdout).toMatch(/Simple functions\s+2\s+0 % \(0 %–\d+ %\)\s+~70 %\s+0 %\s+\+0 pts/);

    const unknown = await runCli([...only, "--adapter", "missing"], env());
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('No adapter named "missing" has been added.');
  }, 120_000);

  it("says which file and task are wrong when a suite file is broken, before loading the model", async () => {
    const dir = join(tmp.path, "broken");
    mkdirSync(dir);
    writeFileSync(join(dir, "debugging.yaml"), "category: debugging\ntasks:\n  - id: dbg-broken\n    title: No test\n    prompt: |\n      x\n    buggy: |\n      x = 1\n    reference: |\n      x = 2\n");
    const result = await runCli(["eval", "--suites-dir", dir], env());
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`burrow: ${join(dir, "debugging.yaml")}, task dbg-broken: failing_test: Invalid input: expected string, received undefined\nFix the file (the format is in the README's Evaluation section) and run \`burrow eval\` again.`);
  });
});
