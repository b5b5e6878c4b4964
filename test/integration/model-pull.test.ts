import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_CATALOG, catalogRamBytes, downloadUrl, loadCatalog, readCatalogFile, type CatalogEntry } from "../../models/catalog.js";
import { DiskBudgetError, ModelPullError, pullModel, type PullOptions, type PullStage } from "../../models/model-pull.js";
import { ModelRegistry } from "../../models/model-registry.js";
import { DEFAULT_MODEL_FILE, loadConfig } from "../../src/config.js";
import { dataPaths } from "../../src/data-paths.js";
import { EgressGate, type EgressRecord } from "../../src/egress.js";
import { runDoctor } from "../../src/doctor.js";
import { ConfigError } from "../../src/errors.js";
import { buildDownloadableModel, finishedChunks, startFakeModelHost, writeTestCatalog, type FakeModelHost, type TestCatalogEntry } from "../support/fake-model-host/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `pullModel` against a local model host that behaves like Hugging Face (HEAD, Range, 206, optional redirect
 * to a CDN origin), with the real node-llama-cpp downloader and the real egress gate. The served model is a
 * valid ~12 MB GGUF (the tiny model plus random padding), so a download spans three of ipull's 5 MB chunks.
 */

const tmp = makeTempDir("burrow-pull-");
const REPO = "test/padded-GGUF";
const PATH = "padded.gguf";
/** Inside the second 5 MB chunk, past what ipull's unread size probe receives (~4 MB). */
const FAULT_AT = 7_500_000;
let model: Buffer;
let sha256: string;

beforeAll(async () => {
  model = await buildDownloadableModel(join(tmp.path, "scratch.gguf"), 12_000_000);
  sha256 = createHash("sha256").update(model).digest("hex");
});
afterAll(() => tmp.remove());

let host: FakeModelHost;
let audit: EgressRecord[];
let gate: EgressGate;
let dirCount = 0;
let dataDir: string;

async function freshHost(options: { cdnRedirect?: boolean } = {}): Promise<void> {
  host = await startFakeModelHost(options);
  host.serve(REPO, PATH, model);
  audit = [];
  gate = new EgressGate((record) => audit.push(record));
  dataDir = join(tmp.path, `data-${++dirCount}`);
}
afterEach(async () => host?.close());

function entry(extra: Partial<TestCatalogEntry> = {}): CatalogEntry {
  const [parsed] = readCatalogFile(writeTestCatalog(join(tmp.path, `catalog-${++dirCount}.json`), [
    { name: "padded", file: "padded-test.gguf", repo: REPO, path: PATH, architecture: "qwen2", ...extra },
  ]));
  return parsed!;
}

function pull(target: CatalogEntry, options: Partial<PullOptions> = {}) {
  return pullModel(target, { dataDir, host: host.origin, budgetBytes: 50e9, gate, ...options });
}

async function failure<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(type);
  return error as E;
}

function installedFiles(): string[] {
  const dir = dataPaths(dataDir).modelsDir;
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".gguf")) : [];
}

