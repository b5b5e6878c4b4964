import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { answerCode } from "../../agent/eval/code-grader.js";
import { gradeSolution } from "../../agent/eval/grade-answer.js";
import { importHumanEval } from "../../agent/eval/humaneval-import.js";
import { LocalWeb } from "../../agent/eval/local-web.js";
import { importMbpp } from "../../agent/eval/mbpp-import.js";
import { loadSuites } from "../../agent/eval/suite-loader.js";
import { SUITE_CATEGORIES, type CodeTask, type EvalTask } from "../../agent/eval/task-model.js";
import { Sandbox } from "../../tools/code-exec/index.js";

/**
 * Harness honesty: for every task of every suite file, the reference solution passes its own grading
 * and an empty (or the suite's deliberately wrong) answer fails — in the real sandbox — so a score
 * measures the model, not the suite. Runs over whatever is in agent/eval/suites/ at run time, and over
 * the small fixture suites the other eval tests use.
 */
const root = resolve(import.meta.dirname, "../..");
const sandbox = new Sandbox();
const MIN_TASKS_PER_CATEGORY = 20;

/** A few sandbox runs at a time: each is mostly process start-up, so 2 cores keep up with 4. */
async function eachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<string[]>): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) problems.push(...(await work(items[next++]!)));
    }),
  );
  return problems;
}

/** Every way this task's grading could be dishonest, as readable problems (empty = honest). */
async function problemsOf(task: EvalTask, all: readonly EvalTask[]): Promise<string[]> {
  const problems: string[] = [];
  const expect = async (what: string, solution: string, wanted: "pass" | "fail", cites?: readonly string[]) => {
    const grade = await gradeSolution(task, solution, { sandbox, cites });
    if (grade.passed !== (wanted === "pass")) problems.push(`${task.id}: ${what} should ${wanted} but ${grade.passed ? "passed" : `failed (${grade.detail})`}`);
    return grade;
  };
  switch (task.kind) {
    case "code":
      await expect("the reference", task.reference, "pass");
      await expect("an empty answer", "", "fail");
      if (task.wrong !== undefined) await expect("the wrong solution", task.wrong, "fail");
      break;
    case "debug": {
      await expect("the reference", task.reference, "pass");
      await expect("an empty answer", "", "fail");
      // The buggy code must fail the very test shown to the model, not only the hidden ones.
      const run = await sandbox.run({ language: task.language, code: `${task.buggy}\n\n${task.failingTest}` });
      if (run.exitCode === 0 && !run.timedOut) problems.push(`${task.id}: the buggy code passes its failing_test`);
      break;
    }
    case "web": {
      await expect("the reference", task.reference, "pass");
      await expect("an empty answer", "", "fail");
      await expect("the reference without citing the page", task.reference, "fail", task.pages.filter((page) => page.path !== task.cite).map((page) => page.path));
      if (task.wrong !== undefined) await expect("the wrong answer", task.wrong, "fail");
      // The local engine must be able to find the page for a search with the question's words.
      const web = new LocalWeb();
      web.setPages(task.pages);
      if (!web.rank(task.prompt).some((page) => page.path === task.cite)) problems.push(`${task.id}: a search for the question does not find ${task.cite}`);
      break;
    }
    case "design": {
      const reference = await gradeSolution(task, task.reference, { sandbox });
      if (reference.successes !== reference.trials) problems.push(`${task.id}: the reference covers only ${reference.successes}/${reference.trials} points (${reference.detail})`);
      const empty = await gradeSolution(task, "", { sandbox });
      if (empty.successes !== 0) problems.push(`${task.id}: an empty answer covers ${empty.successes} points`);
      // Rubric regexes must be specific: another task's reference covers well under half of the points.
      for (const other of all) {
        if (other.kind !== "design" || other.id === task.id) continue;
        const cross = await gradeSolution(task, other.reference, { sandbox });
        if (cross.successes * 2 >= cross.trials) problems.push(`${task.id}: the reference of ${other.id} covers ${cross.successes}/${cross.trials} points`);
      }
      break;
    }
  }
  return problems;
}

function checkTasks(tasks: readonly EvalTask[]): void {
  it(`every reference passes and every empty or wrong answer fails (${tasks.length} tasks, real sandbox)`, async () => {
    expect(await eachConcurrently(tasks, 4, (task) => problemsOf(task, tasks))).toEqual([]);
  }, 120_000);
}

describe("the shipped suites (agent/eval/suites/)", () => {
  const dir = resolve(root, "agent/eval/suites");
  let tasks: EvalTask[] = [];
  let loadError: unknown;
  try {
    tasks = loadSuites(dir).flatMap((suite) => suite.tasks);
  } catch (error) {
    loadError = error;
  }

  it(`has every category, each with at least ${MIN_TASKS_PER_CATEGORY} tasks`, () => {
    expect(loadError).toBeUndefined();
    const counts = Object.fromEntries(SUITE_CATEGORIES.map((category) => [category, tasks.filter((task) => task.category === category).length]));
    expect(Object.entries(counts).filter(([, count]) => count < MIN_TASKS_PER_CATEGORY)).toEqual([]);
  });

  checkTasks(tasks);
});

