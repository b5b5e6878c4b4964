import type { CodeLanguage } from "../code-blocks.js";

/**
 * One task of the evaluation, whatever file it came from (a suite YAML, a HumanEval or MBPP JSONL file).
 * The kind decides how the answer is graded; the category is what the report groups by.
 */

/** The categories written for this project, one suite file each (agent/eval/suites/<category>.yaml). */
export const SUITE_CATEGORIES = ["simple-functions", "complex-algorithms", "debugging", "web-assisted", "architecture"] as const;
export type SuiteCategory = (typeof SUITE_CATEGORIES)[number];

/** Imported public benchmarks, reported as their own categories. */
export const IMPORTED_CATEGORIES = ["humaneval", "mbpp"] as const;
export type EvalCategory = SuiteCategory | (typeof IMPORTED_CATEGORIES)[number];

export const CATEGORY_LABELS: Readonly<Record<EvalCategory, string>> = {
  "simple-functions": "Simple functions",
  "complex-algorithms": "Complex algorithms",
  debugging: "Debugging",
  "web-assisted": "Web-assisted",
  architecture: "Architecture design",
  humaneval: "HumanEval",
  mbpp: "MBPP",
};

/**
 * The design's honest expectations for a 7B local model with these tools (success share per kind of
 * task). Imported benchmarks have no figure in the design.
 */
export const EXPECTED_RATES: Readonly<Partial<Record<EvalCategory, number>>> = {
  "simple-functions": 0.7,
  "complex-algorithms": 0.4,
  debugging: 0.5,
  architecture: 0.3,
  "web-assisted": 0.6,
};

interface TaskBase {
  readonly id: string;
  readonly title: string;
  readonly category: EvalCategory;
  /** Where the task was read from, for messages. */
  readonly source: string;
}

/** Write code from a prompt; hidden tests decide. */
export interface CodeTask extends TaskBase {
  readonly kind: "code";
  readonly language: CodeLanguage;
  readonly prompt: string;
  /** Run after the answer's code; exit code 0 passes. */
  readonly tests: string;
  readonly reference: string;
  readonly wrong?: string;
  /**
   * HumanEval: the prompt is the function's signature and docstring, and a completion may be only the
   * body. When the answer does not define `entryPoint` itself, the prompt is put in front of it.
   */
  readonly completes?: { readonly prefix: string; readonly entryPoint: string };
}

/** Fix buggy code; the suite's own failing test (plus hidden tests) decides. */
export interface DebugTask extends TaskBase {
  readonly kind: "debug";
  readonly language: CodeLanguage;
  readonly prompt: string;
  readonly buggy: string;
  readonly failingTest: string;
  readonly tests?: string;
  readonly reference: string;
}

export interface WebPage {
  readonly path: string;
  readonly title: string;
  readonly snippet: string;
  readonly text: string;
}

/** Answer a question from pages only the local search engine has; the answer must state the fact and cite the page. */
export interface WebTask extends TaskBase {
  readonly kind: "web";
  readonly prompt: string;
  readonly pages: readonly WebPage[];
  readonly answer: readonly RegExp[];
  readonly cite: string;
  readonly reference: string;
  readonly wrong?: string;
}

export interface RubricPoint {
  readonly point: string;
  readonly any: readonly RegExp[];
}

/** A design question scored as the share of rubric points the answer covers (approximate). */
export interface DesignTask extends TaskBase {
  readonly kind: "design";
  readonly prompt: string;
  readonly rubric: readonly RubricPoint[];
  readonly reference: string;
}

export type EvalTask = CodeTask | DebugTask | WebTask | DesignTask;
