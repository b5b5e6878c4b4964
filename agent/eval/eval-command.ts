import { statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../src/config.js";
import { dataPaths } from "../../src/data-paths.js";
import { configuredAuditSink } from "../../src/audit-log.js";
import { EgressGate } from "../../src/egress.js";
import { BurrowError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { ModelEngine } from "../../models/engine.js";
import { agentSettings, createAgent } from "../agent.js";
import { buildReport, type EvalReportHeader } from "./eval-report.js";
import { resolveEvalSetup } from "./eval-setup.js";
import { openEvalTools } from "./eval-tools.js";
import { importHumanEval } from "./humaneval-import.js";
import { importMbpp } from "./mbpp-import.js";
import { latestReport, writeReport } from "./report-files.js";
import { formatTerminalReport } from "./report-text.js";
import { assertUniqueIds, defaultSuitesDir, loadSuites } from "./suite-loader.js";
import { CATEGORY_LABELS, type EvalCategory, type EvalTask } from "./task-model.js";
import { runTask, type TaskRun } from "./task-runner.js";

/**
 * `burrow eval`: runs the evaluation tasks through the real agent (the model, its tools, self-correction
 * and budgets exactly as configured), grades every answer in the real sandbox, and writes a report next
 * to the design's expected figures and the previous run. Ctrl-C stops after the current answer is
 * abandoned and still writes the report of what finished, marked partial.
 */

export interface EvalOptions {
  readonly suite?: string[];
  readonly task?: string[];
  readonly limit?: number;
  readonly repeat: number;
  readonly model?: string;
  readonly adapter?: string;
  readonly adapterScale?: number;
  readonly out?: string;
  readonly humaneval?: string;
  readonly mbpp?: string;
  readonly suitesDir?: string;
}

export interface EvalStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/** The tasks the options select, in suite order, first `limit` of each category. */
export function selectTasks(options: Pick<EvalOptions, "suite" | "task" | "limit" | "humaneval" | "mbpp" | "suitesDir">): EvalTask[] {
  const tasks: EvalTask[] = loadSuites(options.suitesDir ?? defaultSuitesDir()).flatMap((suite) => suite.tasks);
  if (options.humaneval) tasks.push(...importHumanEval(options.humaneval));
  if (options.mbpp) tasks.push(...importMbpp(options.mbpp));
  assertUniqueIds(tasks);
  const available = [...new Set(tasks.map((task) => task.category))];
  const wanted = splitList(options.suite);
  const unknown = wanted.filter((name) => !available.includes(name as EvalCategory));
  if (unknown.length > 0) {
    throw new BurrowError("eval_suite_unknown", `No tasks in the suite${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}.`, {
      hint: `Available: ${available.join(", ")}${options.humaneval || options.mbpp ? "" : " (humaneval and mbpp need --humaneval FILE / --mbpp FILE)"}.`,
    });
  }
  const patterns = splitList(options.task).map((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  let selected = tasks.filter((task) => (wanted.length === 0 || wanted.includes(task.category)) && (patterns.length === 0 || patterns.some((pattern) => pattern.test(task.id))));
  if (options.limit !== undefined) {
    const taken = new Map<EvalCategory, number>();
    selected = selected.filter((task) => {
      const count = taken.get(task.category) ?? 0;
      taken.set(task.category, count + 1);
      return count < options.limit!;
    });
  }
  if (selected.length === 0) throw new BurrowError("eval_no_tasks", "The filters select no task.", { hint: "Check --suite and --task (ids such as sf-slugify, or a pattern such as 'sf-*')." });
  return selected;
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "");
}

export async function evalCommand(config: Config, logger: Logger, streams: EvalStreams, options: EvalOptions, signal: AbortSignal): Promise<number> {
  if (!Number.isInteger(options.repeat) || options.repeat < 1) throw new BurrowError("eval_bad_option", `--repeat must be a whole number ≥ 1, not ${options.repeat}.`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new BurrowError("eval_bad_option", `--limit must be a whole number ≥ 1, not ${options.limit}.`);
  const tasks = selectTasks(options);
  const setup = await resolveEvalSetup(config, options);
  const paths = dataPaths(config.dataDir);
  const outDir = options.out ?? join(config.dataDir, "eval");
  const say = (text: string) => void streams.err.write(`${text}\n`);

  const gate = new EgressGate(configuredAuditSink(config));
  const toolSet = await openEvalTools({ gate, sandboxUid: config.sandbox.uid, codeTimeoutMs: config.sandbox.timeoutSeconds * 1000 });
  const engine = new ModelEngine({ modelPath: setup.model.path, threads: config.threads, contextSize: config.contextSize, logger, tuningFile: paths.tuningFile, adapter: setup.adapter });
  try {
    const sandboxProblem = toolSet.tools.unavailable.get("run_code");
    if (sandboxProblem) {
      // Grading runs code; without the sandbox there is nothing honest to report (and no unsandboxed fallback).
      throw new BurrowError("sandbox_unavailable", `burrow eval needs the code sandbox to grade answers, and ${sandboxProblem}`, { hint: "Run `burrow doctor` for what to fix." });
    }
    const total = tasks.length * options.repeat;
    const label = `${setup.model.name ?? setup.model.path}${setup.adapter ? ` + adapter ${setup.adapter.name ?? setup.adapter.path} (scale ${setup.adapter.scale})` : ""}`;
    say(`burrow eval: ${tasks.length} tasks${options.repeat > 1 ? ` × ${options.repeat}` : ""} on ${label}. Loading the model…`);
    const info = await engine.start();
    const agent = createAgent({ engine, tools: toolSet.tools, ...agentSettings(config) });
    say("Ctrl-C stops and writes a partial report.");

    const startedAt = new Date().toISOString();
    const runs: TaskRun[] = [];
    let interrupted = false;
    outer: for (let run = 1; run <= options.repeat; run++) {
      for (const task of tasks) {
        if (signal.aborted) {
          interrupted = true;
          break outer;
        }
        try {
          const result = await runTask(agent, task, run, toolSet, signal);
          runs.push(result);
          say(progressLine(runs.length, total, result));
        } catch (error) {
          if (!signal.aborted) throw error;
          interrupted = true;
          say(`[${runs.length + 1}/${total}] ${task.id}: stopped (Ctrl-C); this run is left out of the report.`);
          break outer;
        }
      }
    }

    const header: EvalReportHeader = {
      version: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      partial: interrupted,
      model: { path: setup.model.path, name: setup.model.name ?? null, bytes: statSync(setup.model.path).size },
      adapter: setup.adapter ? { name: setup.adapter.name ?? setup.adapter.path, scale: setup.adapter.scale, path: setup.adapter.path } : null,
      settings: {
        repeat: options.repeat,
        maxTokens: config.maxTokens,
        temperature: config.temperature,
        maxToolSteps: config.agent.maxToolSteps,
        fixRounds: config.agent.fixRounds,
        contextSize: info.contextSize,
        threads: info.threads,
      },
    };
    const report = buildReport(header, runs, latestReport(outDir, startedAt));
    const files = writeReport(outDir, report);
    streams.out.write(`${formatTerminalReport(report)}\n`);
    say(`Report: ${files.json}\n        ${files.markdown}`);
    return interrupted ? 130 : 0;
  } finally {
    await engine.stop().catch((error: unknown) => logger.warn({ err: error }, "stopping the eval engine failed"));
    await toolSet.stop();
  }
}

function progressLine(done: number, total: number, run: TaskRun): string {
  const result = run.trials > 1 ? `${run.successes}/${run.trials} points` : run.passed ? "pass" : "fail";
  const cost = `${run.seconds.toFixed(1)} s, ${run.promptTokens + run.completionTokens} tokens, ${run.toolCalls} tool calls, ${run.fixRounds} fixes`;
  const why = run.passed ? "" : ` — ${(run.error ?? run.detail).replace(/\s+/g, " ").slice(0, 120)}`;
  return `[${done}/${total}] ${run.id} (${CATEGORY_LABELS[run.category]}): ${result} (${cost})${why}`;
}
