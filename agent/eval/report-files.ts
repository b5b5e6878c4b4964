import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EvalReportSchema, type EvalReport } from "./eval-report.js";
import { formatMarkdownReport } from "./report-text.js";

/**
 * Reports on disk: `eval-<time>.json` and `.md` side by side in one folder (default
 * <BURROW_DATA_DIR>/eval/). The previous run is the latest earlier JSON report there that still reads
 * as a report; a damaged or foreign file is skipped, not fatal.
 */

export function reportBaseName(startedAt: string): string {
  return `eval-${startedAt.replace(/[:.]/g, "-")}`;
}

export function latestReport(dir: string, before: string): { file: string; report: EvalReport } | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^eval-.*\.json$/.test(name));
  } catch {
    return undefined;
  }
  let best: { file: string; report: EvalReport } | undefined;
  for (const name of names) {
    const file = join(dir, name);
    let parsed;
    try {
      parsed = EvalReportSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    } catch {
      continue;
    }
    // A partial run (stopped with Ctrl-C) covers only some tasks: comparing with it would mislead.
    if (!parsed.success || parsed.data.partial || parsed.data.startedAt >= before) continue;
    if (!best || parsed.data.startedAt > best.report.startedAt) best = { file, report: parsed.data };
  }
  return best;
}

/** Writes both files (each atomically: a reader never sees half a report). */
export function writeReport(dir: string, report: EvalReport): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, reportBaseName(report.startedAt));
  const json = `${base}.json`;
  const markdown = `${base}.md`;
  for (const [file, text] of [
    [json, `${JSON.stringify(report, null, 2)}\n`],
    [markdown, formatMarkdownReport(report)],
  ] as const) {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
  return { json, markdown };
}
