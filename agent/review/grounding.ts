import { z } from "zod";
import type { ReviewFile } from "../../src/review-input.js";
import { CATEGORIES, SEVERITIES, type ReviewFinding } from "../../src/review.js";
import type { CodePort } from "../tool-ports.js";
import { checkSyntax, isCheckable } from "./syntax-check.js";

/**
 * Keeps a review honest about its input: a finding must name a file of the input and, when it cites a line
 * or a hunk, one the input has (a small model invents line numbers); a suggested change must at least parse
 * where the sandbox can check it, else the suggestion is removed and the reader told.
 */

/** What the grammar guarantees in shape; values (a line of -7e7, an unknown file) are checked here. */
const ModelFindingSchema = z.object({
  file: z.string(),
  line: z.number().nullable(),
  hunk: z.number().nullable(),
  severity: z.enum(SEVERITIES),
  category: z.enum(CATEGORIES),
  explanation: z.string(),
  suggestion: z.string().nullable(),
});

export const ModelReviewSchema = z.object({ summary: z.string(), findings: z.array(ModelFindingSchema) });
export type ModelReview = z.infer<typeof ModelReviewSchema>;

export interface Grounded {
  readonly findings: ReviewFinding[];
  /** Findings that cited a file, line or hunk the input does not have, as `file|line|hunk` (parts of a split review repeat them). */
  readonly dropped: readonly string[];
}

export function groundFindings(findings: readonly z.infer<typeof ModelFindingSchema>[], files: readonly ReviewFile[]): Grounded {
  const kept: ReviewFinding[] = [];
  const dropped: string[] = [];
  for (const finding of findings) {
    const drop = (): void => void dropped.push(`${finding.file}|${finding.line}|${finding.hunk}`);
    const pieces = fileOf(finding.file, files);
    if (pieces.length === 0 || finding.explanation.trim() === "") {
      drop();
      continue;
    }
    const line = finding.line;
    if (line !== null && !pieces.some((file) => file.lines.has(line))) {
      drop();
      continue;
    }
    const hunks = pieces.flatMap((file) => file.hunks.map((hunk) => hunk.index));
    const hunk = finding.hunk;
    // A hunk number on a whole file means nothing: ignore it rather than drop an otherwise good finding.
    if (hunk !== null && hunks.length > 0 && !hunks.includes(hunk)) {
      drop();
      continue;
    }
    kept.push({
      ...finding,
      file: pieces[0]!.path,
      line,
      hunk: hunks.length > 0 ? hunk : null,
      explanation: finding.explanation.trim(),
      suggestion: finding.suggestion?.trim() ? finding.suggestion : null,
    });
  }
  return { findings: kept, dropped };
}

/** The input's pieces of the file a finding names: by path, else by a unique ending (`calc.py` for `src/calc.py`). */
function fileOf(name: string, files: readonly ReviewFile[]): ReviewFile[] {
  const wanted = name.trim().replace(/^\.?\//, "").replace(/^[ab]\//, "");
  if (wanted === "") return [];
  const exact = files.filter((file) => file.path === wanted);
  if (exact.length > 0) return exact;
  const ending = files.filter((file) => file.path.endsWith(`/${wanted}`) || wanted.endsWith(`/${file.path}`));
  return new Set(ending.map((file) => file.path)).size === 1 ? ending : [];
}

/**
 * Removes suggestions that do not parse in their file's language (Python, JavaScript). A suggestion is
 * usually a fragment (`return a + b`), so it also counts as parsing inside a function body.
 */
export async function checkSuggestions(
  findings: readonly ReviewFinding[],
  files: readonly ReviewFile[],
  code: CodePort | undefined,
  signal: AbortSignal,
): Promise<{ findings: ReviewFinding[]; removed: number; unchecked: number }> {
  const out: ReviewFinding[] = [];
  let removed = 0;
  let unchecked = 0;
  for (const finding of findings) {
    const language = files.find((file) => file.path === finding.file)?.language;
    if (finding.suggestion === null) {
      out.push(finding);
      continue;
    }
    if (!isCheckable(language) || !code) {
      unchecked++;
      out.push(finding);
      continue;
    }
    const parses = await suggestionParses(code, language, finding.file, finding.suggestion, signal);
    if (!parses) removed++;
    out.push(parses ? finding : { ...finding, suggestion: null });
  }
  return { findings: out, removed, unchecked };
}

async function suggestionParses(code: CodePort, language: "python" | "javascript", file: string, suggestion: string, signal: AbortSignal): Promise<boolean> {
  const text = dedent(suggestion);
  const asIs = await checkSyntax(code, undefined, language, file, text, signal);
  if (asIs.status !== "failed") return asIs.status === "passed";
  const body = text.split("\n").map((line) => `    ${line}`).join("\n");
  const wrapped = language === "python" ? `def _suggestion():\n${body}\n` : `function _suggestion() {\n${body}\n}\n`;
  return (await checkSyntax(code, undefined, language, file, wrapped, signal)).status === "passed";
}

function dedent(text: string): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  const indents = lines.filter((line) => line.trim() !== "").map((line) => /^[ \t]*/.exec(line)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return `${lines.map((line) => line.slice(cut)).join("\n")}\n`;
}