describe("models pull (library)", () => {
  it("downloads, verifies and installs a model, with progress; the host is allowed only during the pull", async () => {
    await freshHost();
    const stages: PullStage["kind"][] = [];
    const progress: number[] = [];
    expect(gate.check("model-download", new URL(host.origin))).toBeDefined();
    const result = await pull(entry(), { onStage: (stage) => stages.push(stage.kind), onProgress: (p) => progress.push(p.downloadedBytes) });

    expect(stages).toEqual(["checking", "downloading", "verifying"]);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(model.length);
    expect(result).toMatchObject({ alreadyInstalled: false, resumedFromBytes: 0, path: join(dataPaths(dataDir).modelsDir, "padded-test.gguf") });
    expect(readFileSync(result.path).equals(model)).toBe(true);
    expect(new ModelRegistry(dataPaths(dataDir)).get("padded")).toMatchObject({ file: "padded-test.gguf", bytes: model.length, sha256, source: `${REPO}/${PATH}`, host: host.origin });
    // Nothing unverified is left behind, and the gate is closed again.
    expect(existsSync(dataPaths(dataDir).modelStagingDir)).toBe(false);
    expect(gate.check("model-download", new URL(host.origin))).toBe("nothing is allowed for model-download right now");
    // The audit log holds the gate's own HEAD and a record for the downloader's transfer: host and sizes only.
    const host127 = new URL(host.origin).host;
    expect(audit.map((r) => [r.method, r.host, r.outcome])).toEqual([["HEAD", host127, "allowed"], ["GET", host127, "allowed"]]);
    expect(audit[1]!.bytesIn).toBe(model.length);
    expect(JSON.stringify(audit)).not.toContain(PATH);

    // A second pull finds it installed and contacts nobody.
    host.clearRequests();
    expect((await pull(entry())).alreadyInstalled).toBe(true);
    expect(host.requests).toEqual([]);
  });

  it("survives the host dropping the connection mid-file: the retry asks for a Range after 0 and the file is identical", async () => {
    await freshHost();
    host.dropOnceAt(FAULT_AT);
    const result = await pull(entry({ bytes: model.length, sha256 }));

    const dropped = host.requests.findIndex((r) => r.outcome === "dropped");
    expect(dropped).toBeGreaterThan(-1);
    expect(host.requests[dropped]!.rangeStart).toBeGreaterThan(0);
    // The next request for that part of the file starts after 0, at the chunk the drop interrupted.
    const retry = host.requests.slice(dropped + 1).find((r) => r.method === "GET" && r.range !== undefined && r.rangeStart <= FAULT_AT && r.rangeEnd >= FAULT_AT);
    expect(retry?.range).toMatch(/^bytes=\d+-\d+$/);
    expect(retry!.rangeStart).toBeGreaterThan(0);
    expect(retry!.outcome).toBe("complete");
    expect(readFileSync(result.path).equals(model)).toBe(true);
  });

  it("keeps a stalled download and resumes it in a later pull, fetching only the missing part", async () => {
    await freshHost();
    host.stallOnceAt(FAULT_AT);
    const stalled = await failure(pull(entry(), { stallTimeoutMs: 2000 }), ModelPullError);
    expect(stalled.reason).toBe("stalled");
    expect(stalled.toUserText()).toMatch(/no data arrived for 2 s \(at about \d+ %\)\.\nCheck your connection and run the same command again: it resumes where it stopped\./);
    const staging = dataPaths(dataDir).modelStagingDir;
    expect(readdirSync(staging)).toEqual(["padded-test.gguf.ipull"]);
    expect(installedFiles()).toEqual([]);
    expect(gate.check("model-download", new URL(host.origin))).toBeDefined();

    host.clearRequests();
    const resumed = await pull(entry());
    const fetched = host.downloads.filter((r) => r.range !== undefined);
    expect(fetched.length).toBeGreaterThan(0);
    for (const request of fetched) expect(request.rangeStart).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(fetched.reduce((sum, r) => sum + r.bytesSent, 0)).toBeLessThan(model.length / 2);
    expect(resumed.resumedFromBytes).toBeGreaterThan(0);
    expect(readFileSync(resumed.path).equals(model)).toBe(true);
    expect(existsSync(staging)).toBe(false);
  });

  it("stops when asked (Ctrl-C) and resumes later", async () => {
    await freshHost();
    host.stallOnceAt(FAULT_AT);
    const cancel = new AbortController();
    const pulling = pull(entry(), { signal: cancel.signal });
    // Ctrl-C while one part of the transfer hangs and the two other chunks are done and recorded.
    const partial = join(dataPaths(dataDir).modelStagingDir, "padded-test.gguf.ipull");
    while (finishedChunks(partial, model.length) < 2 || !host.requests.some((r) => r.outcome === "stalled")) await new Promise((resolve) => setTimeout(resolve, 20));
    cancel.abort();
    const stopped = await failure(pulling, ModelPullError);
    expect(stopped.reason).toBe("interrupted");
    expect(stopped.hint).toContain("Run the same command again to resume");
    host.clearRequests();
    const resumed = await pull(entry());
    const fetched = host.downloads.filter((r) => r.range !== undefined);
    expect(fetched.map((r) => r.rangeStart)).toEqual([5 * 1024 * 1024]);
    expect(readFileSync(resumed.path).equals(model)).toBe(true);
  });

  it("rejects a corrupt file (the catalog's SHA-256 does not match): nothing is installed, the bad download is deleted", async () => {
    await freshHost();
    const corrupt = Buffer.from(model);
    for (let i = 0; i < 64; i++) flipByte(corrupt, corrupt.length - 1 - i * 4096);
    host.serve(REPO, PATH, corrupt);
    const error = await failure(pull(entry({ bytes: model.length, sha256 })), ModelPullError);
    expect(error.reason).toBe("invalid");
    expect(error.message).toMatch(/^The download of padded is not the expected model: its SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}\. It was deleted; nothing was installed\.$/);
    expect(error.hint).toContain(host.origin);
    expect(installedFiles()).toEqual([]);
    expect(existsSync(dataPaths(dataDir).modelStagingDir)).toBe(false);
    expect(new ModelRegistry(dataPaths(dataDir)).records()).toEqual([]);
  });

  it("rejects a truncated file even when the catalog knows no size or hash: the GGUF check finds it", async () => {
    await freshHost();
    host.serve(REPO, PATH, model.subarray(0, model.length - 3_000_000));
    const error = await failure(pull(entry()), ModelPullError);
    expect(error.reason).toBe("invalid");
    expect(error.message).toMatch(/not the expected model: the file is truncated: its tensors need \d+ bytes but the file has \d+/);
    expect(installedFiles()).toEqual([]);
    expect(existsSync(dataPaths(dataDir).modelStagingDir)).toBe(false);
  });

  it("refuses before downloading when the host offers another size than the catalog's", async () => {
    await freshHost();
    const error = await failure(pull(entry({ bytes: model.length + 1 })), ModelPullError);
    expect(error.reason).toBe("mismatch");
    expect(error.message).toContain(`it has ${model.length} bytes, the catalog expects ${model.length + 1}. Nothing was downloaded.`);
    expect(host.downloads).toEqual([]);
  });

  it("refuses when the disk budget would be exceeded, before any GET, saying what uses the space and what to remove", async () => {
    await freshHost();
    const paths = dataPaths(dataDir);
    mkdirSync(paths.modelsDir, { recursive: true });
    mkdirSync(paths.logsDir, { recursive: true });
    mkdirSync(join(dataDir, "kv-states"), { recursive: true });
    writeFileSync(join(paths.modelsDir, "qwen2.5-1.5b-instruct-q4_k_m.gguf"), Buffer.alloc(3_000_000));
    writeFileSync(join(paths.logsDir, "burrow.log"), Buffer.alloc(1_000_000));
    writeFileSync(join(dataDir, "kv-states", "state.bin"), Buffer.alloc(500_000));
    const catalog = loadCatalog({ models: { host: host.origin, catalogFile: undefined, diskBudgetBytes: 0 } });

    const error = await failure(pull(entry(), { budgetBytes: 14_000_000, catalog }), DiskBudgetError);
    expect(error.limit).toBe("budget");
    expect(error.neededBytes).toBe(model.length);
    expect(error.message).toBe(
      `padded (${mb(model.length)}) does not fit in Burrow's disk budget: it needs ${mb(model.length)} more, and 4.5 MB of the 14 MB budget is used ` +
        `(models 3 MB, redis 0 B, logs 1 MB, other 500 kB (kv-states 500 kB)), so it would go ${mb(model.length - 9_500_000)} over. Nothing was downloaded.`,
    );
    expect(error.hint).toBe("Remove what you do not need (`burrow models rm qwen2.5-1.5b` frees 3 MB), or raise BURROW_DISK_BUDGET (now 0.014 GB).");
    expect(host.requests.map((r) => r.method)).toEqual(["HEAD"]);
    expect(gate.check("model-download", new URL(host.origin))).toBeDefined();
  });

  it("refuses when the disk itself is too full", async () => {
    await freshHost();
    const error = await failure(pull(entry(), { diskFreeBytes: 2_000_000 }), DiskBudgetError);
    expect(error.limit).toBe("disk");
    expect(error.message).toContain(`does not fit on the disk: it needs ${mb(model.length)} more and only 2 MB is free`);
    expect(host.downloads).toEqual([]);
  });

  it("follows Hugging Face's redirect to its CDN, allowing that origin only during the pull", async () => {
    await freshHost({ cdnRedirect: true });
    const result = await pull(entry());
    expect(readFileSync(result.path).equals(model)).toBe(true);
    const [hostName, cdnName] = [new URL(host.origin).host, new URL(host.cdnOrigin!).host];
    expect(audit.map((r) => [r.method, r.host, r.status, r.outcome])).toEqual([["HEAD", hostName, 302, "allowed"], ["HEAD", cdnName, 200, "allowed"], ["GET", cdnName, undefined, "allowed"]]);
    expect(host.downloads.every((r) => r.server === "cdn")).toBe(true);
    expect(gate.check("model-download", new URL(host.cdnOrigin!))).toBeDefined();
  });

  it("checks the download against the SHA-256 the host announces (X-Linked-Etag) when the catalog has none", async () => {
    await freshHost({ cdnRedirect: true });
    const corrupt = Buffer.from(model);
    flipByte(corrupt, corrupt.length - 10);
    host.serve(REPO, PATH, corrupt, { linkedSha256: sha256 });
    const error = await failure(pull(entry()), ModelPullError);
    expect(error.reason).toBe("invalid");
    expect(error.message).toContain(`expected ${sha256}`);
  });

  it("says so when the host has no such file", async () => {
    await freshHost();
    const error = await failure(pull(entry({ path: "missing.gguf" })), ModelPullError);
    expect(error.reason).toBe("not-found");
    expect(error.toUserText()).toMatch(/has no file at http:\/\/127\.0\.0\.1:\d+\/test\/padded-GGUF\/resolve\/main\/missing\.gguf \(HTTP 404\)\.\nIf BURROW_MODEL_HOST names a mirror/);
  });
});

