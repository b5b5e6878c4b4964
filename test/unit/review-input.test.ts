import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { prepareReview } from "../../bots/terminal/review.js";
import { RequestError } from "../../src/errors.js";
import { binaryReason, MAX_REVIEW_CHARS, parseReviewInput } from "../../src/review-input.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/review/", import.meta.url));
const fixture = (name: string): Buffer => readFileSync(`${FIXTURES}${name}`);

describe("review intake", () => {
  it("splits a git diff into files with their languages, hunks and the new-side lines they show", () => {
    const input = parseReviewInput("", [{ name: "x.diff", text: fixture("two-files.diff").toString() }]);
    expect(input.kind).toBe("diff");
    expect(input.files.map((file) => [file.path, file.language, file.hunks.length])).toEqual([["lib/slug.js", "javascript", 1], ["src/calc.py", "python", 1]]);
    expect([...input.files[1]!.lines]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Not a whole file: nothing to syntax-check.
    expect(input.files[1]!.wholeText).toBeUndefined();
  });

  it("terminal files: UTF-16 (with its BOM) is read as text; a Latin-1 file is refused with how to convert it", () => {
    const source = "def café():\n    return 1\n";
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(source, "utf16le")]);
    expect(prepareReview([{ name: "w.py", bytes: utf16 }])).toEqual({ attachments: [{ name: "w.py", mimeType: "text/plain", text: source }], what: "file" });
    const latin1 = Buffer.from(source, "latin1");
    expect(() => prepareReview([{ name: "old.py", bytes: latin1 }])).toThrow(/The review was refused: old\.py is not UTF-8 text\./);
    try {
      prepareReview([{ name: "old.py", bytes: latin1 }]);
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain("iconv -f latin1 -t utf-8 old.py | burrow review -");
    }
  });

  it("reads a diff saved with CRLF line endings like the same diff with LF", () => {
    const lf = fixture("two-files.diff").toString();
    const crlf = parseReviewInput("", [{ name: "x.diff", text: lf.replace(/\n/g, "\r\n") }]);
    expect(crlf.kind).toBe("diff");
    expect(crlf.files.map((file) => [file.path, file.language, [...file.lines]])).toEqual(parseReviewInput("", [{ name: "x.diff", text: lf }]).files.map((file) => [file.path, file.language, [...file.lines]]));
  });

  it("does not let a hunk whose counts are too large swallow the next file of a plain diff", () => {
    const diff = ["--- a.py", "+++ a.py", "@@ -1,9 +1,9 @@", "-x = 1", "+x = 2", "--- b.py", "+++ b.py", "@@ -1,1 +1,1 @@", "-y = 1", "+y = 2", ""].join("\n");
    const input = parseReviewInput("", [{ name: "two.diff", text: diff }]);
    expect(input.files.map((file) => [file.path, [...file.lines]])).toEqual([
      ["a.py", [1]],
      ["b.py", [1]],
    ]);
  });

  it("reads a plain diff -u (timestamps after the names) and a diff pasted in the message", () => {
    const plain = fixture("plain.diff").toString();
    const input = parseReviewInput(`Is this right?\n${plain}`, []);
    expect(input.files.map((file) => [file.path, file.source, [...file.lines]])).toEqual([["plain/new.py", "diff", [1, 2]]]);
    expect(input.instructions).toBe("Is this right?");
  });

  it("treats attachments as whole files and fenced blocks as code blocks, detecting languages", () => {
    const input = parseReviewInput("Check these:\n```js\nconst a = 1;\n```\n```\ndef f():\n    return 1\n```", [{ name: "calc.py", text: fixture("calc.py").toString() }]);
    expect(input.kind).toBe("mixed");
    expect(input.files.map((file) => [file.path, file.source, file.language, file.lines.size])).toEqual([
      ["calc.py", "file", "python", 6],
      ["snippet-1.js", "code-block", "javascript", 1],
      ["snippet-2.py", "code-block", "python", 2],
    ]);
    expect(input.instructions).toBe("Check these:");
  });

  it("refuses binaries, archives, empty files and oversized input, naming the limit", () => {
    expect(binaryReason("archive.zip", fixture("archive.zip"))).toContain("archive");
    expect(binaryReason("program", fixture("program.bin"))).toContain("compiled program (ELF)");
    expect(binaryReason("data", Buffer.from("ab\0cd"))).toContain("NUL bytes");
    expect(binaryReason("ok.py", fixture("calc.py"))).toBeUndefined();
    const refuse = (text: string, name = "a.py"): RequestError => {
      try {
        parseReviewInput("review", [{ name, text }]);
      } catch (error) {
        return error as RequestError;
      }
      throw new Error("not refused");
    };
    expect(refuse("x".repeat(MAX_REVIEW_CHARS + 1)).message).toBe(`The review was refused: The code to review is ${(MAX_REVIEW_CHARS + 1).toLocaleString("en-US")} characters; a review takes at most ${MAX_REVIEW_CHARS.toLocaleString("en-US")}.`);
    expect(refuse("hello", "backup.tar.gz").message).toContain("backup.tar.gz is an archive or binary file");
    expect(refuse("  \n\n").message).toContain("There is no code to review");
  });
});
