/** Engines and first-token timing shared by the follow-up and prefix benchmarks. */
import type { ChatSessionModelFunctions } from "node-llama-cpp";
import { ModelEngine, type ChatTurn, type StateSource } from "../../models/engine.js";
import { silentLogger } from "../../src/log.js";

/** Tokens generated after the first one: enough to be sure text came out, cheap after it did. */
const TTFT_MAX_TOKENS = 8;

export async function startEngine(options: { modelPath: string; threads: number; contextSize: number; statesDir?: string }): Promise<ModelEngine> {
  const engine = new ModelEngine({
    modelPath: options.modelPath,
    threads: options.threads,
    contextSize: options.contextSize,
    logger: silentLogger(),
    states: options.statesDir ? { dir: options.statesDir, budgetBytes: 10e9 } : undefined,
  });
  await engine.start();
  return engine;
}

export interface FirstTokenSample {
  /** From before openChat (which loads a saved conversation state) to the first answer text. */
  readonly firstTokenMs: number;
  /** Of which openChat (restoring the conversation's state, if any). */
  readonly openChatMs: number;
  /** Tokens llama.cpp evaluated for the prompt (the token meter). */
  readonly promptTokensEvaluated: number;
  /** Tokens the sequence held when the answer started (prefix + history + new message). */
  readonly contextTokens: number;
  readonly stateSource: StateSource;
}

/**
 * One turn as the agent runs it (temperature 0, a few tokens), timed to its first answer text. The chat
 * is disposed without `next`, so when states are on the state is saved as the sequence is (the callers
 * give each run a fresh copy of the states directory, or a fresh key).
 */
export async function timeFirstToken(
  engine: ModelEngine,
  chatOptions: { systemPrompt: string; history: readonly ChatTurn[]; functions?: ChatSessionModelFunctions; stateKey?: string },
  userText: string,
  /** Where the clock started, when earlier work (restoring the prefix) counts too; default: now. */
  since?: number,
): Promise<{ readonly sample: FirstTokenSample; readonly sinceMs: number }> {
  const started = performance.now();
  const chat = await engine.openChat(chatOptions);
  const opened = performance.now();
  let first: number | undefined;
  let contextTokens = 0;
  try {
    const result = await chat.prompt(userText, {
      maxTokens: TTFT_MAX_TOKENS,
      temperature: 0,
      onText: () => {
        if (first !== undefined) return;
        first = performance.now();
        contextTokens = engine.heldTokens;
      },
    });
    if (first === undefined) throw new Error(`no answer text within ${TTFT_MAX_TOKENS} tokens (stop reason ${result.stopReason})`);
    return {
      sample: { firstTokenMs: first - started, openChatMs: opened - started, promptTokensEvaluated: result.promptTokens, contextTokens, stateSource: chat.stateSource },
      sinceMs: first - (since ?? started),
    };
  } finally {
    chat.dispose();
  }
}
