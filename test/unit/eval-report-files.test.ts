import { afterAll, describe, expect, it } from "vitest";
import { buildReport, type EvalReportHeader } from "../../agent/eval/eval-report.js";
import type { TaskRun } from "../../agent/eval/task-runner.js";
import { formatTerminalReport } from "../../agent/eval/report-text.js";
import { latestReport, writeReport } from "../../agent/eval/report-files.js";
import { makeTempDir } from "../support/temp-dir.js";

const tmp = makeTempDir("burrow-eval-reports-");
afterAll(() => tmp.remove());

const header = (startedAt: string, partial: boolean): EvalReportHeader => ({
  version: 1,
  startedAt,
  finishedAt: startedAt,
  partial,
  model: { path: "/models/m.gguf", name: "m", bytes: 1 },
  adapter: null,
  settings: { repeat: 1, maxTokens: 64, temperature: 0, maxToolSteps: 6, fixRounds: 2, contextSize: 4096, threads: 2 },
});

describe("the previous run an eval report compares with", () => {
  it("is the latest earlier complete report: a partial (Ctrl-C) one is skipped, and so is a damaged file", () => {
    writeReport(tmp.path, buildReport(header("2026-12-01T10:00:00.000Z", false), [], undefined));
    writeReport(tmp.path, buildReport(header("2026-12-02T10:00:00.000Z", true), [], undefined));
    writeReport(tmp.path, { ...buildReport(header("2026-12-02T11:00:00.000Z", false), [], undefined), version: "broken" } as never);
    expect(latestReport(tmp.path, "2026-12-03T00:00:00.000Z")?.report.startedAt).toBe("2026-12-01T10:00:00.000Z");
    expect(latestReport(tmp.path, "2026-12-01T10:00:00.000Z")).toBeUndefined();
  });
});

describe("comparing with the previous run", () => {
  const run = (id: string, passed: boolean): TaskRun => ({
    id, title: id, category: "simple-functions", run: 1, passed, score: passed ? 1 : 0, successes: passed ? 1 : 0, trials: 1, detail: "", seconds: 1, promptTokens: 10, completionTokens: 10, toolCalls: 0, codeChecks: 1, fixRounds: 0,
  });
  const earlier = buildReport(header("2026-12-01T10:00:00.000Z", false), [run("sf-a", true), run("sf-b", false)], undefined);
  const previous = { file: "/reports/eval-1.json", report: earlier };

  it("compares a category only when both runs ran the same tasks of it", () => {
    const same = buildReport(header("2026-12-02T10:00:00.000Z", false), [run("sf-a", true), run("sf-b", true)], previous);
    expect(same.categories[0]).toMatchObject({ rate: 1, previousRate: 0.5 });
    expect(formatTerminalReport(same)).toMatch(/Simple functions\s+2\s+100 % \(\d+ %–100 %\)\s+~70 %\s+50 %\s+\+50 pts/);

    const other = buildReport(header("2026-12-02T10:00:00.000Z", false), [run("sf-a", true)], previous);
    expect(other.categories[0]).toMatchObject({ rate: 1, previousRate: null });
    expect(formatTerminalReport(other)).toContain("A category with — under previous run ran other tasks (or none) then, so it is not compared.");
  });
});
