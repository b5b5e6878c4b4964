import { z } from "zod";

/**
 * A structured code review, as the review agent produces it and front ends render it: a summary, then
 * findings that each point at a file and a line (or a hunk) of the input. Shared by agent/ (which builds
 * it under a JSON-schema grammar) and the front ends (which render it for a chat or a terminal).
 */

export const SEVERITIES = ["blocker", "major", "minor", "nit"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const CATEGORIES = ["bug", "security", "performance", "readability", "tests"] as const;
export type Category = (typeof CATEGORIES)[number];

export const ReviewFindingSchema = z.object({
  file: z.string().max(300),
  /** A line of the input (the new side of a diff), or null when the finding is about a hunk or the file. */
  line: z.number().int().positive().nullable(),
  /** 1-based hunk of a diff file, or null. */
  hunk: z.number().int().positive().nullable(),
  severity: z.enum(SEVERITIES),
  category: z.enum(CATEGORIES),
  explanation: z.string().max(2000),
  /** Replacement code, checked to parse where the sandbox can; null when the finding needs none. */
  suggestion: z.string().max(4000).nullable(),
});
export type ReviewFinding = z.infer<typeof ReviewFindingSchema>;

export const ReviewCheckSchema = z.object({
  file: z.string(),
  /** The command the check stands for (`python -m py_compile`, `node --check`). */
  command: z.string(),
  status: z.enum(["passed", "failed", "not-run"]),
  output: z.string(),
});
export type ReviewCheck = z.infer<typeof ReviewCheckSchema>;

export const ReviewSchema = z.object({
  summary: z.string(),
  findings: z.array(ReviewFindingSchema),
  /** The sandbox's syntax checks that ran before the model wrote. */
  checks: z.array(ReviewCheckSchema),
  /** How many parts the input was reviewed in (1 = whole); more when it did not fit the context. */
  parts: z.number().int().positive(),
  /** Findings dropped because they cited a file or line the input does not have. */
  dropped: z.number().int().nonnegative(),
  /** Notes for the reader: a split, suggestions that did not parse, a limit that was hit. */
  notes: z.array(z.string()),
});
export type Review = z.infer<typeof ReviewSchema>;
