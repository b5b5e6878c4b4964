import { describe, expect, it } from "vitest";
import { renderReviewMarkdown } from "../../agent/review/render-markdown.js";
import { markdownToTelegram } from "../../bots/render/telegram-markdown.js";

/** The formatted parts of a result, as [type, text] pairs, so a test reads like what a person sees. */
function spans(markdown: string): [string, string][] {
  const { text, entities } = markdownToTelegram(markdown);
  return entities.map((entity) => [entity.type === "pre" && entity.language ? `pre:${entity.language}` : entity.type, text.slice(entity.offset, entity.offset + entity.length)]);
}

describe("Markdown to Telegram entities", () => {
  it("turns bold, inline code, italic and headings into entities and removes their markers", () => {
    expect(markdownToTelegram("# Result\nUse **`x`**? No: **bold**, `code`, _note_ and *stress*.").text).toBe("Result\nUse **`x`**? No: bold, code, note and stress.");
    expect(spans("# Result\nUse **bold**, `code`, _note_ and *stress*.")).toEqual([
      ["bold", "Result"],
      ["bold", "bold"],
      ["code", "code"],
      ["italic", "note"],
      ["italic", "stress"],
    ]);
  });

  it("keeps a heading's own # (## Using C#) and drops closing hashes after a space", () => {
    expect(spans("## Using C#\n### Notes ###")).toEqual([
      ["bold", "Using C#"],
      ["bold", "Notes"],
    ]);
  });

  it("makes fenced blocks pre entities with their language, their content untouched", () => {
    const result = markdownToTelegram("Here:\n\n```python\nprint(2 * 3 * 4)  # **not bold**\n```\nafter");
    expect(result.text).toBe("Here:\n\nprint(2 * 3 * 4)  # **not bold**\nafter");
    expect(spans("Here:\n\n```python\nprint(2 * 3 * 4)  # **not bold**\n```\nafter")).toEqual([["pre:python", "print(2 * 3 * 4)  # **not bold**"]]);
  });

  it("treats a block that is still open (an answer being streamed) as code to the end", () => {
    expect(spans("Start:\n```js\nconst a = 1;\nconst b")).toEqual([["pre:js", "const a = 1;\nconst b"]]);
  });

  it("leaves what is not formatting as written: snake_case, arithmetic, lone markers, links", () => {
    const plain = "my_var_name = 2*3*4; a * b * c; 5 * x; x**2 + y**2; add __init__.py; **unclosed; see [docs](https://example.com/a_b_c)";
    expect(markdownToTelegram(plain)).toEqual({ text: plain, entities: [] });
  });

  it("counts offsets in UTF-16 units, as Telegram does (emoji before an entity)", () => {
    const { text, entities } = markdownToTelegram("😀🛑 **major** `f.py`");
    expect(entities).toEqual([
      { type: "bold", offset: 5, length: 5 },
      { type: "code", offset: 11, length: 4 },
    ]);
    expect(text.slice(5, 10)).toBe("major");
  });

  it("renders a code review as a person expects: title and severities bold, files as code, suggestions as blocks", () => {
    const markdown = renderReviewMarkdown(
      {
        summary: "One bug.",
        findings: [{ file: "calc.py", line: 2, hunk: null, severity: "major", category: "bug", explanation: "Subtracts instead of adding.", suggestion: "return a + b" }],
        checks: [{ file: "calc.py", command: "python -m py_compile calc.py", status: "passed", output: "" }],
        parts: 1,
        dropped: 1,
        notes: ["1 finding on a line the input does not have was dropped."],
      },
      ["python"],
    );
    const { text } = markdownToTelegram(markdown);
    expect(text).not.toMatch(/\*\*|```/);
    expect(spans(markdown)).toEqual([
      ["bold", "Code review"],
      ["bold", "Findings (1)"],
      ["bold", "major"],
      ["code", "calc.py"],
      ["pre", "return a + b"],
      ["bold", "Syntax checks (sandbox)"],
      ["code", "python -m py_compile calc.py"],
      ["italic", "1 finding on a line the input does not have was dropped."],
    ]);
  });
});
