import type { EvalTask } from "./task-model.js";

/** The message sent to the agent for a task: what a user would write. Hidden tests are never in it. */
export function taskMessage(task: EvalTask): string {
  if (task.kind !== "debug") return task.prompt.trimEnd();
  const fence = (code: string) => `\`\`\`${task.language}\n${code.endsWith("\n") ? code : `${code}\n`}\`\`\``;
  return `${task.prompt.trimEnd()}\n\n${fence(task.buggy)}\n\nThis test fails:\n\n${fence(task.failingTest)}\n\nFix the code so that the test passes, without changing the test. Reply with the whole corrected code.`;
}
