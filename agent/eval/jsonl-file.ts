import { readFileSync } from "node:fs";
import { z } from "zod";
import { EvalInputError } from "./eval-errors.js";

/**
 * The records of a JSON Lines file, each checked against `schema`; an error names the file and line
 * (and the record's task id when it has one). Blank lines are skipped.
 */
export function readJsonl<T>(file: string, schema: z.ZodType<T>, idOf: (value: unknown) => string | undefined): T[] {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (error) {
    throw new EvalInputError(file, undefined, `cannot be read (${(error as Error).message}).`, "Check the path given to --humaneval / --mbpp.");
  }
  const records: T[] = [];
  raw.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new EvalInputError(file, undefined, `line ${index + 1} is not JSON (${(error as Error).message}).`, "Give a JSON Lines file: one JSON object per line.");
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EvalInputError(file, idOf(value), `line ${index + 1}: ${issue?.path.join(".") || "record"}: ${issue?.message ?? "invalid"}.`);
    }
    records.push(parsed.data);
  });
  if (records.length === 0) throw new EvalInputError(file, undefined, "holds no records.");
  return records;
}

export const idField = (key: string) => (value: unknown): string | undefined => {
  const id = (value as Record<string, unknown> | null)?.[key];
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
};
