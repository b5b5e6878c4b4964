/**
 * Time to first token of a new conversation after a restart: with the saved prompt prefix (the real agent
 * prefix — system prompt and the three tools' definitions — restored from disk by `preparePrefix`) vs an
 * engine without states, which evaluates the prefix inside the first turn.
 */
import { join } from "node:path";
import { startEngine, timeFirstToken, type FirstTokenSample } from "./bench-engine.js";
import { agentPrefix } from "./bench-agent-prefix.js";
import { progress, RUNS, spread, type Spread } from "./bench-stats.js";

const CONTEXT = 2048;
const QUESTION = "What is a good name for a rabbit that lives under an oak tree?";

export interface PrefixSample extends FirstTokenSample {
  /** preparePrefix restoring the prefix state from disk (done at daemon start-up). */
  readonly prefixRestoreMs: number;
  /** From before preparePrefix to the first answer text: restore + first token. */
  readonly firstTokenWithRestoreMs: number;
}

export interface PrefixResult {
  readonly settings: { readonly threads: number; readonly contextSize: number; readonly tools: string[]; readonly question: string };
  /** The prefix as preparePrefix evaluated it (system prompt + tool definitions, up to the first user message). */
  readonly prefix: { readonly tokens: number; readonly evaluateMs: number; readonly stateFileBytes: number; readonly systemPromptChars: number };
  readonly saved: { readonly firstTokenWithRestoreMs: Spread; readonly firstTokenMs: Spread; readonly prefixRestoreMs: Spread; readonly samples: PrefixSample[] };
  readonly cold: { readonly firstTokenMs: Spread; readonly samples: FirstTokenSample[] };
  /** Median cold / median saved, the saved figure including the restore. */
  readonly speedup: number;
  /** Median cold / median saved, the restore left out (it happens at start-up, before any job). */
  readonly speedupAfterStartup: number;
}

export async function benchPrefix(modelPath: string, threads: number, tmpDir: string): Promise<PrefixResult> {
  const { systemPrompt, functions } = agentPrefix();
  const statesDir = join(tmpDir, "prefix-states");
  progress("prefix: evaluating and saving the agent prefix (system prompt + 3 tools)…");
  const first = await startEngine({ modelPath, threads, contextSize: CONTEXT, statesDir });
  let prefix: PrefixResult["prefix"];
  try {
    const info = await first.preparePrefix({ systemPrompt, functions });
    if (!info || info.restored) throw new Error("expected a freshly evaluated prefix");
    const file = first.stateStore!.list().find((f) => f.key === "prefix");
    prefix = { tokens: info.tokens, evaluateMs: info.ms, stateFileBytes: file?.bytes ?? 0, systemPromptChars: systemPrompt.length };
  } finally {
    await first.stop();
  }
  progress(`prefix: ${prefix.tokens} tokens, evaluated in ${(prefix.evaluateMs / 1000).toFixed(1)} s`);

  const saved: PrefixSample[] = [];
  const cold: FirstTokenSample[] = [];
  for (let run = 0; run < RUNS; run++) {
    const engine = await startEngine({ modelPath, threads, contextSize: CONTEXT, statesDir });
    try {
      const started = performance.now();
      const info = await engine.preparePrefix({ systemPrompt, functions });
      if (!info?.restored) throw new Error("the prefix state was not restored");
      // A new conversation: its own key, nothing saved for it yet, so it starts from the prefix in memory.
      const { sample, sinceMs } = await timeFirstToken(engine, { systemPrompt, history: [], functions, stateKey: `terminal:bench-new-${run}:-` }, QUESTION, started);
      saved.push({ ...sample, prefixRestoreMs: info.ms, firstTokenWithRestoreMs: sinceMs });
    } finally {
      await engine.stop();
    }
    const coldEngine = await startEngine({ modelPath, threads, contextSize: CONTEXT });
    try {
      cold.push((await timeFirstToken(coldEngine, { systemPrompt, history: [], functions }, QUESTION)).sample);
    } finally {
      await coldEngine.stop();
    }
    progress(`prefix run ${run + 1}/${RUNS}: saved ${saved.at(-1)!.firstTokenWithRestoreMs.toFixed(0)} ms (restore ${saved.at(-1)!.prefixRestoreMs.toFixed(0)} ms), cold ${cold.at(-1)!.firstTokenMs.toFixed(0)} ms`);
  }
  const savedWith = spread(saved.map((s) => s.firstTokenWithRestoreMs));
  const savedAfter = spread(saved.map((s) => s.firstTokenMs));
  const coldSpread = spread(cold.map((s) => s.firstTokenMs));
  return {
    settings: { threads, contextSize: CONTEXT, tools: Object.keys(functions), question: QUESTION },
    prefix,
    saved: { firstTokenWithRestoreMs: savedWith, firstTokenMs: savedAfter, prefixRestoreMs: spread(saved.map((s) => s.prefixRestoreMs)), samples: saved },
    cold: { firstTokenMs: coldSpread, samples: cold },
    speedup: coldSpread.median / savedWith.median,
    speedupAfterStartup: coldSpread.median / savedAfter.median,
  };
}
