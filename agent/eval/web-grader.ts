import type { WebTask } from "./task-model.js";

/**
 * Grading of a web-assisted answer: every `answer` regex must match the answer's text, and the page
 * that holds the fact must be among the sources the answer cites. Sources are given as URL paths on the
 * local page server.
 */

export interface WebGrade {
  readonly passed: boolean;
  readonly detail: string;
}

/** The agent appends its source list after the answer; the facts must be in the answer itself, not in a page title there. */
const SOURCE_FOOTER = /\n\n(Sources:|Search results used \(the answer cites none of them\):)\n[\s\S]*$/;

export function answerText(answer: string): string {
  return answer.replace(SOURCE_FOOTER, "");
}

export function gradeWebAnswer(task: WebTask, answer: string, citedPaths: readonly string[]): WebGrade {
  const text = answerText(answer);
  const missing = task.answer.filter((regex) => !regex.test(text));
  const cited = citedPaths.includes(task.cite);
  if (missing.length === 0 && cited) return { passed: true, detail: "" };
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`the answer does not match ${missing.map((regex) => `/${regex.source}/`).join(", ")}`);
  if (!cited) problems.push(`it does not cite ${task.cite}${citedPaths.length > 0 ? ` (cites ${citedPaths.join(", ")})` : ""}`);
  return { passed: false, detail: problems.join("; ") };
}
