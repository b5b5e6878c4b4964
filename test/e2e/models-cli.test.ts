import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli, spawnCli, waitForOutput, watchOutput } from "../support/cli.js";
import { buildDownloadableModel, finishedChunks, startFakeModelHost, writeTestCatalog, type FakeModelHost } from "../support/fake-model-host/index.js";
import { SENTENCE_DEFAULT, writeScriptedChatModel } from "../support/models/index.js";
import { isRunning } from "../support/processes.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `burrow models …` as built, against a local model host on loopback (HEAD, Range, 206) that the CLI reaches
 * through BURROW_MODEL_HOST; the test models come from a BURROW_CATALOG_FILE. "padded" is a valid ~12 MB GGUF
 * (three of the downloader's 5 MB chunks), "tiny-chat" the scripted chat model the daemon can run, and
 * "broken" a truncated file the host serves with a consistent Content-Length.
 */

const tmp = makeTempDir("burrow-models-");
const FAULT_AT = 7_500_000;
let host: FakeModelHost;
let padded: Buffer;
let chat: Buffer;
let catalogFile: string;

beforeAll(async () => {
  padded = await buildDownloadableModel(join(tmp.path, "scratch.gguf"), 12_000_000);
  await writeScriptedChatModel(join(tmp.path, "chat.gguf"));
  chat = readFileSync(join(tmp.path, "chat.gguf"));
  host = await startFakeModelHost();
  host.serve("test/padded-GGUF", "padded.gguf", padded);
  host.serve("test/chat-GGUF", "chat.gguf", chat);
  host.serve("test/broken-GGUF", "broken.gguf", padded.subarray(0, padded.length - 3_000_000));
  catalogFile = writeTestCatalog(join(tmp.path, "catalog.json"), [
    { name: "tiny-chat", file: "tiny-chat.gguf", repo: "test/chat-GGUF", path: "chat.gguf", bytes: chat.length, sha256: createHash("sha256").update(chat).digest("hex"), architecture: "qwen2", notes: "scripted test model" },
    { name: "padded", file: "padded.gguf", repo: "test/padded-GGUF", path: "padded.gguf", architecture: "qwen2" },
    { name: "broken", file: "broken.gguf", repo: "test/broken-GGUF", path: "broken.gguf" },
  ]);
});
afterAll(async () => {
  await host?.close();
  tmp.remove();
});

let dirCount = 0;
function settings(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    BURROW_DATA_DIR: join(tmp.path, `data-${++dirCount}`),
    BURROW_MODEL_HOST: host.origin,
    BURROW_CATALOG_FILE: catalogFile,
    BURROW_THREADS: "1",
    BURROW_CONTEXT_SIZE: "2048",
    ...extra,
  });
}

const modelsDir = (env: Record<string, string>) => join(env.BURROW_DATA_DIR!, "models");

interface ListJson {
  models: Array<{ name: string; installed: boolean; pulled: boolean; active: boolean; sizeBytes: number; ramBytes?: number; partialBytes: number }>;
  active: { name?: string; source: string; path: string; installed: boolean };
  disk: { totalBytes: number; modelsBytes: number; budgetBytes: number };
}
async function listJson(env: Record<string, string>): Promise<ListJson> {
  const result = await runCli(["models", "list", "--json"], env);
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as ListJson;
}

