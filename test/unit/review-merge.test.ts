import { describe, expect, it } from "vitest";
import { mergeFindings } from "../../agent/review/merge-findings.js";
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
