import { basename } from "node:path";
import type { CategorySummary, EvalReport } from "./eval-report.js";

/** The report as a terminal table and as Markdown: the same rows, so both say the same thing. */

const pct = (share: number): string => `${Math.round(share * 100)} %`;

function describeSetup(report: Pick<EvalReport, "model" | "adapter">): string {
  const model = report.model.name ?? basename(report.model.path);
  return report.adapter ? `${model} + adapter ${report.adapter.name} (scale ${report.adapter.scale})` : `${model}, no adapter`;
}

const HEADINGS = ["category", "tasks", "pass rate (95 % CI)", "design expects", "previous run", "change", "s / task", "tokens / task", "tool calls", "fix rounds"];

function row(summary: CategorySummary): string[] {
  const change = summary.previousRate === null ? "—" : `${summary.rate >= summary.previousRate ? "+" : "−"}${Math.round(Math.abs(summary.rate - summary.previousRate) * 100)} pts`;
  const runs = summary.runs === summary.tasks ? `${summary.tasks}` : `${summary.tasks} ×${Math.round(summary.runs / Math.max(1, summary.tasks))}`;
  return [
    summary.approximate ? `${summary.label} (approx.)` : summary.label,
    runs,
    `${pct(summary.rate)} (${pct(summary.low)}–${pct(summary.high)})`,
    summary.expected === null ? "—" : `~${pct(summary.expected)}`,
    summary.previousRate === null ? "—" : pct(summary.previousRate),
    change,
    summary.meanSeconds.toFixed(1),
    String(Math.round(summary.meanPromptTokens + summary.meanCompletionTokens)),
    summary.meanToolCalls.toFixed(1),
    summary.meanFixRounds.toFixed(1),
  ];
}

function notes(report: EvalReport): string[] {
  const lines = [`Model: ${describeSetup(report)} (${report.model.path}).`];
  lines.push(report.previous ? `Previous run: ${describeSetup(report.previous)}, ${report.previous.startedAt} (${basename(report.previous.file)}).` : "Previous run: none in this folder.");
  if (report.previous && report.categories.some((summary) => summary.previousRate === null)) {
    lines.push("A category with — under previous run ran other tasks (or none) then, so it is not compared.");
  }
  if (report.partial) lines.push(`Partial: stopped after ${report.tasks.length} task runs; the figures cover only those.`);
  if (report.categories.some((summary) => summary.approximate)) {
    lines.push("Architecture design is the share of rubric points covered, judged by regexes: approximate, and its interval pools the points.");
  }
  return lines;
}

export function formatTerminalReport(report: EvalReport): string {
  const rows = [HEADINGS, ...report.categories.map(row)];
  const widths = HEADINGS.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(rows[0]!), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line), "", ...notes(report)].join("\n");
}

export function formatMarkdownReport(report: EvalReport): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const table = [
    `| ${HEADINGS.join(" | ")} |`,
    `| ${HEADINGS.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...report.categories.map((summary) => `| ${row(summary).map(escape).join(" | ")} |`),
  ];
  const failures = report.tasks.filter((run) => !run.passed);
  return [
    `# Burrow evaluation, ${report.startedAt}`,
    "",
    ...notes(report).map((note) => `- ${note}`),
    "",
    ...table,
    "",
    "## Tasks",
    "",
    "| task | category | run | result | s | tokens | tool calls | fix rounds | detail |",
    "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ...report.tasks.map(
      (run) =>
        `| ${run.id} | ${run.category} | ${run.run} | ${run.trials > 1 ? `${run.successes}/${run.trials} points` : run.passed ? "pass" : "fail"} | ${run.seconds.toFixed(1)} | ${run.promptTokens + run.completionTokens} | ${run.toolCalls} | ${run.fixRounds} | ${escape((run.error ?? run.detail).replace(/\s+/g, " ").slice(0, 200))} |`,
    ),
    "",
    `${failures.length} of ${report.tasks.length} task runs did not fully pass.`,
    "",
  ].join("\n");
}
