import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { EvalInputError } from "./eval-errors.js";
import { ID_PREFIXES, SuiteFileSchema, TASK_SCHEMAS } from "./suite-schema.js";
import { SUITE_CATEGORIES, type EvalTask, type SuiteCategory } from "./task-model.js";

/**
 * Reads the suite files (one YAML file per category) into tasks, with errors that name the file and the
 * task. Every regex is compiled here (case-insensitive), so a bad one fails before any model runs.
 */

/**
 * The suites shipped with Burrow. Sources run from agent/eval/; the build runs from dist/agent/eval/ and
 * the YAML files stay in the source tree (tsc copies no data files).
 */
export function defaultSuitesDir(): string {
  const beside = fileURLToPath(new URL("./suites/", import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL("../../../agent/eval/suites/", import.meta.url));
}

export interface Suite {
  readonly category: SuiteCategory;
  readonly file: string;
  readonly tasks: readonly EvalTask[];
}

/** Every `<category>.yaml` in `dir`, in category order. Ids must be unique across all of them. */
export function loadSuites(dir: string): Suite[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
  } catch (error) {
    throw new EvalInputError(dir, undefined, `cannot read the suites folder (${(error as Error).message}).`, "Pass an existing folder with --suites-dir, or leave it out to use the suites shipped with Burrow.");
  }
  if (names.length === 0) throw new EvalInputError(dir, undefined, "holds no suite files (<category>.yaml).", "Pass the folder that holds the suites with --suites-dir, or leave it out to use the shipped ones.");
  const suites = names.map((name) => loadSuiteFile(join(dir, name)));
  suites.sort((a, b) => SUITE_CATEGORIES.indexOf(a.category) - SUITE_CATEGORIES.indexOf(b.category));
  const seen = new Set<SuiteCategory>();
  for (const suite of suites) {
    if (seen.has(suite.category)) throw new EvalInputError(suite.file, undefined, `a second file for the category ${suite.category}.`);
    seen.add(suite.category);
  }
  assertUniqueIds(suites.flatMap((suite) => suite.tasks));
  return suites;
}

/** Throws naming both files when two tasks share an id (reports and comparisons key on ids). */
export function assertUniqueIds(tasks: readonly EvalTask[]): void {
  const byId = new Map<string, EvalTask>();
  for (const task of tasks) {
    const earlier = byId.get(task.id);
    if (earlier) throw new EvalInputError(task.source, task.id, `the id is also used in ${earlier.source}; task ids must be unique across all suites.`);
    byId.set(task.id, task);
  }
}

export function loadSuiteFile(file: string): Suite {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (error) {
    throw new EvalInputError(file, undefined, `cannot be read (${(error as Error).message}).`);
  }
  const document = parseDocument(raw, { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError) throw new EvalInputError(file, undefined, `is not valid YAML: ${yamlError.message.split("\n")[0]}`);
  const envelope = SuiteFileSchema.safeParse(document.toJS());
  if (!envelope.success) throw new EvalInputError(file, undefined, describeIssues(envelope.error));
  const { category } = envelope.data;
  const expectedName = `${category}.yaml`;
  if (basename(file) !== expectedName) throw new EvalInputError(file, undefined, `holds category ${category}, so it must be named ${expectedName}.`);
  const tasks = envelope.data.tasks.map((value, index) => readTask(file, category, value, index));
  assertUniqueIds(tasks);
  return { category, file, tasks };
}

function readTask(file: string, category: SuiteCategory, value: unknown, index: number): EvalTask {
  const label = typeof (value as { id?: unknown } | null)?.id === "string" ? (value as { id: string }).id : `#${index + 1}`;
  const parsed = TASK_SCHEMAS[category].safeParse(value);
  if (!parsed.success) throw new EvalInputError(file, label, describeIssues(parsed.error));
  const task = parsed.data;
  const prefix = ID_PREFIXES[category];
  if (!task.id.startsWith(prefix)) throw new EvalInputError(file, task.id, `ids in ${category} start with "${prefix}".`);
  const compile = (source: string, where: string): RegExp => {
    try {
      return new RegExp(source, "i");
    } catch (error) {
      throw new EvalInputError(file, task.id, `${where}: ${(error as Error).message}`);
    }
  };
  const common = { id: task.id, title: task.title.trim(), category, source: file };
  if ("failing_test" in task) {
    return { ...common, kind: "debug", language: task.language, prompt: task.prompt, buggy: task.buggy, failingTest: task.failing_test, tests: task.tests, reference: task.reference };
  }
  if ("pages" in task) {
    return {
      ...common,
      kind: "web",
      prompt: task.prompt,
      pages: task.pages.map((page) => ({ path: page.path, title: page.title.trim(), text: page.text, snippet: (page.snippet ?? page.text.replace(/\s+/g, " ").trim().slice(0, 200)).trim() })),
      answer: task.answer.map((source, i) => compile(source, `answer[${i}] is not a valid regex`)),
      cite: task.cite,
      reference: task.reference,
      wrong: task.wrong,
    };
  }
  if ("rubric" in task) {
    return {
      ...common,
      kind: "design",
      prompt: task.prompt,
      rubric: task.rubric.map((point, i) => ({ point: point.point.trim(), any: point.any.map((source, j) => compile(source, `rubric[${i}].any[${j}] is not a valid regex`)) })),
      reference: task.reference,
    };
  }
  return { ...common, kind: "code", language: task.language, prompt: task.prompt, tests: task.tests, reference: task.reference, wrong: task.wrong };
}

/** The first few problems, each with the field it is about ("tasks.3.tests: Required"). */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`)
    .join("; ");
}
