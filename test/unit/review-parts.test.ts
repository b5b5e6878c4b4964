import { describe, expect, it } from "vitest";
import { mergeFindings } from "../../agent/review/merge-findings.js";
import { splitForContext } from "../../agent/review/split-input.js";
import { parseReviewInput, type ReviewFile } from "../../src/review-input.js";
import type { ReviewFinding } from "../../src/review.js";

const finding = (extra: Partial<ReviewFinding>): ReviewFinding => ({ file: "calc.py", line: 2, hunk: null, severity: "minor", category: "bug", explanation: "Subtracts instead of adding.", suggestion: null, ...extra });

describe("merging the findings of a split review", () => {
  it("keeps one copy of the same problem from two parts, at the higher severity, keeping a suggestion", () => {
    const merged = mergeFindings([[finding({ suggestion: "return a + b" })], [finding({ severity: "major", explanation: "subtracts instead of adding" })]]);
    expect(merged).toEqual([finding({ severity: "major", explanation: "subtracts instead of adding", suggestion: "return a + b" })]);
  });

  it("keeps two different problems on the same line, and orders by severity, file and line", () => {
    const overflow = finding({ severity: "blocker", explanation: "Overflows for large inputs." });
    const later = finding({ file: "a.py", line: 9, severity: "minor", explanation: "Unused variable.", category: "readability" });
    expect(mergeFindings([[finding({})], [overflow, later]])).toEqual([overflow, later, finding({})]);
  });
});

describe("splitting a review to fit the context", () => {
  it("cuts a hunk too big on its own (a large new file) into valid smaller hunks that cover every line", () => {
    const body = Array.from({ length: 300 }, (_, i) => `+line_${i + 1} = ${i + 1}`);
    const diff = ["diff --git a/big.py b/big.py", "new file mode 100644", "--- /dev/null", "+++ b/big.py", "@@ -0,0 +1,300 @@", ...body, ""].join("\n");
    const { files } = parseReviewInput("", [{ name: "big.diff", text: diff }]);
    const fits = (part: readonly ReviewFile[]) => part.reduce((sum, file) => sum + file.text.length, 0) <= 2000;
    const parts = splitForContext(files, fits);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(fits(part)).toBe(true);
    const pieces = parts.flat();
    // Together the pieces cite exactly the file's lines, each piece's header says where its lines are, and all stay hunk 1.
    expect(pieces.flatMap((piece) => [...piece.lines])).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const piece of pieces) {
      const [hunk] = piece.hunks;
      expect(hunk!.index).toBe(1);
      expect(hunk!.header).toBe(`@@ -0,0 +${hunk!.newLines[0]},${hunk!.newLines.length} @@`);
      expect(hunk!.added.get(hunk!.newLines[0]!)).toBe(`line_${hunk!.newLines[0]} = ${hunk!.newLines[0]}`);
      expect(piece.text.startsWith("diff --git a/big.py b/big.py\n")).toBe(true);
    }
  });
});
