import { afterAll, describe, expect, it } from "vitest";
import { buildReport, type EvalReportHeader } from "../../agent/eval/eval-report.js";
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
