import {
  InputLookupTokenPredictor,
  LlamaChatSession,
  type GbnfJsonSchema,
  type LlamaGrammar,
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
import { KvStateStore, PREFIX_STATE_KEY } from "./kv-state-store.js";
import { loadLlamaRuntime } from "./llama-runtime.js";
import { inspectModelFile, type ModelFileInfo } from "./model-file.js";
import { autoContextSize } from "./context-size.js";
import { chooseThreads, threadCandidates, type ThreadChoice } from "./thread-tuning.js";
import { stateFingerprint } from "./state-fingerprint.js";
import type { EngineAdapter } from "./adapter-select.js";
import { inspectLoraAdapter } from "./lora-adapter.js";

export interface EngineOptions {
  readonly modelPath: string;
  readonly threads: number | "auto";
  /** Requested context size, or "auto" to size it from free RAM; capped at the model's trained length. */
  readonly contextSize: number | "auto";
  readonly logger: Logger;
  /** Where measured thread counts are remembered (threads "auto"); measured on every start when unset. */
  readonly tuningFile?: string;
  /** Where KV states are saved (prefix + one per conversation), and their byte budget. Off when unset. */
  readonly states?: { readonly dir: string; readonly budgetBytes: number };
  /**
   * A LoRA adapter loaded into the context (node-llama-cpp's `lora` option). It is checked against the model
   * first (models/lora-adapter.ts), so a wrong adapter fails start() with an AdapterFileError, never aborts.
   */
  readonly adapter?: EngineAdapter;
}

export interface ChatTurn {
  readonly role: "user" | "assistant";
  readonly text: string;
}

export interface ChatOptions {
  readonly systemPrompt: string;
  readonly history: readonly ChatTurn[];
  /**
   * Tools the model may call. node-llama-cpp renders their definitions into the system message (part of
   * the stable prefix) and constrains each call with a grammar built from the parameter schema, so a call
   * is always well-formed; handlers must not throw (a throw aborts the prompt).
   */
  readonly functions?: ChatSessionModelFunctions;
  /**
   * The conversation this chat continues: its saved KV state is restored first (so only new tokens are
   * evaluated, also after a restart) and saved again when the chat closes.
   */
  readonly stateKey?: string;
  /**
   * Prompt-lookup decoding (node-llama-cpp's InputLookupTokenPredictor with `predictionLength: { max: 1 }`,
   * the only length that can pay in 3.21.1) for output that copies its input, like reviews. A predictor
   * belongs to a sequence, so switching it on or off re-creates the sequence: its evaluated tokens are
   * lost and the next chat restores its state from disk (or re-reads the prefix without states).
   */
  readonly inputLookup?: boolean;
}

/** Where the evaluated tokens a chat started from came from. */
export type StateSource = "conversation-file" | "prefix-file" | "memory";

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
   * Constrains the answer to JSON matching this schema (node-llama-cpp's JSON-schema grammar). Give every
   * string a maxLength: a weak model otherwise writes one string until maxTokens.
   */
  readonly jsonSchema?: GbnfJsonSchema;
}

export interface GenerateOptions extends ChatOptions, PromptOptions {
  readonly userText: string;
}

/** One conversation on the engine's sequence: several prompts in a row keep each other's context. */
export interface EngineChat {
  readonly stateSource: StateSource;
  prompt(userText: string, options: PromptOptions): Promise<GenerateResult>;
  /**
   * Releases the engine for the next job; the sequence (and its evaluated tokens) stays, and the
   * conversation's state is saved in the background (the next chat waits for it). `next` is the history
   * the conversation's next turn will start from (this exchange as it is stored); the sequence is first
   * brought to exactly those tokens, so the next turn evaluates only its new message.
   */
  dispose(next?: { readonly history: readonly ChatTurn[] }): void;
}

export interface PrefixInfo {
  readonly fingerprint: string;
  /** True when the prefix state came from disk; false when it was evaluated (and saved) now. */
  readonly restored: boolean;
  readonly tokens: number;
  readonly ms: number;
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
  /** How the thread count was chosen: set explicitly, or measured (now or earlier, from the cache). */
  readonly threadChoice: ThreadChoice | "explicit";
  readonly contextSize: number;
  /** The loaded LoRA adapter, and how long loading it (with the context) took. */
  readonly adapter?: EngineAdapter & { readonly loadMs: number };
}

/** Tokens of a long message read between two checks for a cancel (≈25 s on a 7B at 10 tokens/s). */
const PROMPT_CHUNK_TOKENS = 256;

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
  private states: KvStateStore | undefined;
  /** The conversation (or the prefix) whose tokens the sequence holds now, as far as states go. */
  private heldKey: string | undefined;
  /** The background save of the last chat's state; the next chat (and stop) wait for it. */
  private pendingSave: Promise<void> = Promise.resolve();
  /**
   * The sequence holds tokens of a chat without a state key (a review): they share nothing with the chat
   * prefix past its first few tokens, so the next conversation restores the prefix's state instead.
   */
  private foreign = false;
  /** The system prompt of the saved prefix state (preparePrefix). */
  private prefixPrompt: string | undefined;
  /** Grammars built from JSON schemas, by schema object (building one parses the schema each time). */
  private readonly grammars = new WeakMap<GbnfJsonSchema, Promise<LlamaGrammar>>();

  constructor(private readonly options: EngineOptions) {}

  get info(): EngineInfo {
    if (!this.engineInfo) throw new Error("ModelEngine.info read before start()");
    return this.engineInfo;
  }

  async start(): Promise<EngineInfo> {
    const { logger } = this.options;
    // Validate before llama.cpp sees the file: some malformed files abort the process instead of throwing.
    const modelInfo = await inspectModelFile(this.options.modelPath);
    const { adapter } = this.options;
    // The same for the adapter: llama.cpp only says "Failed to initialize LoRA adapter", and a malformed one can abort.
    if (adapter) await inspectLoraAdapter(adapter.path, modelInfo, { hash: false });
    const started = performance.now();
    const candidates = threadCandidates();
    this.llama = await loadLlamaRuntime({ threads: this.options.threads === "auto" ? Math.max(...candidates) : this.options.threads, logger });
    try {
      this.model = await this.llama.loadModel({ modelPath: modelInfo.path });
    } catch (error) {
      await this.stop();
      throw new BurrowError("model_load_failed", `llama.cpp could not load ${modelInfo.path}: ${(error as Error).message}`, {
        hint: "Check that the file is a complete model llama.cpp supports (see `burrow doctor`), or set BURROW_MODEL to another file.",
        cause: error,
      });
    }
    const threadChoice =
      this.options.threads === "auto"
        ? await chooseThreads(this.model, { modelPath: modelInfo.path, cacheFile: this.options.tuningFile, candidates, logger })
        : "explicit";
    const threads = threadChoice === "explicit" ? (this.options.threads as number) : threadChoice.threads;
    const contextSize = this.options.contextSize === "auto" ? autoContextSize(modelInfo) : Math.min(this.options.contextSize, modelInfo.trainContextLength);
    const contextStarted = performance.now();
    try {
      this.context = await this.model.createContext({
        contextSize,
        threads,
        sequences: 1,
        lora: adapter ? { adapters: [{ filePath: adapter.path, scale: adapter.scale }] } : undefined,
      });
    } catch (error) {
      await this.stop();
      if (adapter && /lora/i.test((error as Error).message)) {
        throw new BurrowError("adapter_load_failed", `llama.cpp refused the LoRA adapter ${adapter.name ?? adapter.path}: ${(error as Error).message}`, {
          hint: "llama.cpp gives its reason in Burrow's log. Turn the adapter off (`burrow adapters off`) or go back to the previous one (`burrow adapters rollback`).",
          cause: error,
        });
      }
      throw new BurrowError("context_failed", `Could not create a ${contextSize}-token context: ${(error as Error).message}`, {
        hint: "Lower BURROW_CONTEXT_SIZE, or free some memory.",
        cause: error,
      });
    }
    this.sequence = this.context.getSequence();
    const adapterInfo = adapter ? { ...adapter, loadMs: performance.now() - contextStarted } : undefined;
    this.engineInfo = { model: modelInfo, threads, threadChoice, contextSize: this.context.contextSize, adapter: adapterInfo };
    logger.info(
      { model: modelInfo.path, threads, contextSize: this.context.contextSize, adapter: adapterInfo && { name: adapterInfo.name, scale: adapterInfo.scale, contextMs: Math.round(adapterInfo.loadMs) }, loadMs: Math.round(performance.now() - started) },
      "model loaded",
    );
    return this.engineInfo;
  }

  /** One prompt in a fresh conversation: the common case. */
  async generate(options: GenerateOptions): Promise<GenerateResult> {
    const chat = await this.openChat(options);
    try {
      return await chat.prompt(options.userText, options);
    } finally {
      chat.dispose();
    }
  }

  /**
   * Makes the prompt prefix (system prompt + tool definitions) ready: restores its saved KV state, or
   * evaluates and saves it. Also fixes the fingerprint states are stored under, so call it once before
   * the first chat when states are on. On a 2-core laptop this is minutes for a 7B model the first time,
   * and about a second from disk after that.
   */
  async preparePrefix(options: { systemPrompt: string; functions?: ChatSessionModelFunctions }): Promise<PrefixInfo | undefined> {
    const sequence = this.sequence;
    if (!sequence || !this.engineInfo) throw new Error("ModelEngine.preparePrefix() called before start()");
    const statesOption = this.options.states;
    if (!statesOption) return undefined;
    await this.pendingSave;
    const fingerprint = stateFingerprint({
      model: this.engineInfo.model,
      // The adapter changes every evaluated token, so its file (hash) and scale are part of what a state is for.
      adapter: this.engineInfo.adapter ? `${this.engineInfo.adapter.id}@${this.engineInfo.adapter.scale}` : null,
      contextSize: this.engineInfo.contextSize,
      sequences: 1,
      prefix: prefixText(options.systemPrompt, options.functions),
    });
    this.prefixPrompt = options.systemPrompt;
    this.states = new KvStateStore({ dir: statesOption.dir, fingerprint, budgetBytes: statesOption.budgetBytes, logger: this.options.logger });
    this.states.start();
    this.heldKey = undefined;
    const started = performance.now();
    await sequence.clearHistory();
    if (await this.states.load(PREFIX_STATE_KEY, sequence)) {
      this.heldKey = PREFIX_STATE_KEY;
      return { fingerprint, restored: true, tokens: sequence.contextTokens.length, ms: performance.now() - started };
    }
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), autoDisposeSequence: false });
    try {
      session.setChatHistory([{ type: "system", text: options.systemPrompt }]);
      // An empty user turn: the evaluated tokens end where every conversation's first user message begins.
      await session.preloadPrompt("", { functions: options.functions });
    } finally {
      session.dispose({ disposeSequence: false });
    }
    await this.states.save(PREFIX_STATE_KEY, sequence);
    this.heldKey = PREFIX_STATE_KEY;
    const info = { fingerprint, restored: false, tokens: sequence.contextTokens.length, ms: performance.now() - started };
    this.options.logger.info(info, "prompt prefix evaluated and saved");
    return info;
  }

  /** Deletes a conversation's saved state (`/new`), after any save of it in progress. */
  async forgetConversation(stateKey: string): Promise<boolean> {
    await this.pendingSave;
    if (this.heldKey === stateKey) this.heldKey = undefined;
    return this.states?.remove(stateKey) ?? false;
  }

  /** Tokens `text` is as plain text for this model. */
  tokenCount(text: string): number {
    if (!this.model) throw new Error("ModelEngine.tokenCount() called before start()");
    return this.model.tokenize(text).length;
  }

  /** How many evaluated tokens the sequence holds now (for tests and the benchmark). */
  get heldTokens(): number {
    return this.sequence?.contextTokens.length ?? 0;
  }

  /** The states store, once preparePrefix() has run (for doctor, bench and tests). */
  get stateStore(): KvStateStore | undefined {
    return this.states;
  }

  /**
   * Starts a conversation from a system prompt and history. Holds the engine until disposed: the serial
   * worker runs one job at a time, so a second open chat is a bug and throws.
   */
  async openChat(options: ChatOptions): Promise<EngineChat> {
    if (!this.sequence) throw new Error("ModelEngine.openChat() called before start()");
    if (this.busy) throw new Error("ModelEngine.openChat() called while another chat is open");
    this.busy = true;
    let stateSource: StateSource = "memory";
    let sequence: LlamaContextSequence;
    try {
      await this.pendingSave;
      sequence = await this.sequenceFor(options.inputLookup ?? false);
      stateSource = await this.restoreFor(options.stateKey, sequence);
      // Without a state key the chat leaves other tokens in the sequence than any conversation's.
      if (!options.stateKey) this.heldKey = undefined;
      this.foreign = !options.stateKey && options.systemPrompt !== this.prefixPrompt;
    } catch (error) {
      this.busy = false;
      throw error;
    }
    // A fresh session per job over the same sequence: the session holds no state Burrow needs, while the
    // sequence keeps the evaluated tokens so a matching prefix is not evaluated again.
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: new QwenChatWrapper(), autoDisposeSequence: false });
    session.setChatHistory(toChatHistory(options.systemPrompt, options.history));
    let disposed = false;
    return {
      stateSource,
      prompt: async (userText, prompt) => {
        if (disposed) throw new Error("EngineChat.prompt() called after dispose()");
        const before = sequence.tokenMeter.getState();
        try {
          await this.readInChunks(session, userText, options.functions, prompt.signal);
          const grammar = prompt.jsonSchema ? await this.grammarFor(prompt.jsonSchema) : undefined;
          const result = await session.promptWithMeta(userText, {
            ...(grammar ? { grammar } : { functions: options.functions }),
            maxTokens: prompt.maxTokens,
            temperature: prompt.temperature,
            signal: prompt.signal,
            stopOnAbortSignal: prompt.stopOnAbortSignal ?? false,
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
      dispose: (next) => {
        if (disposed) return;
        disposed = true;
        session.dispose({ disposeSequence: false });
        const { stateKey } = options;
        const states = this.states;
        if (states && stateKey) {
          this.heldKey = stateKey;
          const settle = next ? this.settle(sequence, options.systemPrompt, options.functions, next.history) : Promise.resolve();
          this.pendingSave = settle.then(() => states.save(stateKey, sequence)).then(
            () => undefined,
            (error: unknown) => {
              // Losing a state only costs time on the next turn; it must not fail the job.
              this.heldKey = undefined;
              this.options.logger.warn({ err: error }, "could not save the conversation's KV state");
            },
          );
        }
        this.busy = false;
      },
    };
  }

  /** The grammar for a JSON schema, built once per schema object. */
  private grammarFor(schema: GbnfJsonSchema): Promise<LlamaGrammar> {
    const llama = this.llama;
    if (!llama) throw new Error("ModelEngine used before start()");
    let grammar = this.grammars.get(schema);
    if (!grammar) {
      grammar = llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema);
      this.grammars.set(schema, grammar);
    }
    return grammar;
  }

  /**
   * The sequence, with or without the input-lookup predictor. A predictor is fixed when a sequence is
   * created, so a switch disposes the sequence (freeing its cells) and creates the other kind: the held
   * tokens are gone, and the next chat restores them from its saved state.
   */
  private async sequenceFor(inputLookup: boolean): Promise<LlamaContextSequence> {
    const current = this.sequence;
    const context = this.context;
    if (!current || !context) throw new Error("ModelEngine used before start()");
    if ((current.tokenPredictor !== undefined) === inputLookup) return current;
    await current.dispose();
    this.heldKey = undefined;
    this.sequence = context.getSequence(inputLookup ? { tokenPredictor: new InputLookupTokenPredictor({ predictionLength: { max: 1 } }) } : {});
    this.options.logger.debug({ inputLookup }, "sequence re-created for another token predictor");
    return this.sequence;
  }

  /** The predictor's counters since the sequence was created (undefined without a predictor). */
  get tokenPredictions(): { used: number; unused: number; validated: number; refuted: number } | undefined {
    const sequence = this.sequence;
    return sequence?.tokenPredictor ? { ...sequence.tokenPredictions } : undefined;
  }

  /**
   * Reads a long message in chunks, checking the signal between them. llama.cpp does not honour an abort
   * while it evaluates a prompt (measured: 3.6–4 s to stop inside a 969-token prompt on a 0.5B-shaped model,
   * minutes on a 7B), so a cancel would otherwise wait for the whole message to be read. Each chunk extends
   * the previous one, so the evaluated prefix is reused and only the chunk's own tokens (plus the few turn
   * markers after it) are read.
   */
  private async readInChunks(session: LlamaChatSession, userText: string, functions: ChatSessionModelFunctions | undefined, signal: AbortSignal | undefined): Promise<void> {
    const model = this.model;
    // A token is at least one byte, so a short message needs no chunks and no extra tokenizing.
    if (!signal || !model || Buffer.byteLength(userText) <= PROMPT_CHUNK_TOKENS) return;
    const tokens = model.tokenize(userText);
    for (let end = PROMPT_CHUNK_TOKENS; end < tokens.length; end += PROMPT_CHUNK_TOKENS) {
      if (signal.aborted) break;
      await session.preloadPrompt(model.detokenize(tokens.slice(0, end)), { functions, signal });
    }
    if (signal.aborted) throw new GenerationAbortedError(signal.reason);
  }

  /**
   * Makes the sequence hold exactly the tokens the next turn will render for `history`. The model's own
   * tokens differ from that where the answer as stored differs from the answer as generated (notes and
   * sources added, a tokenization the tokenizer would not produce); fixing it now, while the worker is
   * idle, takes those tokens off the next turn's time to first token.
   */
  private async settle(sequence: LlamaContextSequence, systemPrompt: string, functions: ChatSessionModelFunctions | undefined, history: readonly ChatTurn[]): Promise<void> {
    const model = this.model;
    if (!model || history.length === 0) return;
    const rendered = new QwenChatWrapper().generateContextState({ chatHistory: toChatHistory(systemPrompt, history), availableFunctions: functions });
    const target = rendered.contextText.tokenize(model.tokenizer);
    if (target.length > sequence.contextSize - 64) return;
    const held = sequence.contextTokens;
    let common = 0;
    while (common < held.length && common < target.length && held[common] === target[common]) common++;
    if (common < held.length) await sequence.eraseContextTokenRanges([{ start: common, end: held.length }]);
    if (common < target.length) await sequence.evaluateWithoutGeneratingNewTokens(target.slice(common));
  }

  /**
   * Puts the right evaluated tokens in the sequence for a conversation: nothing to do when it already holds
   * them; else the conversation's saved state; else, on an empty sequence (after a restart), the prefix.
   * When the sequence holds another conversation it already shares the prefix, so that is kept.
   */
  private async restoreFor(stateKey: string | undefined, sequence: LlamaContextSequence): Promise<StateSource> {
    const states = this.states;
    if (!states || !stateKey) return "memory";
    if (this.heldKey === stateKey && sequence.contextTokens.length > 0) return "memory";
    if (await states.load(stateKey, sequence)) {
      this.heldKey = stateKey;
      return "conversation-file";
    }
    if ((sequence.contextTokens.length === 0 || this.foreign) && (await states.load(PREFIX_STATE_KEY, sequence))) {
      this.foreign = false;
      this.heldKey = PREFIX_STATE_KEY;
      return "prefix-file";
    }
    return "memory";
  }

  async stop(): Promise<void> {
    await this.pendingSave;
    const llama = this.llama;
    this.sequence = undefined;
    this.context = undefined;
    this.model = undefined;
    this.llama = undefined;
    // Disposing the Llama disposes its models and contexts.
    await llama?.dispose();
  }
}

/** The text that identifies the prompt prefix: the system prompt and the tools exactly as offered. */
function prefixText(systemPrompt: string, functions: ChatSessionModelFunctions | undefined): string {
  const definitions = Object.entries(functions ?? {}).map(([name, fn]) => ({ name, description: fn.description ?? "", params: fn.params ?? null }));
  return JSON.stringify({ systemPrompt, functions: definitions });
}

function toChatHistory(systemPrompt: string, history: readonly ChatTurn[]): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = [{ type: "system", text: systemPrompt }];
  for (const turn of history) {
    items.push(turn.role === "user" ? { type: "user", text: turn.text } : { type: "model", response: [turn.text] });
  }
  return items;
}
