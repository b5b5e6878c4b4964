import { describe, expect, it } from "vitest";
import { checkCodeAnswer, codeRunner, type CodeCheckOptions } from "../../agent/code-check.js";
import type { AgentEvent } from "../../src/contracts.js";
import { Sandbox } from "../../tools/code-exec/index.js";

/**
 * The self-correction loop with real sandbox runs. The "model" is a script of answers (the loop's logic is
 * what is under test); every run of the answer's code happens for real in bubblewrap.
 */
const sandbox = new Sandbox({ timeoutMs: 5_000 });
const fence = "```";
const py = (code: string): string => `Here you go:\n${fence}python\n${code}\n${fence}`;

async function check(question: string, answers: string[], overrides: Partial<CodeCheckOptions> = {}) {
  const events: AgentEvent[] = [];
  const feedback: string[] = [];
  const [first, ...fixes] = answers;
  const verdict = await checkCodeAnswer({
    question,
    answer: first!,
    // The agent's own runner over the real sandbox.
    run: codeRunner(sandbox),
    fix: async (text) => {
      feedback.push(text);
      return fixes.shift();
    },
    rounds: 2,
    signal: new AbortController().signal,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { verdict, events, feedback };
}

describe("self-correction (real sandbox runs)", () => {
  it("runs the question's tests, feeds the failure back, and passes with the fixed code", async () => {
    const question = `Write add(a, b).\n${fence}python\nassert add(2, 3) == 5\n${fence}`;
    const { verdict, events, feedback } = await check(question, [py("def add(a, b):\n    return a - b"), py("def add(a, b):\n    return a + b")]);
    expect(feedback).toHaveLength(1);
    expect(feedback[0]).toContain("I ran your code with the tests from my question and it failed:");
    expect(feedback[0]).toContain("AssertionError");
    expect(verdict).toMatchObject({ status: "passed", runs: 2, usedQuestionChecks: true, answer: py("def add(a, b):\n    return a + b") });
    expect(verdict.note).toBe("✅ I ran this Python code in the sandbox with the tests from your question: they pass after 1 fix.");
    expect(events.map((e) => (e.type === "tool" ? e.summary : e.type))).toEqual([
      "Running the Python code with the tests from your question",
      "The code failed: AssertionError",
      "Running the Python code with the tests from your question (attempt 2)",
    ]);
  });

  it("uses >>> examples from the question as the test", async () => {
    const question = "Write double(x).\n>>> double(4)\n8";
    const wrong = await check(question, [py("def double(x):\n    return x + 2")], { rounds: 0 });
    expect(wrong.verdict.status).toBe("failed");
    expect(wrong.verdict.note).toContain("Expected:\n    8\nGot:\n    6");
    const right = await check(question, [py("def double(x):\n    return x * 2")]);
    expect(right.verdict).toMatchObject({ status: "passed", runs: 1, usedQuestionChecks: true });
  });

  it("reports a final failure honestly after the rounds run out, with the error shown", async () => {
    const broken = py("print(undefined_name)");
    const { verdict, feedback } = await check("Print something.", [broken, broken, broken]);
    expect(feedback).toHaveLength(2);
    expect(verdict.status).toBe("failed");
    expect(verdict.runs).toBe(3);
    expect(verdict.note).toMatch(/^❌ I ran this Python code in the sandbox as a smoke run \(your question had no tests\) and it fails after 3 attempts:\n```\n[\s\S]*NameError: name 'undefined_name' is not defined\n```$/);
  });

  it("smoke-runs JavaScript when the question has no tests", async () => {
    const answer = `${fence}js\nconst f = (x) => x * 3;\nconsole.log(f(3));\n${fence}`;
    const { verdict } = await check("Triple a number in JS.", [answer]);
    expect(verdict).toMatchObject({ status: "passed", runs: 1, usedQuestionChecks: false });
    expect(verdict.note).toContain("it runs without errors. (Your question had no tests, so that is all it shows.)");
  });

  it("calls a smoke run that never ends inconclusive instead of 'fixing' it", async () => {
    const quick = new Sandbox({ timeoutMs: 1_000 });
    const { verdict, feedback } = await check("Read a line.", [py("while True:\n    pass")], { run: codeRunner(quick) });
    expect(feedback).toHaveLength(0);
    expect(verdict.status).toBe("inconclusive");
    expect(verdict.note).toMatch(/did not finish \(still running after \d+ s\), so it is not verified/);
  });

  it("says the code was not run, and why, when the sandbox is unavailable", async () => {
    const { verdict } = await check("x", [py("print(1)")], { run: undefined, unavailableReason: "bubblewrap is not installed" });
    expect(verdict).toMatchObject({ status: "not-run", runs: 0, note: "⚠️ I did not run this code: bubblewrap is not installed." });
  });

  it("does nothing for an answer without runnable code", async () => {
    const { verdict, events } = await check("Hi", ["Hello! No code here."]);
    expect(verdict.status).toBe("no-code");
    expect(events).toEqual([]);
  });
});
