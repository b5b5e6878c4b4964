import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelEngine, type ChatTurn } from "../../models/engine.js";
import { PREFIX_STATE_KEY } from "../../models/kv-state-store.js";
import { silentLogger } from "../../src/log.js";
import { SENTENCE_DEFAULT, SENTENCE_REMEMBERED, writeScriptedChatModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * Saved KV states on real llama.cpp: the prompt prefix and each conversation's state survive an engine
 * restart, so a follow-up evaluates only its new tokens; a state made for another model or prompt is
 * never loaded. Evaluated tokens are counted with node-llama-cpp's token meter.
 */
const tmp = makeTempDir("burrow-kv-");
const modelA = join(tmp.path, "a.gguf");
const modelB = join(tmp.path, "b.gguf");
const SYSTEM = "You are a test assistant. ".repeat(8);
const engines: ModelEngine[] = [];

beforeAll(async () => {
  await writeScriptedChatModel(modelA);
  await writeScriptedChatModel(modelB);
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});
afterAll(() => tmp.remove());

let dirs = 0;
const newStatesDir = () => join(tmp.path, `states-${++dirs}`);

async function engineOn(modelPath: string, statesDir: string | undefined, budgetBytes = 1e9): Promise<ModelEngine> {
  const engine = new ModelEngine({ modelPath, threads: 1, contextSize: 2048, logger: silentLogger(), states: statesDir ? { dir: statesDir, budgetBytes } : undefined });
  engines.push(engine);
  await engine.start();
  return engine;
}

/** One turn as the agent runs it: on close, the state is settled to the history the next turn renders. */
async function turn(engine: ModelEngine, history: ChatTurn[], text: string, stateKey = "terminal:chat:-", systemPrompt = SYSTEM) {
  const chat = await engine.openChat({ systemPrompt, history, stateKey });
  let answer: string | undefined;
  try {
    const result = await chat.prompt(text, { maxTokens: 64, temperature: 0.7 });
    answer = result.text;
    return { ...result, source: chat.stateSource };
  } finally {
    chat.dispose(answer === undefined ? undefined : { history: [...history, { role: "user", text }, { role: "assistant", text: answer }] });
  }
}

const LONG = "this earlier message is long on purpose so that the history is many tokens ".repeat(6);

describe("saved KV states", () => {
  it("restores a conversation after a restart: the follow-up evaluates only its new tokens", async () => {
    const states = newStatesDir();
    const first = await engineOn(modelA, states);
    expect(await first.preparePrefix({ systemPrompt: SYSTEM })).toMatchObject({ restored: false });
    const one = await turn(first, [], `${LONG} pineapple`);
    expect(one.text).toBe(SENTENCE_REMEMBERED);
    await first.stop();
    engines.length = 0;

    const history: ChatTurn[] = [{ role: "user", text: `${LONG} pineapple` }, { role: "assistant", text: one.text }];
    const second = await engineOn(modelA, states);
    expect(await second.preparePrefix({ systemPrompt: SYSTEM })).toMatchObject({ restored: true });
    const restored = await turn(second, history, "and now?");
    expect(restored.source).toBe("conversation-file");
    expect(restored.text).toBe(SENTENCE_REMEMBERED);

    // The same follow-up on an engine without states reads everything…
    const cold = await turn(await engineOn(modelA, undefined), history, "and now?");
    expect(cold.text).toBe(SENTENCE_REMEMBERED);
    expect(cold.promptTokens).toBeGreaterThan(100);
    // …while after the restore it reads exactly what an engine that never stopped reads: the new turn.
    const warm = await engineOn(modelA, newStatesDir());
    await warm.preparePrefix({ systemPrompt: SYSTEM });
    await turn(warm, [], `${LONG} pineapple`);
    const inMemory = await turn(warm, history, "and now?");
    expect(inMemory.source).toBe("memory");
    expect(restored.promptTokens).toBe(inMemory.promptTokens);
    expect(restored.promptTokens).toBeGreaterThan(0);
    expect(restored.promptTokens).toBeLessThan(25);
  });

  it("starts a new conversation after a restart from the saved prefix, not from scratch", async () => {
    const states = newStatesDir();
    const first = await engineOn(modelA, states);
    const prepared = await first.preparePrefix({ systemPrompt: SYSTEM });
    await first.stop();
    engines.length = 0;
    const second = await engineOn(modelA, states);
    await second.preparePrefix({ systemPrompt: SYSTEM });
    const fresh = await turn(second, [], "hello", "terminal:other:-");
    expect(fresh.source).toBe("memory");
    expect(fresh.text).toBe(SENTENCE_DEFAULT);
    const cold = await turn(await engineOn(modelA, undefined), [], "hello", "terminal:other:-");
    expect(cold.promptTokens - fresh.promptTokens).toBeGreaterThanOrEqual((prepared?.tokens ?? 0) - 5);
  });

  it("never loads a state saved for another model or another prompt prefix, and deletes it", async () => {
    const states = newStatesDir();
    const a = await engineOn(modelA, states);
    const fingerprintA = (await a.preparePrefix({ systemPrompt: SYSTEM }))!.fingerprint;
    await turn(a, [], `${LONG} pineapple`);
    await a.stop();
    engines.length = 0;
    expect(readdirSync(states)).toEqual([fingerprintA]);

    const history: ChatTurn[] = [{ role: "user", text: `${LONG} pineapple` }, { role: "assistant", text: SENTENCE_REMEMBERED }];
    // Another model file (same shape, so llama.cpp would load the state without complaint).
    const b = await engineOn(modelB, states);
    const fingerprintB = (await b.preparePrefix({ systemPrompt: SYSTEM }))!;
    expect(fingerprintB.fingerprint).not.toBe(fingerprintA);
    expect(fingerprintB.restored).toBe(false);
    expect(readdirSync(states)).toEqual([fingerprintB.fingerprint]);
    const onB = await turn(b, history, "and now?");
    expect(onB.source).toBe("memory");
    expect(onB.promptTokens).toBeGreaterThan(100);
    await b.stop();
    engines.length = 0;

    // Same model, another system prompt: another fingerprint too.
    const c = await engineOn(modelB, states);
    const other = (await c.preparePrefix({ systemPrompt: `${SYSTEM} Be brief.` }))!;
    expect(other.fingerprint).not.toBe(fingerprintB.fingerprint);
    expect(other.restored).toBe(false);
  });

  it("keeps the states directory under its budget, least recently used first, the prefix last", async () => {
    const states = newStatesDir();
    const probe = await engineOn(modelA, states);
    await probe.preparePrefix({ systemPrompt: SYSTEM });
    await turn(probe, [], `${LONG} one`, "k1");
    const store = probe.stateStore!;
    await probe.stop();
    engines.length = 0;
    const sizes = store.list();
    const prefixBytes = sizes.find((f) => f.key === PREFIX_STATE_KEY)!.bytes;
    const conversationBytes = Math.max(...sizes.filter((f) => f.key !== PREFIX_STATE_KEY).map((f) => f.bytes));
    // Room for the prefix and two conversations, not three.
    const budget = prefixBytes + conversationBytes * 2 + Math.floor(conversationBytes / 2);

    const engine = await engineOn(modelA, newStatesDir(), budget);
    await engine.preparePrefix({ systemPrompt: SYSTEM });
    for (const key of ["k1", "k2", "k3"]) await turn(engine, [], `${LONG} ${key}`, key);
    await turn(engine, [], "settle", "k3"); // waits for the last background save
    const kept = engine.stateStore!;
    expect(kept.totalBytes()).toBeLessThanOrEqual(budget);
    expect(kept.has(PREFIX_STATE_KEY)).toBe(true);
    expect(kept.has("k1")).toBe(false);
    expect(kept.has("k2")).toBe(true);
    expect(kept.has("k3")).toBe(true);
  });

  it("forgets a conversation's state on /new", async () => {
    const engine = await engineOn(modelA, newStatesDir());
    await engine.preparePrefix({ systemPrompt: SYSTEM });
    await turn(engine, [], "hello", "telegram:42:-");
    const path = engine.stateStore!.pathOf("telegram:42:-");
    expect(await engine.forgetConversation("telegram:42:-")).toBe(true);
    expect(existsSync(path)).toBe(false);
  });
});
