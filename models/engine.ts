import {
  LlamaChatSession,
  type ChatSessionModelFunctions,
  QwenChatWrapper,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import { BurrowError } from "../src/errors.js";
import type { Logger } from "../src/log.js";
import { loadLlamaRuntime } from "./llama-runtime.js";
import { inspectModelFile, type ModelFileInfo } from "./model-file.js";
import { resolveThreads } from "./physical-cores.js";

export interface EngineOptions {
  readonly modelPath: string;
  readonly threads: number | "auto";
  /** Requested context size; capped at the model's trained context length. */
  readonly contextSize: number;
  readonly logger: Logger;
}

export interface ChatTurn {
  readonly role: "user" | "assistant";
  readonly text: string;
}

export interface ChatOptions {
  readonly systemPrompt: string;
  readonly history: readonly ChatTurn[];
}

export interface PromptOptions {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly signal?: AbortSignal;
  /**
   * Return the text so far (stopReason "abort") instead of throwing when `signal` aborts after the answer
   * started. Used for budgets, where a partial answer is worth keeping.
   */
  readonly stopOnAbortSignal?: boolean;
  /** Called with each piece of answer text as it is decoded, in order (thoughts excluded). */
  readonly onText?: (text: string) => void;
  /** Called with each piece of a thinking model's thought section; never part of the answer. */
  readonly onThought?: (text: string) => void;
  /** Most tokens a thinking model may spend in its thought section. */
  readonly thoughtTokens?: number;
  /**
   * Tools the model may call. node-llama-cpp constrains each call with a grammar built from the
   * parameter schema, so a call is always well-formed; handlers must not throw (a throw aborts the prompt).
   */
  readonly functions?: ChatSessionModelFunctions;
}

export interface GenerateOptions extends ChatOptions, PromptOptions {
  readonly userText: string;
}

/** One conversation on the engine's sequence: several prompts in a row keep each other's context. */
export interface EngineChat {
  prompt(userText: string, options: PromptOptions): Promise<GenerateResult>;
  /** Releases the engine for the next job; the sequence (and its evaluated tokens) stays. */
  dispose(): void;
}

export type StopReason = "eogToken" | "maxTokens" | "abort" | "stopGenerationTrigger" | "functionCalls" | "customStopTrigger";

export interface GenerateResult {
  readonly text: string;
  readonly stopReason: StopReason;
  /** Tokens llama.cpp actually evaluated for the prompt (prefix reuse makes this smaller than the prompt). */
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface EngineInfo {
  readonly model: ModelFileInfo;
  readonly threads: number;
  readonly contextSize: number;
}

/** Raised when generation stops because the caller's signal aborted it. */
export class GenerationAbortedError extends BurrowError {
  constructor(cause?: unknown) {
    super("generation_aborted", "Generation was cancelled.", { cause });
  }
}

/**
 * The model engine: one llama.cpp model, one context and one sequence, reused across jobs so the
 * stable prompt prefix (system prompt) stays evaluated between them. Not re-entrant: the serial worker
 * runs one generation at a time, and a second concurrent call is a bug that throws.
 */
export class ModelEngine {
  private llama: Llama | undefined;
  private model: LlamaModel | undefined;
  private context: LlamaContext | undefined;
  private sequence: LlamaContextSequence | undefined;
  private engineInfo: EngineInfo | undefined;
  private busy = false;

  constructor(private readonly options: EngineOptions) {}

  get info(): EngineInfo {
    if (!this.engineInfo) throw new Error("ModelEngine.info read before start()");
    return this.engineInfo;
  }

  async start(): Promise<EngineInfo> {
    const { logger } = this.options;
    // Validate before llama.cpp sees the file: some malformed files abort the process instead of throwing.
    const modelInfo = await inspectModelFile(this.options.modelPath);
    const threads = resolveThreads(this.options.threads);
    const started = performance.now();
    this.llama = await loadLlamaRuntime({ threads, logger });
    try {
      this.model = await this.llama.loadModel({ modelPath: modelInfo.path });
    } catch (error) {
      await this.stop();
      throw new BurrowError("model_load_failed", `llama.cpp could not load ${modelInfo.path}: ${(error as Error).message}`, {
        hint: "Check that the file is a complete model llama.cpp supports (see `burrow doctor`), or set BURROW_MODEL to another file.",
        cause: error,
      });
    }
    const contextSize = Math.min(this.options.contextSize, modelInfo.trainContextLength);
    try {
      this.context = await this.model.createContext({ contextSize, threads, sequences: 1 });
    } catch (error) {
      await this.stop();
      throw new BurrowError("context_failed", `Could not create a ${contextSize}-token context: ${(error as Error).message}`, {
        hint: "Lower BURROW_CONTEXT_SIZE, or free some memory.",
        cause: error,
      });
    }
    this.sequence = this.context.getSequence();
    this.engineInfo = { model: modelInfo, threads, contextSize: this.context.contextSize };
    logger.info({ model: modelInfo.path, threads, contextSize: this.context.contextSize, loadMs: Math.round(performance.now() - started) }, "model loaded");
    return this.engineInfo;
  }

  /** One prompt in a fresh conversation: the common case. */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const chat = this.openChat(options);
    try {
      return await chat.prompt(options.userText, options);
    } finally {
      chat.dispose();
    }
  }

  /**
   * Starts a conversation from a system prompt and history. Holds the engine until disposed: the serial
   * worker runs one job at a time, so a second open chat is a bug and throws.
   */
  openChat(options: ChatOptions): EngineChat {
    const sequence = this.sequence;
    if (!sequence) throw new Error("ModelEngine.openChat() called before start()");
    if (this.busy) throw new Error("ModelEngine.openChat() called while another chat is open");
    this.busy = true;
    // A fresh session per job over the same sequence: the session holds no state Burrow needs, while the
    // sequence keeps the evaluated tokens so a matching prefix is not evaluated again.
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), autoDisposeSequence: false });
    session.setChatHistory(toChatHistory(options.systemPrompt, options.history));
    let disposed = false;
    return {
      prompt: async (userText, prompt) => {
        if (disposed) throw new Error("EngineChat.prompt() called after dispose()");
        const before = sequence.tokenMeter.getState();
        try {
          const result = await session.promptWithMeta(userText, {
            maxTokens: prompt.maxTokens,
            temperature: prompt.temperature,
            signal: prompt.signal,
            stopOnAbortSignal: prompt.stopOnAbortSignal ?? false,
            functions: prompt.functions,
            budgets: prompt.thoughtTokens === undefined ? undefined : { thoughtTokens: prompt.thoughtTokens },
            onResponseChunk: (chunk) => {
              if (chunk.type === "segment") {
                if (chunk.segmentType === "thought" && chunk.text !== "") prompt.onThought?.(chunk.text);
              } else if (chunk.text !== "") {
                prompt.onText?.(chunk.text);
              }
            },
          });
          const used = sequence.tokenMeter.diff(before);
          return { text: result.responseText, stopReason: result.stopReason, promptTokens: used.usedInputTokens, completionTokens: used.usedOutputTokens };
        } catch (error) {
          if (prompt.signal?.aborted) throw new GenerationAbortedError(error);
          throw error;
        }
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        session.dispose({ disposeSequence: false });
        this.busy = false;
      },
    };
  }

  async stop(): Promise<void> {
    const llama = this.llama;
    this.sequence = undefined;
    this.context = undefined;
    this.model = undefined;
    this.llama = undefined;
    // Disposing the Llama disposes its models and contexts.
    await llama?.dispose();
  }
}

function toChatHistory(systemPrompt: string, history: readonly ChatTurn[]): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = [{ type: "system", text: systemPrompt }];
  for (const turn of history) {
    items.push(turn.role === "user" ? { type: "user", text: turn.text } : { type: "model", response: [turn.text] });
  }
  return items;
}
