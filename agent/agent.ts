import { pushable, type Pushable } from "it-pushable";
import type { ChatSessionModelFunctions } from "node-llama-cpp";
import type { Config } from "../src/config.js";
import { conversationKey, type Agent, type AgentContext, type AgentEvent, type ChatRequest } from "../src/contracts.js";
import { GenerationAbortedError, type EngineChat, type GenerateResult, type ModelEngine, type PrefixInfo, type PromptOptions } from "../models/engine.js";
import { buildAgentFunctions, type JobToolState } from "./agent-functions.js";
import { checkCodeAnswer, codeRunner, type CodeVerdict } from "./code-check.js";
import { programOf } from "./code-blocks.js";
import { JobBudget } from "./job-budget.js";
import { FIX_SEPARATOR, systemPromptFor } from "./prompts.js";
import { SourceList } from "./source-list.js";
import { stripThoughts, ThoughtFilter, type FilteredChunk } from "./thought-filter.js";
import type { AgentTools } from "./tool-ports.js";

export interface AgentOptions {
  readonly engine: ModelEngine;
  readonly tools: AgentTools;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly maxToolSteps: number;
  readonly timeoutMs: number;
  readonly thoughtTokens: number;
  /** Rounds of "run the code, feed the error back"; the code is still run once with 0. */
  readonly fixRounds: number;
  readonly pageTokens: number;
}

/** The agent's budgets and sampling as the settings give them: the daemon and `burrow eval` run the same agent. */
export function agentSettings(config: Config): Omit<AgentOptions, "engine" | "tools"> {
  return {
    maxTokens: config.maxTokens,
    temperature: config.temperature,
    maxToolSteps: config.agent.maxToolSteps,
    timeoutMs: config.agent.jobTimeoutSeconds * 1000,
    thoughtTokens: config.agent.thoughtTokens,
    fixRounds: config.agent.fixRounds,
    pageTokens: config.agent.pageTokens,
  };
}

/** Fewer tokens than this left: no point asking the model for a fix. */
const MIN_FIX_TOKENS = 64;

/**
 * The agent: one run per job. The model reasons and may call tools (search, page reader, code runner)
 * while it answers; the answer streams as `delta` events. If the answer holds runnable code it is run in
 * the sandbox and, on failure, fixed in bounded rounds. Budgets stop the work without losing the answer.
 */
export function createAgent(options: AgentOptions): ToolAgent {
  const systemPrompt = systemPromptFor(options.tools);
  const toolsOffered = options.maxToolSteps > 0;
  let current: JobToolState | undefined;
  // Built once: the function definitions are part of the prompt prefix, which must stay byte-identical.
  const functions = toolsOffered
    ? buildAgentFunctions(options.tools, () => {
        if (!current) throw new Error("a tool was called outside a job");
        return current;
      })
    : {};
  const hasFunctions = Object.keys(functions).length > 0;

  const prepared: Prepared = { systemPrompt, functions: hasFunctions ? functions : undefined };
  const run: Agent = (request, context) => {
    const output = pushable<AgentEvent>({ objectMode: true });
    const budget = new JobBudget({ maxToolSteps: options.maxToolSteps, timeoutMs: options.timeoutMs }, context.signal);
    const state: JobToolState = {
      jobId: context.jobId,
      budget,
      sources: new SourceList(),
      pageTokens: options.pageTokens,
      emit: (event) => output.push(event),
      problems: [],
    };
    current = state;
    runJob(options, prepared, request, context, state, output)
      .then(() => output.end())
      .catch((error: unknown) => output.end(error as Error))
      .finally(() => {
        budget.dispose();
        if (current === state) current = undefined;
      });
    return output;
  };
  return Object.assign(run, { warmUp: () => options.engine.preparePrefix(prepared) });
}

interface Prepared {
  readonly systemPrompt: string;
  readonly functions: ChatSessionModelFunctions | undefined;
}

/** The agent, plus a warm-up that gets the prompt prefix's KV state ready before the first job. */
export type ToolAgent = Agent & { warmUp(): Promise<PrefixInfo | undefined> };

