import {
  LlamaChatSession,
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

export interface GenerateOptions {
  readonly systemPrompt: string;
  readonly history: readonly ChatTurn[];
  readonly userText: string;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly signal?: AbortSignal;
  /** Called with each piece of answer text as it is decoded, in order. */
  readonly onText?: (text: string) => void;
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

  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const sequence = this.sequence;
    if (!sequence) throw new Error("ModelEngine.generate() called before start()");
    if (this.busy) throw new Error("ModelEngine.generate() called while another generation runs");
    this.busy = true;
    // A fresh session per job over the same sequence: the session holds no state Burrow needs, while the
    // sequence keeps the evaluated tokens so a matching prefix is not evaluated again.
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), autoDisposeSequence: false });
    const before = sequence.tokenMeter.getState();
    try {
      session.setChatHistory(toChatHistory(options.systemPrompt, options.history));
      const result = await session.promptWithMeta(options.userText, {
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        signal: options.signal,
        onTextChunk: options.onText,
      });
      const used = sequence.tokenMeter.diff(before);
      return { text: result.responseText, stopReason: result.stopReason, promptTokens: used.usedInputTokens, completionTokens: used.usedOutputTokens };
    } catch (error) {
      if (options.signal?.aborted) throw new GenerationAbortedError(error);
      throw error;
    } finally {
      session.dispose({ disposeSequence: false });
      this.busy = false;
    }
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