describe("burrow models pull", () => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = settings();
  });

  it("downloads with a progress bar on stderr, verifies, installs; the host is contacted only for that", async () => {
    host.clearRequests();
    const result = await runCli(["models", "pull", "padded"], env);
    expect(result.stderr).toContain(`Pulling padded (padded) from ${host.origin}\nDownloading 11.9 MB\n`);
    expect(result.stderr).toMatch(/^padded \[#{20}\] 100% {2}11\.9 MB of 11\.9 MB {2}[\d.]+ [kMG]B\/s$/m);
    expect(result.stderr).toContain("Verifying the file (size, GGUF, SHA-256)…");
    expect(result.stderr).toMatch(/Downloaded [\d.]+ MB in \d+ s, [\d.]+ [kMG]B\/s; verified in \d+ s \(sha256 [0-9a-f]{64}\)\.\nTo run it: burrow models use padded$/);
    const path = join(modelsDir(env), "padded.gguf");
    expect(result.stdout).toBe(`Installed padded: ${path} (11.9 MB).`);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path).equals(padded)).toBe(true);
    expect(readdirSync(modelsDir(env)).sort()).toEqual(["padded.gguf", "registry.json"]);
    const audit = readFileSync(join(env.BURROW_DATA_DIR!, "logs", "egress.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const httpRecords = audit.filter((r) => (r.layer ?? "http") === "http");
    expect(httpRecords.map((r) => [r.purpose, r.method, r.host, r.outcome])).toEqual([
      ["model-download", "HEAD", new URL(host.origin).host, "allowed"],
      ["model-download", "GET", new URL(host.origin).host, "allowed"],
    ]);
    // The socket gate saw the downloader's own connections: all to the model host, for the download, and nothing else.
    // (The downloader opens parallel connections and may drop a spare one before it opens: that is recorded as
    // failed with its reason and carried nothing.)
    const socketRecords = audit.filter((r) => r.layer === "socket");
    expect(new Set(socketRecords.map((r) => `${String(r.purpose)} ${String(r.host)}:${String(r.port)}`))).toEqual(
      new Set([`model-download 127.0.0.1:${new URL(host.origin).port}`]),
    );
    expect(socketRecords.filter((r) => r.outcome === "allowed").length).toBeGreaterThan(0);
    for (const dropped of socketRecords.filter((r) => r.outcome !== "allowed")) {
      expect(dropped).toMatchObject({ outcome: "failed", bytesOut: 0, bytesIn: 0, reason: expect.any(String) });
    }
    expect(audit.length).toBe(httpRecords.length + socketRecords.length);

    host.clearRequests();
    const again = await runCli(["models", "pull", "padded"], env);
    expect(again.stdout).toMatch(/^padded is already installed: .*padded\.gguf \(11\.9 MB, verified .*\)\. Use --force to download it again\.$/);
    expect(again.exitCode).toBe(0);
    expect(host.requests).toEqual([]);
  });

  it("stops on Ctrl-C keeping what arrived, and the next pull resumes with Range requests after 0", async () => {
    const fresh = settings();
    host.clearRequests();
    host.stallOnceAt(FAULT_AT);
    const pulling = spawnCli(["models", "pull", "padded"], fresh);
    const stderr = watchOutput(pulling.stderr!);
    await stderr.waitFor(/Downloading 11\.9 MB/);
    // Ctrl-C while one part of the transfer hangs and the two other chunks are done and recorded.
    const partial = join(modelsDir(fresh), ".partial", "padded.gguf.ipull");
    while (finishedChunks(partial, padded.length) < 2 || !host.requests.some((r) => r.outcome === "stalled")) await sleep(20);
    pulling.kill("SIGINT");
    const stopped = await pulling;
    expect(stopped.exitCode).toBe(130);
    expect(stopped.stderr).toMatch(/Stopped the download of padded at about \d+ %\.\nRun the same command again to resume where it stopped/);
    expect(readdirSync(join(modelsDir(fresh), ".partial"))).toEqual(["padded.gguf.ipull"]);
    expect(existsSync(join(modelsDir(fresh), "padded.gguf"))).toBe(false);
    expect((await listJson(fresh)).models.find((m) => m.name === "padded")).toMatchObject({ installed: false, partialBytes: expect.any(Number) as number });

    host.clearRequests();
    const resumed = await runCli(["models", "pull", "padded"], fresh);
    expect(resumed.stderr).toMatch(/Downloading 11\.9 MB; resuming, [\d.]+ MB already here\n/);
    expect(resumed.exitCode).toBe(0);
    const ranged = host.downloads.filter((r) => r.range !== undefined);
    expect(ranged.map((r) => r.rangeStart)).toEqual([5 * 1024 * 1024]);
    expect(readFileSync(join(modelsDir(fresh), "padded.gguf")).equals(padded)).toBe(true);
  });

  it("rejects a truncated download: nothing is installed, and it says what to do", async () => {
    const fresh = settings();
    const result = await runCli(["models", "pull", "broken"], fresh);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^burrow: The download of broken is not the expected model: the file is truncated: its tensors need \d+ bytes but the file has \d+\. It was deleted; nothing was installed\.\nRun the same command to download it again\. If it fails the same way, the host \(http:\/\/127\.0\.0\.1:\d+\) serves a damaged or different file\.$/m);
    expect(readdirSync(modelsDir(fresh))).toEqual([]);
  });

  it("refuses a model that would exceed the disk budget, before downloading anything", async () => {
    const fresh = settings({ BURROW_DISK_BUDGET: "0.005" });
    host.clearRequests();
    const result = await runCli(["models", "pull", "padded"], fresh);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /burrow: padded \(11\.9 MB\) does not fit in Burrow's disk budget: it needs 11\.9 MB more, and [\d.]+ k?B of the 5 MB budget is used \(models [\d.]+ k?B, redis 0 B, logs [\d.]+ k?B, other 0 B\), so it would go [\d.]+ MB over\. Nothing was downloaded\.\nFree some space in the data directory, or raise BURROW_DISK_BUDGET \(now 0\.005 GB\)\.$/,
    );
    expect(host.requests.map((r) => r.method)).toEqual(["HEAD"]);
  });
});