describe("the model catalog", () => {
  it("has the design's models, the default first under the default file name", () => {
    expect(BUILTIN_CATALOG.map((e) => e.name)).toEqual(["qwen2.5-7b", "qwen2.5-coder-7b", "qwen2.5-3b", "qwen2.5-1.5b", "qwen3-8b"]);
    expect(BUILTIN_CATALOG[0]!.file).toBe(DEFAULT_MODEL_FILE);
    expect(BUILTIN_CATALOG.filter((e) => e.thinking).map((e) => e.name)).toEqual(["qwen3-8b"]);
    expect(BUILTIN_CATALOG.filter((e) => e.coder).map((e) => e.name)).toEqual(["qwen2.5-coder-7b"]);
    expect(new Set(BUILTIN_CATALOG.map((e) => e.file)).size).toBe(BUILTIN_CATALOG.length);
  });

  it("builds Hugging Face URLs under the configured host (a mirror)", () => {
    expect(downloadUrl(BUILTIN_CATALOG[0]!, "https://huggingface.co").href).toBe("https://huggingface.co/bartowski/Qwen2.5-7B-Instruct-GGUF/resolve/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf");
    expect(downloadUrl(BUILTIN_CATALOG[0]!, "https://mirror.example/hf/").href).toBe("https://mirror.example/hf/bartowski/Qwen2.5-7B-Instruct-GGUF/resolve/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf");
  });

  it("estimates RAM from the published size and the attention shape (7B: 56 KiB of KV cache per token)", () => {
    const ram = catalogRamBytes(BUILTIN_CATALOG[0]!, 8192)!;
    expect(ram).toBe(Math.round((4_683_074_240 + 57_344 * 8192) * 1.1));
    expect(catalogRamBytes(BUILTIN_CATALOG[0]!, 1_000_000)).toBe(Math.round((4_683_074_240 + 57_344 * 32_768) * 1.1));
  });

  it("refuses a catalog file entry whose file would land outside models/, or that clashes with a built-in name", () => {
    const bad = writeTestCatalog(join(tmp.path, "bad-catalog.json"), [{ name: "x", file: "../evil.gguf", repo: "a/b", path: "x.gguf" }]);
    expect(() => readCatalogFile(bad)).toThrow(/Catalog file .* is not valid at models\.0\.file: a plain file name ending in \.gguf/);
    const split = writeTestCatalog(join(tmp.path, "split-catalog.json"), [{ name: "x", file: "x.gguf", repo: "a/b", path: "x-00001-of-00002.gguf" }]);
    expect(() => readCatalogFile(split)).toThrow(/models\.0\.path: a single-file GGUF/);
    const clash = writeTestCatalog(join(tmp.path, "clash-catalog.json"), [{ name: "qwen2.5-7b", file: "x.gguf", repo: "a/b", path: "x.gguf" }]);
    expect(() => loadCatalog({ models: { host: "https://huggingface.co", catalogFile: clash, diskBudgetBytes: 1 } })).toThrow(ConfigError);
  });
});

