/**
 * Time to first token of a follow-up in a thread with ~2,000 tokens of history: the conversation's KV
 * state restored from disk after an engine restart (as the daemon does after a restart) vs an engine
 * without states that evaluates the whole conversation cold. Both are timed from before `openChat`, so
 * the restored figure includes loading the state file.
 */
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ChatTurn, ModelEngine } from "../../models/engine.js";
import { systemPromptFor } from "../../agent/prompts.js";
import { startEngine, timeFirstToken, type FirstTokenSample } from "./bench-engine.js";
import { positiveInt, progress, RUNS, spread, type Spread } from "./bench-stats.js";

export const HISTORY_TOKENS = positiveInt(process.env.BENCH_HISTORY_TOKENS, 2000);
const CONTEXT = 4096;
const EXCHANGES = 4;
const STATE_KEY = "terminal:bench-thread:-";
const FOLLOW_UP = "And what did the rabbits do when the spring floods came?";

export interface FollowUpResult {
  readonly settings: {
    readonly threads: number;
    readonly contextSize: number;
    /** Tools off: the system prompt alone, so the cold figure is mostly the history itself. */
    readonly systemPrompt: "systemPromptFor(no tools)";
    readonly historyTurns: number;
    /** Sum of engine.tokenCount(turn.text) over the history (without chat markup). */
    readonly historyTextTokens: number;
    readonly followUp: string;
  };
  /** Evaluating the conversation once and saving its state (the turn before the follow-up). */
  readonly setup: { readonly ms: number; readonly stateFileBytes: number; readonly prefixTokens: number };
  readonly restored: { readonly firstTokenMs: Spread; readonly samples: (FirstTokenSample & { readonly prefixRestoreMs: number })[] };
  readonly cold: { readonly firstTokenMs: Spread; readonly samples: FirstTokenSample[] };
  /** Median cold / median restored. */
  readonly speedup: number;
}