describe("burrow models list / use / rm", () => {
  let env: Record<string, string>;
  beforeAll(() => {
    env = settings();
  });
  let daemon: ReturnType<typeof spawnCli> | undefined;
  afterAll(async () => {
    if (daemon && isRunning(daemon.pid!)) daemon.kill("SIGKILL");
    await daemon;
  });

  it("lists the catalog with sizes and RAM, and the default as the active model", async () => {
    const result = await runCli(["models", "list"], env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^NAME +SIZE +RAM\* +STATE +NOTES\nqwen2\.5-7b +4\.68 GB +[\d.]+ GB +active, missing +default;/);
    expect(result.stdout).toMatch(/^qwen3-8b +5\.03 GB +[\d.]+ GB +- +thinking model/m);
    // A catalog-file entry without an attention shape has no RAM estimate until it is downloaded.
    expect(result.stdout).toMatch(/^tiny-chat +[\d.]+ kB +\? +- +scripted test model$/m);
    expect(result.stdout).toMatch(/^padded +\? +\? +-$/m);
    expect(result.stdout).toContain("Active model: qwen2.5-7b (the default) — not downloaded yet.\nDisk: ");
  });

  it("makes a pulled model the active one; a daemon started after that runs it", async () => {
    expect((await runCli(["models", "pull", "tiny-chat"], env)).exitCode).toBe(0);

    const use = await runCli(["models", "use", "tiny-chat"], env);
    expect(use.stdout).toBe(`Active model: tiny-chat (${join(modelsDir(env), "tiny-chat.gguf")}).`);
    expect(use.exitCode).toBe(0);
    const listed = await listJson(env);
    expect(listed.active).toMatchObject({ name: "tiny-chat", source: "active", installed: true });
    expect(listed.models.find((m) => m.name === "tiny-chat")).toMatchObject({ installed: true, pulled: true, active: true, sizeBytes: chat.length });

    daemon = spawnCli(["start", "--no-chat"], env);
    const running = await waitForOutput(daemon.stderr!, /Burrow is running.*\n/);
    expect(running).toContain("model burrow-test-scripted-chat");
    const ask = await runCli(["ask", "hi"], env);
    expect(ask.stdout).toBe(SENTENCE_DEFAULT);
    daemon.kill("SIGTERM");
    expect((await daemon).exitCode).toBe(0);
  });

  it("refuses to remove the active model unless forced, and says what was freed", async () => {
    const refused = await runCli(["models", "rm", "tiny-chat"], env);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe("burrow: tiny-chat is the active model (chosen with `burrow models use`); Burrow could not start without it.\nChoose another first (`burrow models use NAME`), or add --force to remove it anyway.");
    expect(existsSync(join(modelsDir(env), "tiny-chat.gguf"))).toBe(true);

    const forced = await runCli(["models", "rm", "tiny-chat", "--force"], env);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toBe(`Removed tiny-chat: freed ${Math.round(chat.length / 1000)} kB.`);
    expect(forced.stderr).toContain("Burrow falls back to the default model");
    expect(existsSync(join(modelsDir(env), "tiny-chat.gguf"))).toBe(false);
    const listed = await listJson(env);
    expect(listed.active).toMatchObject({ source: "default", installed: false });
    expect(listed.models.find((m) => m.name === "tiny-chat")).toMatchObject({ installed: false, pulled: false });
  });

  it("answers a bad model name with exit code 2 and the known names; using a model that is not there with 1", async () => {
    const unknown = await runCli(["models", "use", "gpt-5"], env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^burrow: unknown model "gpt-5"\. Known models: qwen2\.5-7b, qwen2\.5-coder-7b, qwen2\.5-3b, qwen2\.5-1\.5b, qwen3-8b, tiny-chat, padded, broken/);
    const missing = await runCli(["models", "use", "qwen2.5-3b"], env);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe("burrow: qwen2.5-3b is not downloaded.\nRun `burrow models pull qwen2.5-3b` first.");
  });
});
