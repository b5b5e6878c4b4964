import { pushable, type Pushable } from "it-pushable";
import type { Agent, AgentContext, AgentEvent, ChatRequest } from "../../src/contracts.js";
import { BurrowError } from "../../src/errors.js";
import { parseReviewInput, type ReviewFile } from "../../src/review-input.js";
import type { Review, ReviewFinding } from "../../src/review.js";
import { GenerationAbortedError, type ModelEngine } from "../../models/engine.js";
import { JobBudget } from "../job-budget.js";
import type { CodePort } from "../tool-ports.js";
import { checkSuggestions, groundFindings, ModelReviewSchema } from "./grounding.js";
import { mergeFindings } from "./merge-findings.js";
import { renderReviewMarkdown } from "./render-markdown.js";
import { REVIEW_OUTPUT_SCHEMA } from "./review-schema.js";
import { REVIEW_SYSTEM_PROMPT, reviewMessage } from "./review-prompt.js";
import { splitForContext } from "./split-input.js";
import { runReviewChecks } from "./syntax-check.js";

export interface ReviewAgentOptions {
  readonly engine: ModelEngine;
  /** The sandbox for syntax checks; undefined when it cannot run here (`codeUnavailable` says why). */
  readonly code: CodePort | undefined;
  readonly codeUnavailable?: string;
  /** Most tokens the model writes per part of a review. */
  readonly maxTokens: number;
  readonly temperature: number;
  readonly timeoutMs: number;
  /** Prompt-lookup decoding for the review's output (on where the benchmark showed it does not slow reviews). */
  readonly inputLookup: boolean;
}

/**
 * Whether reviews use the input-lookup predictor, decided by `npm run bench:review` (README "Code reviews"
 * has the figures): on. On the 0.5B-shaped model, with the review schema the random weights never repeat
 * the input, so it made no predictions and cost nothing measurable (1.00×, median of 5 back-to-back
 * pairs; 0.96–1.04× in earlier runs); when the output quotes the diff, 57 of 60 predictions held and decode
 * was 1.06× faster. A review that quotes code in its suggestions is the second case in part.
 */
export const REVIEW_INPUT_LOOKUP = true;

/** Tokens kept free in the context besides the message and the answer budget (turn markers, rounding). */
const CONTEXT_MARGIN = 64;

/**
 * The review agent: sandbox syntax checks first (their output goes into the prompt), then the model writes
 * the review as JSON under a grammar, part by part when the input does not fit the context; findings on
 * lines the input does not have are dropped, suggestions that do not parse lose their code, and the merged
 * review is rendered as Markdown (`done.answer`) and kept structured (`done.review`).
 */
export function createReviewAgent(options: ReviewAgentOptions): Agent {
  return (request, context) => {
    const output = pushable<AgentEvent>({ objectMode: true });
    const budget = new JobBudget({ maxToolSteps: 0, timeoutMs: options.timeoutMs }, context.signal);
    runReview(options, request, context, budget, output)
      .then(() => output.end())
      .catch((error: unknown) => output.end(error as Error))
      .finally(() => budget.dispose());
    return output;
  };
}