describe("burrow doctor's disk budget check", () => {
  it("shows what Burrow's data uses by category against the budget, and warns near or over it", async () => {
    const dir = join(tmp.path, "doctor");
    const paths = dataPaths(join(dir, "data"));
    mkdirSync(paths.modelsDir, { recursive: true });
    mkdirSync(paths.logsDir, { recursive: true });
    mkdirSync(join(paths.root, "kv-states"), { recursive: true });
    writeFileSync(join(paths.modelsDir, "a.gguf"), Buffer.alloc(2_000_000));
    writeFileSync(join(paths.logsDir, "burrow.log"), Buffer.alloc(300_000));
    writeFileSync(join(paths.root, "kv-states", "s.bin"), Buffer.alloc(200_000));
    const check = async (budget: string) => {
      const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, "cfg"), BURROW_DATA_DIR: paths.root, BURROW_MODEL: join(dir, "none.gguf"), BURROW_DISK_BUDGET: budget };
      return (await runDoctor(loadConfig(env))).find((r) => r.name === "Disk budget");
    };
    expect(await check("50")).toEqual({ name: "Disk budget", status: "ok", detail: "2.5 MB of 50 GB budget used (0 %): models 2 MB, redis 0 B, logs 300 kB, other 200 kB (kv-states 200 kB)" });
    expect(await check("0.0026")).toMatchObject({ status: "warn", detail: expect.stringMatching(/^2\.5 MB of 2\.6 MB budget used \(96 %\)/) as string });
    const over = await check("0.002");
    expect(over).toMatchObject({ status: "warn", detail: expect.stringMatching(/\(125 %\).*; over budget, so `burrow models pull` refuses new models$/) as string });
    expect(over?.fix).toBe("Remove models you do not use (`burrow models list`, then `burrow models rm NAME`), or raise BURROW_DISK_BUDGET.");
  });
});

