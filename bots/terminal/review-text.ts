import type { Review } from "../../src/review.js";

/** A review as plain text for the terminal (`burrow review`); `--json` prints the Review itself. */
export function renderReviewText(review: Review): string {
  const out: string[] = [review.summary.trim() || "(no summary)", ""];
  if (review.findings.length === 0) out.push("No findings.");
  review.findings.forEach((finding, i) => {
    const where = finding.line !== null ? `:${finding.line}` : finding.hunk !== null ? ` (hunk ${finding.hunk})` : "";
    out.push(`${i + 1}. [${finding.severity.toUpperCase()}] ${finding.category} — ${finding.file}${where}`, `   ${finding.explanation}`);
    if (finding.suggestion) out.push("   Suggested change:", ...finding.suggestion.replace(/\n$/, "").split("\n").map((line) => `     ${line}`));
    out.push("");
  });
  for (const check of review.checks) {
    out.push(`check: ${check.command}: ${check.status === "not-run" ? `not run (${check.output})` : check.status}`);
    if (check.status === "failed") out.push(...check.output.split("\n").map((line) => `  ${line}`));
  }
  for (const note of review.notes) out.push(`note: ${note}`);
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}
