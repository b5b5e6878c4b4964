import { randomUUID } from "node:crypto";
import { isInteractiveSession, runnableBlocks, type CodeLanguage } from "../code-blocks.js";
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
  const blocks = runnableBlocks(answer).filter((block) => block.language === language && !isInteractiveSession(block.code));
  return blocks.length === 0 ? undefined : blocks.map((block) => block.code).join("\n\n");
}

/**
 * Python lines around the answer: its `if __name__ == "__main__":` demo must not run (it could exit, or wait
 * for input, before the tests), so the answer runs under another module name — registered, so that code
 * looking itself up in sys.modules (dataclasses, pickle) still finds it — and the tests under __main__ again.
 */
const PYTHON_NOT_MAIN = 'import sys as _burrow_sys\n_burrow_sys.modules["burrow_answer"] = _burrow_sys.modules[__name__]\n__name__ = "burrow_answer"';
const PYTHON_MAIN_AGAIN = '__name__ = "__main__"';

/** `from __future__ import …` must be the first statement of a Python file: such lines go before anything added. */
function hoistFutureImports(code: string): { future: string; rest: string } {
  const lines = code.split("\n");
  const future = lines.filter((line) => /^from __future__ import /.test(line));
  return { future: future.join("\n"), rest: lines.filter((line) => !/^from __future__ import /.test(line)).join("\n") };
}

/**
 * The program that decides a task: `code` followed by the task's tests, then a line printing `marker`. A run
 * passes only when it exits 0 AND printed the marker, so an answer that exits early (`sys.exit(0)`,
 * `os._exit(0)`, `process.exit(0)`, `unittest.main()`) never passes without the tests having run.
 */
export function gradedProgram(task: CodeTask | DebugTask, code: string, marker: string): string {
  const tests = task.kind === "debug" ? [task.failingTest, task.tests ?? ""].join("\n\n") : task.tests;
  // HumanEval: the prompt (imports, helpers, the signature) always goes first. A body-only completion
  // completes its function; an answer that defines the function again replaces the docstring-only one.
  const program = task.kind === "code" && task.completes ? `${task.completes.prefix}\n${code}` : code;
  if (task.language === "python") {
    const { future, rest } = hoistFutureImports(program);
    return [future, PYTHON_NOT_MAIN, rest, PYTHON_MAIN_AGAIN, tests, `print(${JSON.stringify(marker)})`].filter((part) => part !== "").join("\n\n");
  }
  return [program, tests, `console.log(${JSON.stringify(marker)});`].join("\n\n");
}

/** Runs `code` + the task's tests in the sandbox. */
export async function gradeCode(sandbox: CodePort, task: CodeTask | DebugTask, code: string, signal: AbortSignal = new AbortController().signal): Promise<CodeGrade> {
  const marker = `burrow-tests-ran-${randomUUID()}`;
  const run = await sandbox.run({ language: task.language, code: gradedProgram(task, code, marker), signal });
  if (run.exitCode === 0 && !run.timedOut && !run.outputTruncated) {
    if (run.stdout.includes(marker)) return { passed: true, detail: "" };
    return { passed: false, detail: "the program exited before the tests ran" };
  }
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
