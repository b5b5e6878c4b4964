import type { AgentEvent } from "../src/contracts.js";
import { tail } from "./agent-functions.js";
import { checksFromQuestion, hasChecks, programOf, withChecks, type CodeLanguage } from "./code-blocks.js";
import type { CodePort } from "./tool-ports.js";

/**
 * Self-correction for code answers: run the answer's code in the sandbox (with the question's tests or
 * examples when it gave any, else a smoke run), feed an error back to the model and try again, a bounded
 * number of rounds. The verdict is always reported; a final failure is shown, never hidden.
 */

/** How one sandboxed run ended, as far as checking an answer is concerned. */
export interface CodeRunReport {
  readonly status: "passed" | "failed" | "timeout";
  /** What went wrong, already trimmed for a prompt: the end of stderr, or the limit that was hit. */
  readonly detail: string;
}

export type CodeRunFn = (language: CodeLanguage, code: string, signal: AbortSignal) => Promise<CodeRunReport>;

/** Most characters of a failing run's output fed back to the model or shown to the user. */
const ERROR_DETAIL_CHARS = 1_500;

/** Runs code for the self-correction loop and reduces the result to passed / failed / timed out. */
export function codeRunner(code: CodePort): CodeRunFn {
  return async (language, source, signal) => {
    const run = await code.run({ language, code: source, signal });
    if (run.timedOut) return { status: "timeout", detail: `still running after ${Math.round(run.durationMs / 1000)} s` };
    if (run.exitCode === 0 && !run.outputTruncated) return { status: "passed", detail: "" };
    const output = run.stderr.trim() || run.stdout.trim() || `exit code ${run.exitCode ?? "none"} (${run.outcome})`;
    const limit = run.outputTruncated ? "\n(output cut off at the sandbox's limit)" : "";
    return { status: "failed", detail: tail(output, ERROR_DETAIL_CHARS) + limit };
  };
}

export interface CodeCheckOptions {
  readonly question: string;
  readonly answer: string;
  /** Undefined when the sandbox is unavailable; `unavailableReason` then says why. */
  readonly run: CodeRunFn | undefined;
  readonly unavailableReason?: string;
  /**
   * Asks the model for a corrected answer given what went wrong; resolves with the full new answer (the
   * caller streams it). Undefined when no budget is left for another round.
   */
  readonly fix: (feedback: string) => Promise<string | undefined>;
  readonly rounds: number;
  readonly signal: AbortSignal;
  readonly onEvent: (event: AgentEvent) => void;
}

export interface CodeVerdict {
  readonly status: "passed" | "failed" | "inconclusive" | "not-run" | "no-code";
  /** How many times the code was run. */
  readonly runs: number;
  readonly usedQuestionChecks: boolean;
  /** The answer the verdict is about (the last attempt). */
  readonly answer: string;
  /** One short paragraph for the user; empty for "no-code". */
  readonly note: string;
}

const LANGUAGE_NAMES: Readonly<Record<CodeLanguage, string>> = { python: "Python", javascript: "JavaScript" };

export async function checkCodeAnswer(options: CodeCheckOptions): Promise<CodeVerdict> {
  let answer = options.answer;
  let program = programOf(answer);
  if (!program) return { status: "no-code", runs: 0, usedQuestionChecks: false, answer, note: "" };
  if (!options.run) {
    const why = options.unavailableReason ?? "the code sandbox is not available";
    return { status: "not-run", runs: 0, usedQuestionChecks: false, answer, note: `⚠️ I did not run this code: ${why}.` };
  }
  const checks = checksFromQuestion(options.question, program.language);
  const usedQuestionChecks = hasChecks(checks);
  const what = usedQuestionChecks ? "with the tests from your question" : "as a smoke run (your question had no tests)";
  let runs = 0;
  for (;;) {
    runs += 1;
    const language = LANGUAGE_NAMES[program.language];
    options.onEvent({ type: "tool", name: "run_code", summary: `Running the ${language} code ${what}${runs > 1 ? ` (attempt ${runs})` : ""}` });
    const report = await options.run(program.language, withChecks(program, checks), options.signal);
    if (report.status === "passed") {
      const after = runs > 1 ? ` after ${runs - 1} fix${runs > 2 ? "es" : ""}` : "";
      const note = usedQuestionChecks
        ? `✅ I ran this ${language} code in the sandbox with the tests from your question: they pass${after}.`
        : `✅ I ran this ${language} code in the sandbox: it runs without errors${after}. (Your question had no tests, so that is all it shows.)`;
      return { status: "passed", runs, usedQuestionChecks, answer, note };
    }
    if (report.status === "timeout" && !usedQuestionChecks) {
      // A smoke run that does not end usually waits for input or serves forever: not evidence of a bug.
      return { status: "inconclusive", runs, usedQuestionChecks, answer, note: `⚠️ I ran this ${language} code in the sandbox but it did not finish (${report.detail}), so it is not verified.` };
    }
    options.onEvent({ type: "tool", name: "run_code", summary: `The code failed: ${errorLine(report.detail)}` });
    const roundsLeft = options.rounds - (runs - 1);
    const fixed = roundsLeft > 0 ? await options.fix(feedbackPrompt(report.detail, usedQuestionChecks)) : undefined;
    const nextProgram = fixed === undefined ? undefined : programOf(fixed);
    if (fixed === undefined || !nextProgram) {
      const tries = runs === 1 ? "" : ` after ${runs} attempts`;
      const note = `❌ I ran this ${language} code in the sandbox ${what} and it fails${tries}:\n\`\`\`\n${report.detail}\n\`\`\``;
      return { status: "failed", runs, usedQuestionChecks, answer: fixed ?? answer, note };
    }
    answer = fixed;
    program = nextProgram;
  }
}

function feedbackPrompt(detail: string, withTests: boolean): string {
  return [
    withTests ? "I ran your code with the tests from my question and it failed:" : "I ran your code and it failed:",
    "```",
    detail,
    "```",
    "Fix the code. Reply with the complete corrected answer, code included.",
  ].join("\n");
}

function errorLine(text: string): string {
  const lines = text.trim().split("\n").filter((line) => line.trim() !== "");
  // The last line of a traceback names the error; that is the useful one.
  const line = lines.at(-1) ?? "";
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
