import { ChatRequestSchema, type Agent, type AgentEvent } from "../../src/contracts.js";
import { FIX_SEPARATOR } from "../prompts.js";
import { gradeAnswer, type TaskGrade } from "./grade-answer.js";
import type { EvalToolSet } from "./eval-tools.js";
import type { EvalCategory, EvalTask } from "./task-model.js";
import { taskMessage } from "./task-message.js";

/** One run of one task through the agent, graded, with what it cost. */
export interface TaskRun {
  readonly id: string;
  readonly title: string;
  readonly category: EvalCategory;
  /** 1-based, for --repeat. */
  readonly run: number;
  readonly passed: boolean;
  readonly score: number;
  readonly successes: number;
  readonly trials: number;
  readonly detail: string;
  readonly seconds: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Tool calls the model made (searches, page reads, run_code). */
  readonly toolCalls: number;
  /** Automatic sandbox runs of the answer's code by the agent's self-correction. */
  readonly codeChecks: number;
  /** Times the agent asked the model to fix failing code. */
  readonly fixRounds: number;
  /** The agent failed (not the answer): the error's text. */
  readonly error?: string;
}

/**
 * What the agent's events say it did. The tool functions announce each call with one `tool` event
 * (agent/agent-functions.ts); the self-correction loop announces its own runs as "Running the … code"
 * (agent/code-check.ts) and puts FIX_SEPARATOR before each corrected attempt (agent/agent.ts).
 */
export function countActivity(events: readonly AgentEvent[]): { toolCalls: number; codeChecks: number; fixRounds: number } {
  let toolCalls = 0;
  let codeChecks = 0;
  let fixRounds = 0;
  for (const event of events) {
    if (event.type === "tool") {
      if (/^Running the (Python|JavaScript) code\b/.test(event.summary)) codeChecks++;
      else if (/^(Searching |Reading |Running (Python|JavaScript) code in the sandbox)/.test(event.summary)) toolCalls++;
    } else if (event.type === "delta" && event.text === FIX_SEPARATOR) {
      fixRounds++;
    }
  }
  return { toolCalls, codeChecks, fixRounds };
}

/**
 * Runs a task as a fresh conversation (no history, its own state key) with the local web serving only
 * this task's pages. A cancel (`signal`) rejects with the signal's reason; any other agent failure is
 * a failed run, recorded with its error.
 */
export async function runTask(agent: Agent, task: EvalTask, run: number, tools: EvalToolSet, signal: AbortSignal): Promise<TaskRun> {
  tools.web.setPages(task.kind === "web" ? task.pages : []);
  const request = ChatRequestSchema.parse({ platform: "terminal", chatId: `eval:${task.id}:${run}`, userId: "burrow-eval", text: taskMessage(task), createdAt: Date.now() });
  const events: AgentEvent[] = [];
  const started = performance.now();
  let error: string | undefined;
  try {
    for await (const event of agent(request, { jobId: `eval-${task.id}-${run}`, history: [], signal })) events.push(event);
  } catch (thrown) {
    if (signal.aborted) throw signal.reason ?? thrown;
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  const seconds = (performance.now() - started) / 1000;
  const done = events.find((event): event is Extract<AgentEvent, { type: "done" }> => event.type === "done");
  let grade: TaskGrade;
  if (done) {
    grade = await gradeAnswer(task, done, { sandbox: tools.sandbox, webOrigin: tools.web.url, signal });
  } else {
    grade = { passed: false, score: 0, successes: 0, trials: task.kind === "design" ? task.rubric.length : 1, detail: `no answer: ${error ?? "the agent ended without one"}` };
  }
  tools.web.setPages([]);
  return {
    id: task.id,
    title: task.title,
    category: task.category,
    run,
    ...grade,
    seconds,
    promptTokens: done?.usage?.promptTokens ?? 0,
    completionTokens: done?.usage?.completionTokens ?? 0,
    ...countActivity(events),
    ...(error === undefined ? {} : { error }),
  };
}
