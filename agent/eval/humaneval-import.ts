import { z } from "zod";
import { idField, readJsonl } from "./jsonl-file.js";
import type { CodeTask } from "./task-model.js";

/**
 * OpenAI's HumanEval format (HumanEval.jsonl): `prompt` is a function signature with its docstring,
 * `canonical_solution` its body, `test` defines `check(candidate)`, `entry_point` the function's name.
 * The program run is the prompt plus the answer's code (or the answer's code alone when it defines the
 * function itself, as a chat model's answer usually does), then `test`, then `check(entry_point)`.
 */
const RecordSchema = z.object({
  task_id: z.string().min(1),
  prompt: z.string().min(1),
  canonical_solution: z.string(),
  test: z.string().min(1),
  entry_point: z.string().regex(/^[A-Za-z_]\w*$/, "must be a Python identifier"),
});

export function importHumanEval(file: string): CodeTask[] {
  return readJsonl(file, RecordSchema, idField("task_id")).map((record) => ({
    kind: "code",
    id: `humaneval-${record.task_id.replace(/^HumanEval\//, "").replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()}`,
    title: record.task_id,
    category: "humaneval",
    source: file,
    language: "python",
    prompt: [
      "Complete this Python function. Reply with the whole function in a ```python code block.",
      "",
      "```python",
      record.prompt.trimEnd(),
      "```",
    ].join("\n"),
    tests: `${record.test}\n\ncheck(${record.entry_point})\n`,
    reference: record.prompt + record.canonical_solution,
    completes: { prefix: record.prompt, entryPoint: record.entry_point },
  }));
}