export async function benchFollowUp(modelPath: string, threads: number, tmpDir: string): Promise<FollowUpResult> {
  const systemPrompt = systemPromptFor({ unavailable: new Map() });
  const pristine = join(tmpDir, "follow-up-states");
  progress(`follow-up: building ~${HISTORY_TOKENS} tokens of history and saving the thread's state…`);
  const setupStarted = performance.now();
  const first = await startEngine({ modelPath, threads, contextSize: CONTEXT, statesDir: pristine });
  let history: ChatTurn[];
  let historyTextTokens: number;
  let prefixTokens: number;
  try {
    history = buildHistory(first, HISTORY_TOKENS);
    historyTextTokens = history.reduce((sum, turn) => sum + first.tokenCount(turn.text), 0);
    prefixTokens = (await first.preparePrefix({ systemPrompt }))?.tokens ?? 0;
    // The turn before the follow-up, as the agent runs it: on close the state is settled to the history
    // as stored (the last answer included) and saved under the thread's key.
    const chat = await first.openChat({ systemPrompt, history: history.slice(0, -2), stateKey: STATE_KEY });
    try {
      await chat.prompt(history.at(-2)!.text, { maxTokens: 1, temperature: 0 });
    } finally {
      chat.dispose({ history });
    }
  } finally {
    await first.stop(); // waits for the background save
  }
  const stored = first.stateStore?.list().find((file) => file.path === first.stateStore!.pathOf(STATE_KEY));
  if (!stored) throw new Error("the thread's state was not saved");
  const stateFileBytes = stored.bytes;
  const setupMs = performance.now() - setupStarted;
  progress(`follow-up: ${historyTextTokens} history tokens, state file ${(stateFileBytes / 1e6).toFixed(1)} MB, set up in ${(setupMs / 1000).toFixed(1)} s`);

  const restored: (FirstTokenSample & { prefixRestoreMs: number })[] = [];
  const cold: FirstTokenSample[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Restored: a restarted engine on a fresh copy of the saved states (so every run loads the same file).
    const dir = join(tmpDir, `follow-up-states-run${run}`);
    cpSync(pristine, dir, { recursive: true });
    const engine = await startEngine({ modelPath, threads, contextSize: CONTEXT, statesDir: dir });
    try {
      const prefix = await engine.preparePrefix({ systemPrompt }); // the daemon's start-up, not part of the turn
      if (!prefix?.restored) throw new Error("the prefix state was not restored");
      const { sample } = await timeFirstToken(engine, { systemPrompt, history, stateKey: STATE_KEY }, FOLLOW_UP);
      if (sample.stateSource !== "conversation-file") throw new Error(`the thread's state was not restored (source: ${sample.stateSource})`);
      restored.push({ ...sample, prefixRestoreMs: prefix.ms });
    } finally {
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    progress(`follow-up run ${run + 1}/${RUNS}: restored ${restored.at(-1)!.firstTokenMs.toFixed(0)} ms; cold…`);
    // Cold: an engine without states reads the system prompt, the whole history and the follow-up.
    const coldEngine = await startEngine({ modelPath, threads, contextSize: CONTEXT });
    try {
      cold.push((await timeFirstToken(coldEngine, { systemPrompt, history }, FOLLOW_UP)).sample);
    } finally {
      await coldEngine.stop();
    }
    progress(`follow-up run ${run + 1}/${RUNS}: cold ${cold.at(-1)!.firstTokenMs.toFixed(0)} ms (${cold.at(-1)!.promptTokensEvaluated} tokens evaluated)`);
  }
  const restoredSpread = spread(restored.map((s) => s.firstTokenMs));
  const coldSpread = spread(cold.map((s) => s.firstTokenMs));
  return {
    settings: { threads, contextSize: CONTEXT, systemPrompt: "systemPromptFor(no tools)", historyTurns: history.length, historyTextTokens, followUp: FOLLOW_UP },
    setup: { ms: setupMs, stateFileBytes, prefixTokens },
    restored: { firstTokenMs: restoredSpread, samples: restored },
    cold: { firstTokenMs: coldSpread, samples: cold },
    speedup: coldSpread.median / restoredSpread.median,
  };
}

const SUBJECTS = ["The old rabbit", "A young badger", "The fox from the hill", "Grandmother mole", "The twins", "A tired hedgehog", "The owl above the burrow"];
const VERBS = ["dug a new tunnel toward", "carried dry leaves to", "told a long story about", "counted the acorns near", "listened for rain over", "swept the sand out of", "argued quietly about"];
const PLACES = ["the roots of the oak", "the winter pantry", "the stream at the edge of the meadow", "the east entrance", "the sleeping chamber", "the mossy bank", "the old stone wall"];
const ENDINGS = ["before the first frost.", "while the others slept.", "because the nights were getting colder.", "and nobody noticed until morning.", "as the wind picked up.", "with great care.", "and then rested for a while."];

/** Deterministic prose: user and assistant turns of about `total / turns` tokens each. */
function buildHistory(engine: ModelEngine, total: number): ChatTurn[] {
  const turns: ChatTurn[] = [];
  let sum = 0;
  let n = 0;
  const sentence = () => {
    n++;
    const pick = (list: string[], k: number) => list[(n * k + Math.floor(n / list.length)) % list.length]!;
    return `${pick(SUBJECTS, 3)} ${pick(VERBS, 5)} ${pick(PLACES, 2)} ${pick(ENDINGS, 4)}`;
  };
  for (let i = 0; i < EXCHANGES * 2; i++) {
    // Each turn aims at an equal share of what is left, so the total lands close to `total`.
    const target = Math.round((total - sum) / (EXCHANGES * 2 - i));
    let text = i % 2 === 0 ? "Tell me more about the burrow." : "Here is what happened next.";
    while (engine.tokenCount(text) < target) text += ` ${sentence()}`;
    sum += engine.tokenCount(text);
    turns.push({ role: i % 2 === 0 ? "user" : "assistant", text });
  }
  return turns;
}
