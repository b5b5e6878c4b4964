import type { DesignTask } from "./task-model.js";

/**
 * Grading of a design answer: the share of rubric points it covers, a point being covered when any of
 * its regexes matches. Regexes over prose are a rough judge (a point can be named without being
 * understood, or covered in other words), so the score is reported as approximate.
 */

export interface RubricGrade {
  readonly covered: number;
  readonly total: number;
  readonly score: number;
  readonly missed: readonly string[];
}

export function gradeDesignAnswer(task: DesignTask, answer: string): RubricGrade {
  const missed = task.rubric.filter((point) => !point.any.some((regex) => regex.test(answer))).map((point) => point.point);
  const total = task.rubric.length;
  const covered = total - missed.length;
  return { covered, total, score: covered / total, missed };
}
