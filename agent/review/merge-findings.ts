import { SEVERITIES, type ReviewFinding } from "../../src/review.js";

/**
 * Findings of the parts of a split review, as one list: the same problem reported twice (the same file,
 * line or hunk, category and explanation — e.g. by two parts that both show a file's header) is kept once,
 * at the higher severity; the list is ordered by severity, then file, then line.
 */
export function mergeFindings(parts: readonly (readonly ReviewFinding[])[]): ReviewFinding[] {
  const byKey = new Map<string, ReviewFinding>();
  for (const finding of parts.flat()) {
    // The explanation is part of the key: two different problems on one line (or in one hunk) both stay.
    const key = [finding.file, finding.line ?? `hunk ${finding.hunk ?? "-"}`, finding.category, normalized(finding.explanation)].join("|");
    const seen = byKey.get(key);
    if (!seen || rank(finding) < rank(seen)) byKey.set(key, seen ? { ...finding, suggestion: finding.suggestion ?? seen.suggestion } : finding);
  }
  return [...byKey.values()].sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}

function rank(finding: ReviewFinding): number {
  return SEVERITIES.indexOf(finding.severity);
}

function normalized(text: string): string {
  return text.toLowerCase().replace(/\W+/g, " ").trim().slice(0, 80);
}
