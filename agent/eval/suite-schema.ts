import { z } from "zod";
import { SUITE_CATEGORIES, type SuiteCategory } from "./task-model.js";

/**
 * The suite file format (agent/eval/suites/<category>.yaml), as zod schemas. The format is fixed and
 * documented field by field in the README's Evaluation section; unknown keys are refused so that a typo
 * (`failing_tests:`) is an error instead of a silently missing test.
 */

/** Task ids start with their category's prefix, so an id alone says where a task belongs. */
export const ID_PREFIXES: Readonly<Record<SuiteCategory, string>> = {
  "simple-functions": "sf-",
  "complex-algorithms": "ca-",
  debugging: "dbg-",
  "web-assisted": "web-",
  architecture: "arch-",
};

const text = z.string().refine((value) => value.trim() !== "", "must not be empty");
const language = z.enum(["python", "javascript"]).default("python");
/** A regex source; compiled (flag "i") by the loader, which names the task when one does not compile. */
const regex = z.string().min(1);

const base = {
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be kebab-case (lower-case letters, digits and single hyphens)"),
  title: text,
};

export const CodeTaskSchema = z.strictObject({
  ...base,
  language,
  prompt: text,
  tests: text,
  reference: text,
  wrong: text.optional(),
});

export const DebugTaskSchema = z.strictObject({
  ...base,
  language,
  prompt: text,
  buggy: text,
  failing_test: text,
  tests: text.optional(),
  reference: text,
});

const PageSchema = z.strictObject({
  path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, "must be a URL path starting with / (letters, digits, . _ ~ / -)").refine((path) => path !== "/search" && !path.startsWith("/search/"), "/search is the search engine's own address"),
  title: text,
  snippet: text.optional(),
  text: text,
});

export const WebTaskSchema = z
  .strictObject({
    ...base,
    prompt: text,
    pages: z.array(PageSchema).min(2, "needs 2–4 pages (the answer's page and distractors)").max(4, "has more than 4 pages"),
    answer: z.array(regex).min(1),
    cite: z.string(),
    reference: text,
    wrong: text.optional(),
  })
  .superRefine((task, ctx) => {
    const paths = task.pages.map((page) => page.path);
    const repeated = paths.find((path, i) => paths.indexOf(path) !== i);
    if (repeated) ctx.addIssue({ code: "custom", path: ["pages"], message: `two pages have the path ${repeated}` });
    if (!paths.includes(task.cite)) ctx.addIssue({ code: "custom", path: ["cite"], message: `${task.cite} is not the path of one of the task's pages (${paths.join(", ")})` });
  });

export const DesignTaskSchema = z.strictObject({
  ...base,
  prompt: text,
  rubric: z.array(z.strictObject({ point: text, any: z.array(regex).min(1) })).min(4, "needs 4–8 points").max(8, "has more than 8 points"),
  reference: text,
});

export const TASK_SCHEMAS = {
  "simple-functions": CodeTaskSchema,
  "complex-algorithms": CodeTaskSchema,
  debugging: DebugTaskSchema,
  "web-assisted": WebTaskSchema,
  architecture: DesignTaskSchema,
} as const;

/** The envelope; tasks are checked one by one so an error can name the task. */
export const SuiteFileSchema = z.strictObject({
  category: z.enum(SUITE_CATEGORIES),
  tasks: z.array(z.unknown()).min(1, "has no tasks"),
});
