import { BurrowError } from "../../src/errors.js";

/** A suite or benchmark file cannot be used: `file` names it and, when one is to blame, `taskId` the task. */
export class EvalInputError extends BurrowError {
  readonly file: string;
  readonly taskId: string | undefined;

  constructor(file: string, taskId: string | undefined, message: string, hint?: string) {
    super("eval_input_invalid", `${file}${taskId ? `, task ${taskId}` : ""}: ${message}`, {
      hint: hint ?? "Fix the file (the format is in the README's Evaluation section) and run `burrow eval` again.",
    });
    this.file = file;
    this.taskId = taskId;
  }
}
