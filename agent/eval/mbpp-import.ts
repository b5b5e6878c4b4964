import { z } from "zod";
import { idField, readJsonl } from "./jsonl-file.js";
import type { CodeTask } from "./task-model.js";

/**
 * Google's MBPP format (mbpp.jsonl, or the sanitized set's `prompt` instead of `text`): a one-sentence
 * task, a reference `code`, and `test_list` asserts. As in the MBPP paper the prompt shows the asserts, so
 * the function name and signature are known; pass means `test_setup_code` + `test_list` run without
 * error after the answer's code (the paper's criterion; `challenge_test_list` is read but not run).
 */
const RecordSchema = z
  .object({
    task_id: z.union([z.number(), z.string()]),
    text: z.string().min(1).optional(),
    prompt: z.string().min(1).optional(),
    code: z.string().min(1),
    test_list: z.array(z.string()).min(1),
    test_setup_code: z.string().default(""),
    challenge_test_list: z.array(z.string()).default([]),
    /** The sanitized set's imports its asserts need (e.g. `import math` for math.isclose). */
    test_imports: z.array(z.string()).default([]),
  })
  .refine((record) => record.text !== undefined || record.prompt !== undefined, { message: "needs `text` (or `prompt`, as in the sanitized set)", path: ["text"] });

export function importMbpp(file: string): CodeTask[] {
  return readJsonl(file, RecordSchema, idField("task_id")).map((record) => {
    const text = (record.text ?? record.prompt ?? "").trim();
    const tests = [...record.test_imports, record.test_setup_code, ...record.test_list].filter((line) => line.trim() !== "").join("\n");
    return {
      kind: "code",
      id: `mbpp-${String(record.task_id).replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()}`,
      title: `MBPP ${record.task_id}`,
      category: "mbpp",
      source: file,
      language: "python",
      prompt: `${text}\nYour code should pass these tests:\n\n\`\`\`python\n${record.test_list.join("\n")}\n\`\`\``,
      tests: `${tests}\n`,
      reference: record.code,
    };
  });
}