async function runJob(
  options: AgentOptions,
  prepared: Prepared,
  request: ChatRequest,
  context: AgentContext,
  state: JobToolState,
  output: Pushable<AgentEvent>,
): Promise<void> {
  const { budget } = state;
  const startedAt = performance.now();
  let firstTokenMs: number | null = null;
  let promptTokens = 0;
  let completionTokens = 0;
  let thinking = false;
  const emitText = (text: string): void => {
    // Leading blank lines left where a thought was removed would show as an empty message.
    if (firstTokenMs === null) text = text.replace(/^\s+/, "");
    if (text === "") return;
    firstTokenMs ??= performance.now() - startedAt;
    thinking = false;
    output.push({ type: "delta", text });
  };
  const chat: EngineChat = await options.engine.openChat({
    systemPrompt: prepared.systemPrompt,
    history: context.history,
    functions: prepared.functions,
    stateKey: conversationKey(request),
  });
  let storedAnswer: string | undefined;
  try {
    const ask = async (text: string, maxTokens: number) => {
      const filter = new ThoughtFilter();
      const onThought = (): void => {
        // Thoughts are never shown; the user only learns that the model is thinking.
        if (!thinking) output.push({ type: "thinking", text: "thinking…" });
        thinking = true;
      };
      const route = (chunk: FilteredChunk): void => {
        if (chunk.thought) onThought();
        if (chunk.answer) emitText(chunk.answer);
      };
      const result = await promptKeepingPartial(chat, budget, text, {
        maxTokens,
        temperature: options.temperature,
        signal: budget.signal,
        stopOnAbortSignal: true,
        thoughtTokens: options.thoughtTokens,
        onText: (chunk) => route(filter.push(chunk)),
        onThought,
      });
      route(filter.flush());
      promptTokens += result.promptTokens;
      completionTokens += result.completionTokens;
      if (budget.cancelled) throw new GenerationAbortedError(budget.signal.reason);
      return { ...result, text: stripThoughts(result.text) };
    };

    const first = await ask(withAttachments(request.text, request.attachments), options.maxTokens);
    let answer = first.text;
    const notes: string[] = [];
    if (answer.trim() === "" && first.stopReason !== "maxTokens") {
      // Say so rather than posting nothing: an empty reply looks like a hang in a chat.
      answer = budget.stopped ? "(No answer: the work was stopped before the model wrote one.)" : "(The model gave an empty answer. Try rephrasing the question.)";
      emitText(answer);
    }
    let hitTokenLimit = first.stopReason === "maxTokens";

    let verdict: CodeVerdict | undefined;
    if (!budget.stopped && !hitTokenLimit && programOf(answer)) {
      verdict = await checkCodeAnswer({
        question: [request.text, ...request.attachments.map((file) => file.text)].join("\n\n"),
        answer,
        run: options.tools.code ? codeRunner(options.tools.code) : undefined,
        unavailableReason: options.tools.unavailable.get("run_code"),
        rounds: options.fixRounds,
        signal: budget.signal,
        onEvent: (event) => output.push(event),
        fix: async (feedback) => {
          const left = options.maxTokens - completionTokens;
          if (budget.stopped || left < MIN_FIX_TOKENS) return undefined;
          output.push({ type: "delta", text: FIX_SEPARATOR });
          const fixed = await ask(feedback, left);
          if (fixed.stopReason === "maxTokens") hitTokenLimit = true;
          return fixed.text;
        },
      });
      answer = verdict.answer;
      if (verdict.note) notes.push(verdict.note);
    }

    if (hitTokenLimit) notes.push(`[Answer cut off at the ${options.maxTokens}-token limit (BURROW_MAX_TOKENS).]`);
    if (budget.note) notes.push(budget.note);
    for (const problem of state.problems) {
      if (!notes.some((note) => note.includes(problem))) notes.push(`⚠️ ${problem}`);
    }
    const { sources, footer } = state.sources.sourcesFor(answer);
    // No blank lines before a note when there is no answer text: it would be the message's first line.
    const separator = answer.trim() === "" ? "" : "\n\n";
    const ending = (notes.length > 0 ? `${separator}${notes.join("\n")}` : "") + footer;
    if (ending) output.push({ type: "delta", text: ending });
    storedAnswer = answer + ending;
    output.push({
      type: "done",
      answer: storedAnswer,
      sources,
      usage: { promptTokens, completionTokens, firstTokenMs, totalMs: performance.now() - startedAt },
    });
  } finally {
    // The next turn of this conversation starts from the exchange as the worker stores it.
    chat.dispose(
      storedAnswer === undefined
        ? undefined
        : { history: [...context.history, { role: "user", text: request.text }, { role: "assistant", text: storedAnswer }] },
    );
  }
}

/**
 * A prompt that a budget may stop. node-llama-cpp returns the partial answer when stopped mid-answer, but
 * throws when stopped before any answer text (e.g. while the model was only calling tools): that is a
 * budget stop with an empty answer, not a failure. A user's cancel still throws.
 */
async function promptKeepingPartial(chat: EngineChat, budget: JobBudget, text: string, options: PromptOptions): Promise<GenerateResult> {
  try {
    return await chat.prompt(text, options);
  } catch (error) {
    if (error instanceof GenerationAbortedError && budget.stopped && !budget.cancelled) {
      return { text: "", stopReason: "abort", promptTokens: 0, completionTokens: 0 };
    }
    throw error;
  }
}

function withAttachments(text: string, attachments: readonly { name: string; text: string }[]): string {
  if (attachments.length === 0) return text;
  const files = attachments.map((file) => `File ${file.name}:\n\`\`\`\n${file.text}\n\`\`\``).join("\n\n");
  return `${text}\n\n${files}`;
}
