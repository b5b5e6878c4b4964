import { z } from "zod";
import { CATEGORY_LABELS, EXPECTED_RATES, type EvalCategory } from "./task-model.js";
import type { TaskRun } from "./task-runner.js";
import { wilsonInterval } from "./wilson-interval.js";

/**
 * The report of one `burrow eval` run, as written to JSON (this schema also reads earlier reports back
 * for the comparison). Rates are shares in [0, 1]; intervals are 95 % Wilson intervals.
 */

const CategoryList = z.enum(["simple-functions", "complex-algorithms", "debugging", "web-assisted", "architecture", "humaneval", "mbpp"]);

export const TaskRunSchema = z.object({
  id: z.string(),
  title: z.string(),
  category: CategoryList,
  run: z.number().int().positive(),
  passed: z.boolean(),
  score: z.number().min(0).max(1),
  successes: z.number().nonnegative(),
  trials: z.number().positive(),
  detail: z.string(),
  seconds: z.number().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  codeChecks: z.number().int().nonnegative(),
  fixRounds: z.number().int().nonnegative(),
  error: z.string().optional(),
});

export const CategorySummarySchema = z.object({
  category: CategoryList,
  label: z.string(),
  tasks: z.number().int().nonnegative(),
  runs: z.number().int().nonnegative(),
  successes: z.number().nonnegative(),
  trials: z.number().nonnegative(),
  rate: z.number().min(0).max(1),
  low: z.number().min(0).max(1),
  high: z.number().min(0).max(1),
  /** Architecture: rubric points matched by regexes, a rough judge. */
  approximate: z.boolean(),
  expected: z.number().nullable(),
  previousRate: z.number().nullable(),
  meanSeconds: z.number().nonnegative(),
  meanPromptTokens: z.number().nonnegative(),
  meanCompletionTokens: z.number().nonnegative(),
  meanToolCalls: z.number().nonnegative(),
  meanCodeChecks: z.number().nonnegative(),
  meanFixRounds: z.number().nonnegative(),
});
export type CategorySummary = z.infer<typeof CategorySummarySchema>;

const ModelInfoSchema = z.object({ path: z.string(), name: z.string().nullable(), bytes: z.number().nonnegative() });
const AdapterInfoSchema = z.object({ name: z.string(), scale: z.number(), path: z.string() }).nullable();

export const EvalReportSchema = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Stopped (Ctrl-C) before every task ran: the figures cover the runs that finished. */
  partial: z.boolean(),
  model: ModelInfoSchema,
  adapter: AdapterInfoSchema,
  settings: z.object({
    repeat: z.number().int().positive(),
    maxTokens: z.number().int().positive(),
    temperature: z.number(),
    maxToolSteps: z.number().int().nonnegative(),
    fixRounds: z.number().int().nonnegative(),
    contextSize: z.number().int().positive(),
    threads: z.number().int().positive(),
  }),
  categories: z.array(CategorySummarySchema),
  /** The latest earlier report in the same folder, compared category by category. */
  previous: z.object({ file: z.string(), startedAt: z.string(), model: ModelInfoSchema, adapter: AdapterInfoSchema }).nullable(),
  tasks: z.array(TaskRunSchema),
});
export type EvalReport = z.infer<typeof EvalReportSchema>;
export type EvalReportHeader = Omit<EvalReport, "categories" | "previous" | "tasks">;

const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/**
 * Per category in first-seen order; `previous` supplies the earlier run's rate per category — only where it
 * ran the same tasks of that category (another --task or --limit would compare different questions).
 */
export function summarize(runs: readonly TaskRun[], previous?: Pick<EvalReport, "categories" | "tasks">): CategorySummary[] {
  const sameTasks = (category: EvalCategory, ids: ReadonlySet<string>): boolean => {
    const before = new Set(previous?.tasks.filter((run) => run.category === category).map((run) => run.id));
    return before.size === ids.size && [...ids].every((id) => before.has(id));
  };
  const byCategory = new Map<EvalCategory, TaskRun[]>();
  for (const run of runs) byCategory.set(run.category, [...(byCategory.get(run.category) ?? []), run]);
  return [...byCategory].map(([category, list]) => {
    const successes = list.reduce((sum, run) => sum + run.successes, 0);
    const trials = list.reduce((sum, run) => sum + run.trials, 0);
    const { low, high } = wilsonInterval(successes, trials);
    return {
      category,
      label: CATEGORY_LABELS[category],
      tasks: new Set(list.map((run) => run.id)).size,
      runs: list.length,
      successes,
      trials,
      rate: trials === 0 ? 0 : successes / trials,
      low,
      high,
      approximate: category === "architecture",
      expected: EXPECTED_RATES[category] ?? null,
      previousRate: sameTasks(category, new Set(list.map((run) => run.id))) ? (previous?.categories.find((summary) => summary.category === category)?.rate ?? null) : null,
      meanSeconds: mean(list.map((run) => run.seconds)),
      meanPromptTokens: mean(list.map((run) => run.promptTokens)),
      meanCompletionTokens: mean(list.map((run) => run.completionTokens)),
      meanToolCalls: mean(list.map((run) => run.toolCalls)),
      meanCodeChecks: mean(list.map((run) => run.codeChecks)),
      meanFixRounds: mean(list.map((run) => run.fixRounds)),
    };
  });
}

export function buildReport(header: EvalReportHeader, runs: readonly TaskRun[], previous: { file: string; report: EvalReport } | undefined): EvalReport {
  return {
    ...header,
    categories: summarize(runs, previous?.report),
    previous: previous ? { file: previous.file, startedAt: previous.report.startedAt, model: previous.report.model, adapter: previous.report.adapter } : null,
    tasks: [...runs],
  };
}
