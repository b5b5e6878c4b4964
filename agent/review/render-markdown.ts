import type { Review, ReviewFinding } from "../../src/review.js";

/**
 * A review as Markdown for a chat. The bots split it at line breaks (code blocks kept whole) and send a very
 * long one as a file, so it is written for reading, not for size.
 */

const SEVERITY_MARKS: Readonly<Record<ReviewFinding["severity"], string>> = { blocker: "🛑", major: "🔴", minor: "🟡", nit: "⚪" };

export function renderReviewMarkdown(review: Review, languages: readonly string[]): string {
  const out: string[] = [`**Code review**${languages.length > 0 ? ` (${languages.join(", ")})` : ""}`, "", review.summary.trim() || "(no summary)"];
  if (review.findings.length === 0) {
    out.push("", "No findings.");
  } else {
    out.push("", `**Findings (${review.findings.length})**`);
    review.findings.forEach((finding, i) => {
      out.push("", `${i + 1}. ${SEVERITY_MARKS[finding.severity]} **${finding.severity}** · ${finding.category} — \`${finding.file}\`${where(finding)}`, `   ${finding.explanation}`);
      if (finding.suggestion) out.push("   Suggested change:", "```", finding.suggestion.replace(/\n$/, ""), "```");
    });
  }
  if (review.checks.length > 0) {
    out.push("", "**Syntax checks (sandbox)**");
    for (const check of review.checks) {
      const mark = check.status === "passed" ? "✅" : check.status === "failed" ? "❌" : "⚠️";
      out.push(`- ${mark} \`${check.command}\` ${check.status === "not-run" ? `not run: ${check.output}` : check.status}`);
      if (check.status === "failed") out.push("```", check.output, "```");
    }
  }
  if (review.notes.length > 0) out.push("", ...review.notes.map((note) => `_${note}_`));
  return out.join("\n");
}

export function where(finding: ReviewFinding): string {
  if (finding.line !== null) return ` line ${finding.line}`;
  if (finding.hunk !== null) return ` hunk ${finding.hunk}`;
  return "";
}
