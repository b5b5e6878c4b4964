import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { runDoctor } from "../../src/doctor.js";
import { cliEnv, runCli } from "../support/cli.js";
import { QWEN05B_SHAPE, SCRIPTED_SHAPE, SENTENCE_DEFAULT, writeLoraAdapter, writeScriptedChatModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `burrow adapters …` as built: adapters generated for the scripted chat model (which the one-shot `ask` host
 * runs) and one for a 0.5B-shaped model (hidden size 896), which must be refused with the exact reason.
 */
const tmp = makeTempDir("burrow-adapters-");
const modelPath = join(tmp.path, "chat.gguf");
const goodA = join(tmp.path, "tiny a.gguf");
const goodB = join(tmp.path, "tiny-b.gguf");
const other = join(tmp.path, "for-0.5b.gguf");

beforeAll(async () => {
  await writeScriptedChatModel(modelPath);
  await writeLoraAdapter(goodA, { shape: SCRIPTED_SHAPE, rank: 4, seed: 1 });
  await writeLoraAdapter(goodB, { shape: SCRIPTED_SHAPE, rank: 8, alpha: 16, seed: 2, targets: ["attn_q", "attn_k"] });
  await writeLoraAdapter(other, { shape: QWEN05B_SHAPE, rank: 4, targets: ["attn_q"] });
});
afterAll(() => tmp.remove());

let dirCount = 0;
const settings = () => cliEnv({ BURROW_DATA_DIR: join(tmp.path, `data-${++dirCount}`), BURROW_MODEL: modelPath, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: "2048" });
const adaptersDir = (env: Record<string, string>) => join(env.BURROW_DATA_DIR!, "adapters");
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

interface Registry {
  adapters: Array<{ name: string; file: string; sha256: string; rank: number; alpha: number | null; baseModel: { name: string | null; path: string; shape: string } }>;
}
const registry = (env: Record<string, string>) => JSON.parse(readFileSync(join(adaptersDir(env), "registry.json"), "utf8")) as Registry;
const active = (env: Record<string, string>) => (JSON.parse(readFileSync(join(adaptersDir(env), "active.json"), "utf8")) as { active: unknown }).active;
/** The doctor's adapter check, run in-process on the same settings (the CLI's `doctor` is this plus tool checks). */
const doctorAdapter = async (env: Record<string, string>) => (await runDoctor(loadConfig(env))).find((check) => check.name === "LoRA adapter");

async function run(env: Record<string, string>, ...args: string[]) {
  const result = await runCli(["adapters", ...args], env);
  return { code: result.exitCode, out: result.stdout, err: result.stderr };
}

describe("burrow adapters", () => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = settings();
  });

  it("adds adapters that fit the active model: validated, copied, hash recorded", async () => {
    const added = await run(env, "add", goodA);
    expect(added.code).toBe(0);
    expect(added.out).toBe(`Added tiny-a: LoRA rank 4, alpha 4, 8 tensors adapted, 17.7 kB (sha256 ${sha256(goodA)}).`);
    expect(added.err).toBe("It fits the active model burrow-test-scripted-chat. To use it: burrow adapters use tiny-a");
    expect(readFileSync(join(adaptersDir(env), "tiny-a.gguf")).equals(readFileSync(goodA))).toBe(true);
    // None of these write the same record, so they run side by side.
    const [again, taken, second] = await Promise.all([run(env, "add", goodA), run(env, "add", goodB, "--name", "tiny-a"), run(env, "add", goodB, "--name", "b")]);
    expect(again).toMatchObject({ code: 0, out: `This adapter is already added as tiny-a (sha256 ${sha256(goodA)}).` });
    expect(taken).toMatchObject({ code: 1, err: expect.stringContaining("burrow: an adapter named tiny-a already exists") as string });
    expect(second.code).toBe(0);

    expect(registry(env).adapters.map((a) => [a.name, a.file, a.rank, a.alpha, a.sha256, a.baseModel.name, a.baseModel.path])).toEqual([
      ["tiny-a", "tiny-a.gguf", 4, 4, sha256(goodA), "burrow-test-scripted-chat", modelPath],
      ["b", "b.gguf", 8, 16, sha256(goodB), "burrow-test-scripted-chat", modelPath],
    ]);
    expect(registry(env).adapters[0]!.baseModel.shape).toMatch(/^[0-9a-f]{16}$/);
    const table = await run(env, "list");
    expect(table.out).toMatch(/^NAME\s+SIZE\s+RANK\s+STATE\ntiny-a\s+17\.7 kB\s+4\s+fits the active model\nb\s+.*fits the active model\nActive adapter: none\.$/);
  });

  it("refuses an adapter for other dimensions with the exact reason, exit code 1, nothing copied", async () => {
    const fresh = settings();
    const [refused, notAdapter] = await Promise.all([run(fresh, "add", other), run(fresh, "add", modelPath)]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe("");
    expect(refused.err).toBe(
      `burrow: blk.0.attn_q.weight.lora_a takes 896 inputs but the base model's blk.0.attn_q.weight takes 64 (lora_a 896×4, lora_b 4×896, base tensor 64×64, in ggml order): this adapter was trained for another model.\n` +
        "Use an adapter trained for the active base model (`burrow models list` shows which one that is), or switch the model first.",
    );
    expect(existsSync(adaptersDir(fresh)) ? readdirSync(adaptersDir(fresh)) : []).toEqual([]);
    expect(notAdapter).toMatchObject({ code: 1, err: expect.stringContaining(`burrow: ${modelPath} is not a LoRA adapter: it has no general.type`) as string });
  });

  it("use / off / rollback walk through the choices; bad names and scales are usage errors", async () => {
    expect(await run(env, "use", "tiny-a")).toMatchObject({ code: 0, out: "Active adapter: tiny-a (scale 1).", err: "A running Burrow keeps its adapter until restarted (`burrow start`)." });
    expect(await run(env, "use", "b", "--scale", "0.5")).toMatchObject({ code: 0, out: "Active adapter: b (scale 0.5)." });
    expect(active(env)).toEqual({ name: "b", scale: 0.5 });
    expect(await run(env, "off")).toMatchObject({ code: 0, out: "No adapter is active now (was b (scale 0.5))." });
    expect(active(env)).toBeNull();
    expect(await run(env, "rollback")).toMatchObject({ code: 0, out: "Active adapter: b (scale 0.5) (was none)." });
    expect(await run(env, "rollback")).toMatchObject({ code: 0, out: "Active adapter: tiny-a (scale 1) (was b (scale 0.5))." });
    expect(await run(env, "rollback")).toMatchObject({ code: 0, out: "No adapter is active now (was tiny-a (scale 1))." });
    expect(await run(env, "rollback")).toMatchObject({ code: 1, err: "burrow: there is no earlier adapter choice to go back to." });
    expect(active(env)).toBeNull();

    // Only the first of these writes anything.
    const [use, unknown, badScale] = await Promise.all([run(env, "use", "tiny-a", "--scale", "0.75"), run(env, "use", "nope"), run(env, "use", "b", "--scale", "lots")]);
    expect(use).toMatchObject({ code: 0, out: "Active adapter: tiny-a (scale 0.75)." });
    expect(unknown).toMatchObject({ code: 2, err: 'burrow: unknown adapter "nope". Added adapters: tiny-a, b.' });
    expect(badScale).toMatchObject({ code: 2, err: 'burrow: --scale must be a number from -10 to 10 (1 applies the adapter as trained), not "lots".' });
    expect(active(env)).toEqual({ name: "tiny-a", scale: 0.75 });
  });

  it("ask runs with the active adapter loaded, and doctor shows it", async () => {
    const ask = await runCli(["ask", "hi"], env);
    expect(ask.stderr).not.toContain("not used");
    expect(ask.exitCode).toBe(0);
    expect(ask.stdout.length).toBeGreaterThan(0);
    expect(readFileSync(join(env.BURROW_DATA_DIR!, "logs", "burrow.log"), "utf8")).toMatch(/"adapter":\{"name":"tiny-a","scale":0\.75,"contextMs":\d+\}.*"msg":"model loaded"/);
    expect(await doctorAdapter(env)).toEqual({
      name: "LoRA adapter",
      status: "ok",
      detail: "tiny-a (scale 0.75; LoRA rank 4, alpha 4, 17.7 kB), fits burrow-test-scripted-chat",
    });
  });

  it("an active adapter that became invalid is reported and skipped: ask still answers, doctor warns", async () => {
    // Replaced behind Burrow's back by an adapter for another model (the checks run before llama.cpp sees it).
    copyFileSync(other, join(adaptersDir(env), "tiny-a.gguf"));
    const ask = await runCli(["ask", "hi"], env);
    expect(ask.stdout).toBe(SENTENCE_DEFAULT);
    expect(ask.exitCode).toBe(0);
    expect(ask.stderr).toContain(
      'burrow: the active LoRA adapter "tiny-a" is not used: blk.0.attn_q.weight.lora_a takes 896 inputs but the base model\'s blk.0.attn_q.weight takes 64',
    );
    expect(ask.stderr).toContain("Burrow runs without it. `burrow adapters list` shows the adapters; `burrow adapters off` or `burrow adapters rollback` changes the choice.");
    expect(await doctorAdapter(env)).toMatchObject({ status: "warn", detail: expect.stringMatching(/^tiny-a \(scale 0\.75\) is active but Burrow starts without it: .*takes 896 inputs/) as string });
    const [list, use] = await Promise.all([run(env, "list"), run(env, "use", "tiny-a")]);
    expect(list.out).toMatch(/^tiny-a\s+17\.7 kB\s+4\s+active, scale 0\.75; does not fit: .*takes 896 inputs/m);
    expect(use).toMatchObject({ code: 1, err: expect.stringContaining("burrow: tiny-a cannot be used with the active model: ") as string });
  });
});