async function runReview(options: ReviewAgentOptions, request: ChatRequest, context: AgentContext, budget: JobBudget, output: Pushable<AgentEvent>): Promise<void> {
  const startedAt = performance.now();
  const { engine } = options;
  const input = parseReviewInput(request.text, request.attachments);
  const notes: string[] = [];

  const checkable = input.files.filter((file) => file.wholeText !== undefined && (file.language === "python" || file.language === "javascript"));
  if (checkable.length > 0) {
    output.push({ type: "tool", name: "run_code", summary: `Syntax-checking ${checkable.length === 1 ? checkable[0]!.path : `${checkable.length} files`} in the sandbox` });
  }
  const checks = await runReviewChecks(options.code, options.codeUnavailable, input.files, budget.signal);

  const contextSize = engine.info.contextSize;
  const room = contextSize - engine.tokenCount(REVIEW_SYSTEM_PROMPT) - options.maxTokens - CONTEXT_MARGIN;
  if (room < 64) {
    throw new BurrowError("review_context_too_small", `The model's ${contextSize}-token context has no room for a review after its ${options.maxTokens}-token answer budget.`, {
      hint: "Raise BURROW_CONTEXT_SIZE or lower BURROW_MAX_TOKENS.",
    });
  }
  const message = (files: readonly ReviewFile[], part?: { index: number; of: number }): string =>
    reviewMessage({ instructions: input.instructions, files, checks, part: part ?? { index: 1, of: 2 } });
  const parts = splitForContext(input.files, (files) => engine.tokenCount(message(files)) <= room);
  if (parts.length > 1) {
    notes.push(`This input was too big for the model's ${contextSize.toLocaleString("en-US")}-token context, so it was reviewed in ${parts.length} parts (by file, then by hunk and line range where needed) and the findings merged.`);
  }

  const partFindings: ReviewFinding[][] = [];
  const summaries: string[] = [];
  const droppedKeys = new Set<string>();
  let promptTokens = 0;
  let completionTokens = 0;
  let firstTokenMs: number | null = null;
  for (const [i, files] of parts.entries()) {
    if (budget.stopped) break;
    const label = parts.length > 1 ? `Reviewing part ${i + 1} of ${parts.length} (${describeFiles(files)})…` : `Reviewing ${describeFiles(files)}…`;
    output.push({ type: "thinking", text: label.slice(0, 200) });
    const chat = await engine.openChat({ systemPrompt: REVIEW_SYSTEM_PROMPT, history: [], inputLookup: options.inputLookup });
    let text: string;
    try {
      const result = await chat.prompt(parts.length > 1 ? message(files, { index: i + 1, of: parts.length }) : reviewMessage({ instructions: input.instructions, files, checks }), {
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        signal: budget.signal,
        stopOnAbortSignal: true,
        jsonSchema: REVIEW_OUTPUT_SCHEMA,
        onText: () => void (firstTokenMs ??= performance.now() - startedAt),
      });
      text = result.text;
      promptTokens += result.promptTokens;
      completionTokens += result.completionTokens;
    } catch (error) {
      if (error instanceof GenerationAbortedError && budget.stopped && !budget.cancelled) break;
      throw error;
    } finally {
      chat.dispose();
    }
    if (budget.cancelled) throw new GenerationAbortedError(budget.signal.reason);
    const parsed = parseModelReview(text);
    if (!parsed) {
      notes.push(`${parts.length > 1 ? `Part ${i + 1}'s` : "The"} review was cut off at the ${options.maxTokens}-token limit (BURROW_MAX_TOKENS), so its findings are missing.`);
      continue;
    }
    const grounded = groundFindings(parsed.findings, input.files);
    for (const key of grounded.dropped) droppedKeys.add(key);
    partFindings.push(grounded.findings);
    if (parsed.summary.trim()) summaries.push(parsed.summary.trim());
  }

  let findings = mergeFindings(partFindings);
  if (findings.some((finding) => finding.suggestion !== null)) {
    output.push({ type: "tool", name: "run_code", summary: "Checking that the suggested changes parse" });
  }
  const suggestions = await checkSuggestions(findings, input.files, options.code, budget.signal);
  findings = suggestions.findings;
  const dropped = droppedKeys.size;
  if (dropped > 0) notes.push(`${dropped} finding${dropped === 1 ? "" : "s"} citing a file or line that is not in the input ${dropped === 1 ? "was" : "were"} dropped.`);
  if (suggestions.removed > 0) notes.push(`${suggestions.removed} suggested change${suggestions.removed === 1 ? "" : "s"} did not parse and ${suggestions.removed === 1 ? "was" : "were"} removed.`);
  if (budget.note) notes.push(budget.note);

  const review: Review = {
    summary: [...new Set(summaries)].join(" ") || "(The model wrote no summary.)",
    findings,
    checks,
    parts: parts.length,
    dropped,
    notes,
  };
  const languages = [...new Set(input.files.map((file) => file.language ?? "unknown language"))];
  const answer = renderReviewMarkdown(review, languages);
  output.push({ type: "delta", text: answer });
  output.push({
    type: "done",
    answer,
    sources: [],
    review,
    usage: { promptTokens, completionTokens, firstTokenMs, totalMs: performance.now() - startedAt },
  });
}

/** The model's JSON, or undefined when it was cut off (the grammar makes anything complete valid). */
function parseModelReview(text: string): ReturnType<typeof ModelReviewSchema.parse> | undefined {
  try {
    const parsed = ModelReviewSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describeFiles(files: readonly ReviewFile[]): string {
  const names = [...new Set(files.map((file) => file.path))];
  return names.length <= 2 ? names.join(", ") : `${names.length} files`;
}
