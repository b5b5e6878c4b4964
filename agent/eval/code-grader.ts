import { runnableBlocks, type CodeLanguage } from "../code-blocks.js";
import type { CodePort } from "../tool-ports.js";
import type { CodeTask, DebugTask } from "./task-model.js";

/**
 * Grading of code: the answer's code and the task's tests run together in the real sandbox; exit code 0
 * (within the time and output limits) passes. The tests come from the suite file, never from the answer,
 * so an answer that edits or drops a test gains nothing.
 */

export interface CodeGrade {
  readonly passed: boolean;
  /** Why it failed (the end of stderr, or what was missing), or "" when it passed. */
  readonly detail: string;
}

/** The code of an answer in the task's language: its tagged blocks, in order (interactive `>>>` sessions left out). */
export function answerCode(answer: string, language: CodeLanguage): string | undefined {
  const blocks = runnableBlocks(answer).filter((block) => block.language === language && !/^\s*>>>/m.test(block.code));
  return blocks.length === 0 ? undefined : blocks.map((block) => block.code).join("\n\n");
}

/** The program that decides a task: `code` followed by the task's tests. */
export function gradedProgram(task: CodeTask | DebugTask, code: string): string {
  if (task.kind === "debug") return [code, task.failingTest, task.tests ?? ""].join("\n\n");
  const { completes } = task;
  // A HumanEval completion may be only the function body; an answer that defines the function stands alone.
  const defines = completes ? new RegExp(`^\\s*def\\s+${completes.entryPoint}\\s*\\(`, "m").test(code) : true;
  const program = completes && !defines ? completes.prefix + code : code;
  return [program, task.tests].join("\n\n");
}

/** Runs `code` + the task's tests in the sandbox. */
export async function gradeCode(sandbox: CodePort, task: CodeTask | DebugTask, code: string, signal: AbortSignal = new AbortController().signal): Promise<CodeGrade> {
  const run = await sandbox.run({ language: task.language, code: gradedProgram(task, code), signal });
  if (run.exitCode === 0 && !run.timedOut && !run.outputTruncated) return { passed: true, detail: "" };
  const why = run.timedOut ? "timed out" : run.outputTruncated ? "printed more than the sandbox allows" : lastLine(run.stderr) || lastLine(run.stdout) || `exit code ${run.exitCode ?? "none"} (${run.outcome})`;
  return { passed: false, detail: why };
}

/** Grades an answer's text: its code in the task's language, run with the tests. */
export async function gradeCodeAnswer(sandbox: CodePort, task: CodeTask | DebugTask, answer: string, signal?: AbortSignal): Promise<CodeGrade> {
  const code = answerCode(answer, task.language);
  if (code === undefined) return { passed: false, detail: `the answer has no \`\`\`${task.language} code block` };
  return gradeCode(sandbox, task, code, signal);
}

function lastLine(text: string): string {
  const line = text.trim().split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}…` : line;
}
