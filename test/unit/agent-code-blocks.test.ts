import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checksFromQuestion, hasChecks, programOf, runnableBlocks, withChecks } from "../../agent/code-blocks.js";

const fence = "```";

describe("runnableBlocks / programOf", () => {
  it("finds tagged Python and JavaScript blocks and skips untagged and shell ones", () => {
    const answer = [
      "Here:",
      `${fence}python`, "def add(a, b):", "    return a + b", fence,
      `${fence}bash`, "python3 add.py", fence,
      fence, "plain text", fence,
      `${fence}js`, "console.log(1)", fence,
    ].join("\n");
    expect(runnableBlocks(answer)).toEqual([
      { language: "python", code: "def add(a, b):\n    return a + b" },
      { language: "javascript", code: "console.log(1)" },
    ]);
  });

  it("joins the blocks of the first block's language, leaving out >>> sessions", () => {
    const answer = [`${fence}py`, "def f(x):", "    return x * 2", fence, `${fence}python`, ">>> f(2)", "4", fence, `${fence}python`, "print(f(3))", fence].join("\n");
    expect(programOf(answer)).toEqual({ language: "python", code: "def f(x):\n    return x * 2\n\nprint(f(3))" });
  });

  it("keeps a definition whose docstring shows >>> examples: only a block that starts with >>> is a session", () => {
    const answer = [`${fence}python`, "def f(x):", '    """Double.', "    >>> f(2)", "    4", '    """', "    return x * 2", fence].join("\n");
    expect(programOf(answer)).toEqual({ language: "python", code: 'def f(x):\n    """Double.\n    >>> f(2)\n    4\n    """\n    return x * 2' });
  });

  it("returns nothing for an answer without runnable code, and ignores an unclosed fence", () => {
    expect(programOf("Just words.")).toBeUndefined();
    expect(programOf(`${fence}python\nprint(1)`)).toBeUndefined();
  });
});

describe("checksFromQuestion", () => {
  it("takes asserting Python blocks, unfenced assert lines and >>> examples from the question", () => {
    const fenced = checksFromQuestion(`Write add.\n${fence}python\nassert add(2, 2) == 4\n${fence}`, "python");
    expect(fenced.tests).toEqual(["assert add(2, 2) == 4"]);
    const loose = checksFromQuestion("Write add so that\nassert add(1, 2) == 3\nholds.", "python");
    expect(loose.tests).toEqual(["assert add(1, 2) == 3"]);
    const examples = checksFromQuestion("Write double:\n>>> double(2)\n4\n>>> double(5)\n10\n\nThanks", "python");
    expect(examples.doctest).toBe(">>> double(2)\n4\n>>> double(5)\n10\n");
    expect(hasChecks(checksFromQuestion("Write add.", "python"))).toBe(false);
  });

  it("takes console.assert / assert.* blocks for JavaScript only", () => {
    const question = `${fence}js\nconsole.assert(add(1, 1) === 2)\n${fence}\n${fence}python\nassert True\n${fence}`;
    expect(checksFromQuestion(question, "javascript").tests).toEqual(["console.assert(add(1, 1) === 2)"]);
  });
});

describe("withChecks", () => {
  // python3 is a test dependency anyway (the sandbox runs it); here it checks the generated script itself.
  const runPython = (script: string): { status: number; stderr: string } => {
    try {
      execFileSync("python3", ["-c", script], { stdio: ["ignore", "ignore", "pipe"] });
      return { status: 0, stderr: "" };
    } catch (error) {
      const failed = error as { status: number; stderr: Buffer };
      return { status: failed.status, stderr: failed.stderr.toString() };
    }
  };

  it("runs the question's doctest examples against the program: pass exits 0, a wrong result exits 1 naming it", () => {
    const checks = checksFromQuestion(">>> double(2)\n4", "python");
    expect(runPython(withChecks({ language: "python", code: "def double(x):\n    return x * 2" }, checks)).status).toBe(0);
    const wrong = runPython(withChecks({ language: "python", code: "def double(x):\n    return x + 2" }, checksFromQuestion(">>> double(5)\n10", "python")));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("Expected:\n    10\nGot:\n    7");
  });

  it("appends assert tests after the program", () => {
    const script = withChecks({ language: "python", code: "def add(a, b):\n    return a - b" }, { tests: ["assert add(2, 2) == 4"], doctest: undefined });
    const result = runPython(script);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("AssertionError");
  });
});