describe("the fixture suites (test/fixtures/eval/) and imported benchmark files", () => {
  const dir = resolve(root, "test/fixtures/eval");
  const tasks = [...loadSuites(dir).flatMap((suite) => suite.tasks), ...importHumanEval(resolve(dir, "humaneval.jsonl")), ...importMbpp(resolve(dir, "mbpp.jsonl"))];

  it("cover every category and both importers", () => {
    expect(new Set(tasks.map((task) => task.category))).toEqual(new Set([...SUITE_CATEGORIES, "humaneval", "mbpp"]));
  });

  checkTasks(tasks);

  it("an MBPP record of the sanitized set (prompt, test_imports) runs its asserts with those imports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "burrow-mbpp-"));
    try {
      const file = join(dir, "sanitized-mbpp.jsonl");
      const record = { source_file: "x", task_id: 13, prompt: "Write circle_area(r).", code: "def circle_area(r):\n    return 3.141592653589793 * r * r", test_imports: ["import math"], test_list: ["assert math.isclose(circle_area(2), 4 * math.pi)"] };
      writeFileSync(file, `${JSON.stringify(record)}\n`);
      const [task] = importMbpp(file);
      expect(task).toMatchObject({ id: "mbpp-13", category: "mbpp" });
      expect((await gradeSolution(task!, record.code, { sandbox })).passed).toBe(true);
      expect((await gradeSolution(task!, "def circle_area(r):\n    return r * r", { sandbox })).passed).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a HumanEval completion that is only the function body is run after the prompt", async () => {
    const task = tasks.find((candidate) => candidate.id === "humaneval-0")!;
    expect(task.kind).toBe("code");
    if (task.kind !== "code") return;
    expect((await gradeSolution(task, "    return a + b\n", { sandbox })).passed).toBe(true);
    expect((await gradeSolution(task, "def add(a, b):\n    return a + b\n", { sandbox })).passed).toBe(true);
    expect((await gradeSolution(task, "    return a - b\n", { sandbox })).passed).toBe(false);
  });
});

describe("grading cannot be fooled, and does not fail correct answers (real sandbox)", () => {
  const python: CodeTask = { kind: "code", id: "sf-add", title: "add", category: "simple-functions", source: "test", language: "python", prompt: "Write add(a, b).", tests: "assert add(2, 3) == 5\nassert add(-1, 1) == 0", reference: "def add(a, b):\n    return a + b" };
  const javascript: CodeTask = { ...python, id: "sf-add-js", language: "javascript", tests: "if (add(2, 3) !== 5) throw new Error('add(2, 3)');", reference: "function add(a, b) { return a + b; }" };
  const grade = async (task: CodeTask, code: string) => gradeSolution(task, code, { sandbox });

  it("an answer that exits with status 0 before the tests run fails", async () => {
    for (const code of ["import sys\nsys.exit(0)", "import os\nos._exit(0)", "def add(a, b):\n    return 0\nimport unittest\nunittest.main(exit=True, argv=['x'])"]) {
      expect(await grade(python, code), code).toMatchObject({ passed: false, detail: "the program exited before the tests ran" });
    }
    expect(await grade(javascript, "process.exit(0);")).toMatchObject({ passed: false, detail: "the program exited before the tests ran" });
  });

  it("a correct answer passes with a __main__ demo that waits for input, with `from __future__` and dataclasses", async () => {
    expect(await grade(python, `${python.reference}\n\nif __name__ == "__main__":\n    print(add(int(input()), 1))`)).toMatchObject({ passed: true });
    const future = "from __future__ import annotations\nfrom dataclasses import dataclass\n\n@dataclass\nclass Pair:\n    a: int\n    b: int\n\ndef add(a: int, b: int) -> int:\n    return Pair(a, b).a + Pair(a, b).b";
    expect(await grade(python, future)).toMatchObject({ passed: true });
    expect(await grade(javascript, `${javascript.reference}\nif (require.main === module) console.log(add(1, 2));`)).toMatchObject({ passed: true });
  });

  it("a HumanEval answer that repeats the function with its docstring examples, without the prompt's imports, passes", async () => {
    const [task] = importHumanEval(resolve(root, "test/fixtures/eval/humaneval.jsonl"));
    if (task?.kind !== "code") throw new Error("the HumanEval fixture has no first task");
    const typed = { ...task, completes: { ...task.completes!, prefix: `from typing import List\n\n\n${task.completes!.prefix}` } };
    const answer = 'Here it is:\n\n```python\ndef add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n    return a + b\n```\n\n```python\n>>> add(2, 3)\n5\n```';
    const code = answerCode(answer, "python");
    // The docstring's >>> lines do not make the definition an interactive session; the separate session block is left out.
    expect(code).toBe('def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n    return a + b');
    expect(await grade(typed, code!)).toMatchObject({ passed: true });
  });
});