describe("which model the config runs", () => {
  const env = (dir: string, extra: Record<string, string> = {}) => ({ HOME: dir, XDG_CONFIG_HOME: join(dir, "cfg"), BURROW_DATA_DIR: join(dir, "data"), ...extra });

  it("uses BURROW_MODEL, else the `models use` choice, else the default file", () => {
    const dir = join(tmp.path, "choice");
    const paths = dataPaths(join(dir, "data"));
    expect(loadConfig(env(dir))).toMatchObject({ modelPath: join(paths.modelsDir, DEFAULT_MODEL_FILE), modelSource: "default" });
    new ModelRegistry(paths).setActive({ name: "qwen2.5-3b", file: "qwen2.5-3b-instruct-q4_k_m.gguf" });
    expect(loadConfig(env(dir))).toMatchObject({ modelPath: join(paths.modelsDir, "qwen2.5-3b-instruct-q4_k_m.gguf"), modelSource: "active" });
    expect(loadConfig(env(dir, { BURROW_MODEL: "/m/own.gguf" }))).toMatchObject({ modelPath: "/m/own.gguf", modelSource: "BURROW_MODEL" });
  });

  it("stops with one clear line when the choice is damaged or points outside models/", () => {
    const dir = join(tmp.path, "damaged");
    const paths = dataPaths(join(dir, "data"));
    mkdirSync(paths.modelsDir, { recursive: true });
    writeFileSync(paths.activeModelFile, JSON.stringify({ name: "x", file: "../../etc/passwd" }));
    expect(() => loadConfig(env(dir))).toThrow(/The active model choice .*active\.json is damaged; run `burrow models use NAME` again/);
  });

  it("reads the download host, catalog file and disk budget (GB, decimal)", () => {
    const dir = join(tmp.path, "settings");
    expect(loadConfig(env(dir)).models).toEqual({ host: "https://huggingface.co", catalogFile: undefined, diskBudgetBytes: 50e9 });
    expect(loadConfig(env(dir, { BURROW_MODEL_HOST: "https://hf-mirror.example/", BURROW_DISK_BUDGET: "0.5" })).models).toMatchObject({ host: "https://hf-mirror.example", diskBudgetBytes: 5e8 });
    expect(() => loadConfig(env(dir, { BURROW_DISK_BUDGET: "0" }))).toThrow(/BURROW_DISK_BUDGET="0".*a number of GB greater than 0/);
    expect(() => loadConfig(env(dir, { BURROW_MODEL_HOST: "ftp://x" }))).toThrow(/BURROW_MODEL_HOST="ftp:\/\/x"/);
  });
});

function flipByte(buffer: Buffer, offset: number): void {
  buffer.writeUInt8(buffer.readUInt8(offset) ^ 0xff, offset);
}

function mb(bytes: number): string {
  return `${Number((bytes / 1e6).toFixed(bytes < 10e6 ? 2 : 1))} MB`;
}
