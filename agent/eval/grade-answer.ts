import type { Source } from "../../src/contracts.js";
import type { CodePort } from "../tool-ports.js";
import { gradeCode, gradeCodeAnswer } from "./code-grader.js";
import { gradeDesignAnswer } from "./rubric-grader.js";
import type { EvalTask } from "./task-model.js";
import { gradeWebAnswer } from "./web-grader.js";

/**
 * One grade for any task. Binary tasks score 0 or 1; a design task scores the share of rubric points
 * covered, and its category's rate pools the points (`trials` = points).
 */
export interface TaskGrade {
  readonly passed: boolean;
  readonly score: number;
  /** What counts as one trial for the category's interval: 1 task, or a design task's rubric points. */
  readonly successes: number;
  readonly trials: number;
  readonly detail: string;
}

/** What the agent's `done` event says about an answer. */
export interface FinalAnswer {
  readonly answer: string;
  readonly sources: readonly Source[];
}

/** The heading the agent writes over the results it saw when the answer cited none (see agent/source-list.ts). */
const UNCITED_HEADING = "Search results used (the answer cites none of them):";

/**
 * The URL paths on the local page server that the answer cites. The agent lists every result it saw when
 * the answer cites none, and those are not citations.
 */
export function citedPaths(final: FinalAnswer, webOrigin: string): string[] {
  if (final.answer.includes(UNCITED_HEADING)) return [];
  return final.sources.flatMap((source) => {
    try {
      const url = new URL(source.url);
      return url.origin === webOrigin ? [url.pathname] : [];
    } catch {
      return [];
    }
  });
}

export async function gradeAnswer(task: EvalTask, final: FinalAnswer, context: { sandbox: CodePort; webOrigin: string; signal?: AbortSignal }): Promise<TaskGrade> {
  switch (task.kind) {
    case "code":
    case "debug":
      return binary(await gradeCodeAnswer(context.sandbox, task, final.answer, context.signal));
    case "web":
      return binary(gradeWebAnswer(task, final.answer, citedPaths(final, context.webOrigin)));
    case "design":
      return design(task, final.answer);
  }
}

/**
 * Grades a task's own reference or a deliberately wrong/empty solution, as the honesty test does: code
 * is taken as is (not extracted from Markdown), and a web answer is judged as citing `cites`.
 */
export async function gradeSolution(task: EvalTask, solution: string, context: { sandbox: CodePort; cites?: readonly string[] }): Promise<TaskGrade> {
  switch (task.kind) {
    case "code":
    case "debug":
      return binary(await gradeCode(context.sandbox, task, solution));
    case "web":
      return binary(gradeWebAnswer(task, solution, context.cites ?? [task.cite]));
    case "design":
      return design(task, solution);
  }
}

function binary(grade: { passed: boolean; detail: string }): TaskGrade {
  return { passed: grade.passed, score: grade.passed ? 1 : 0, successes: grade.passed ? 1 : 0, trials: 1, detail: grade.detail };
}

function design(task: Extract<EvalTask, { kind: "design" }>, answer: string): TaskGrade {
  const grade = gradeDesignAnswer(task, answer);
  return {
    passed: grade.covered === grade.total,
    score: grade.score,
    successes: grade.covered,
    trials: grade.total,
    detail: grade.missed.length === 0 ? "" : `missed: ${grade.missed.join("; ")}`,
  };
}
