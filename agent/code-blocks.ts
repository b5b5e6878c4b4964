/**
 * Finding code the user could run in an answer, and the tests or examples the question gave for it.
 * Markdown fences are simple enough to scan line by line; the shapes that matter are a fence with a
 * language tag, and Python `>>>` examples.
 */

export type CodeLanguage = "python" | "javascript";

export interface CodeBlock {
  readonly language: CodeLanguage;
  readonly code: string;
}

const LANGUAGE_TAGS: Readonly<Record<string, CodeLanguage>> = {
  python: "python",
  py: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  mjs: "javascript",
};

/** Fenced blocks tagged with a language Burrow can run, in order. Untagged and shell blocks are skipped. */
export function runnableBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: { fence: string; language: CodeLanguage | undefined; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    if (!open) {
      const start = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
      if (start) open = { fence: start[1]!, language: LANGUAGE_TAGS[start[2]!.toLowerCase()], lines: [] };
      continue;
    }
    if (line.trim().startsWith(open.fence) && line.trim().replace(/[`~]/g, "") === "") {
      if (open.language && open.lines.some((l) => l.trim() !== "")) blocks.push({ language: open.language, code: open.lines.join("\n") });
      open = undefined;
      continue;
    }
    open.lines.push(line);
  }
  return blocks;
}

/**
 * A block that is an interactive session (its first line a `>>>` prompt): an example, not a program. A
 * `>>>` further down, in a docstring's examples, does not make a function definition one.
 */
export function isInteractiveSession(code: string): boolean {
  return /^\s*>>>/.test(code.split("\n").find((line) => line.trim() !== "") ?? "");
}

/**
 * The program to run for an answer: every block in the language of the first runnable block, joined in
 * order (answers often define a function in one block and call it in the next). Blocks that are
 * interactive sessions (`>>>` prompts) are left out: they are examples, not a program.
 */
export function programOf(answer: string): CodeBlock | undefined {
  const blocks = runnableBlocks(answer).filter((block) => !isInteractiveSession(block.code));
  const first = blocks[0];
  if (!first) return undefined;
  const code = blocks.filter((block) => block.language === first.language).map((block) => block.code).join("\n\n");
  return { language: first.language, code };
}

/** What the question gives to check an answer against. */
export interface QuestionChecks {
  /** Code blocks from the question in the program's language that assert something. */
  readonly tests: readonly string[];
  /** Python `>>>` examples with their expected output, in doctest form. */
  readonly doctest: string | undefined;
}

const ASSERTS: Readonly<Record<CodeLanguage, RegExp>> = {
  python: /^\s*assert\b|\bunittest\b|\bself\.assert\w+\(/m,
  javascript: /\bassert(\.\w+)?\(|\bconsole\.assert\(/,
};

export function checksFromQuestion(question: string, language: CodeLanguage): QuestionChecks {
  const tests = runnableBlocks(question)
    .filter((block) => block.language === language && ASSERTS[language].test(block.code))
    .map((block) => block.code);
  // Unfenced assert lines count too ("it should pass: assert add(2, 2) == 4").
  if (tests.length === 0 && language === "python") {
    const lines = question.split("\n").filter((line) => /^\s*assert\s+\S/.test(line)).map((line) => line.trim());
    if (lines.length > 0) tests.push(lines.join("\n"));
  }
  let doctest: string | undefined;
  if (language === "python") {
    const examples = doctestExamples(question);
    if (examples) doctest = examples;
  }
  return { tests, doctest };
}

/** `>>> expr` lines with the output lines that follow them, anywhere in the text. */
function doctestExamples(text: string): string | undefined {
  const out: string[] = [];
  let inExample = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s+/, "");
    if (line.startsWith(">>> ") || line.startsWith("... ")) {
      out.push(line);
      inExample = true;
    } else if (inExample && line.trim() !== "" && !line.startsWith("```")) {
      out.push(line);
    } else {
      inExample = false;
    }
  }
  return out.some((line) => line.startsWith(">>> ")) ? `${out.join("\n")}\n` : undefined;
}

/**
 * The program plus the question's checks as one script. A failing check exits non-zero with the
 * assertion's text on stderr, which is what gets fed back to the model.
 */
export function withChecks(program: CodeBlock, checks: QuestionChecks): string {
  const parts = [program.code];
  for (const test of checks.tests) parts.push(test);
  if (checks.doctest) {
    parts.push(
      [
        "import doctest as _burrow_doctest, sys as _burrow_sys",
        `_burrow_test = _burrow_doctest.DocTestParser().get_doctest(${JSON.stringify(checks.doctest)}, dict(globals()), "examples from the question", None, 0)`,
        "_burrow_runner = _burrow_doctest.DocTestRunner(verbose=False)",
        "_burrow_runner.run(_burrow_test, out=_burrow_sys.stderr.write)",
        "_burrow_sys.exit(1 if _burrow_runner.failures else 0)",
      ].join("\n"),
    );
  }
  return parts.join("\n\n");
}

export function hasChecks(checks: QuestionChecks): boolean {
  return checks.tests.length > 0 || checks.doctest !== undefined;
}
