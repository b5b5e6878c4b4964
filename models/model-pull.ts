import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { dataPaths, type DataPaths } from "../src/data-paths.js";
import type { EgressGate } from "../src/egress.js";
import { downloadUrl, type CatalogEntry, type ModelCatalog } from "./catalog.js";
import { ensureRoom, type Removable } from "./disk-budget.js";
import { downloadToStaging, type DownloadProgress } from "./model-pull-download.js";
import { ModelPullError } from "./model-pull-errors.js";
import { probeRemoteFile } from "./model-pull-probe.js";
import { removeStaged, stagedBytes } from "./model-pull-staging.js";
import { verifyDownload } from "./model-pull-verify.js";
import { ModelRegistry, type ModelRecord } from "./model-registry.js";

export { DiskBudgetError, ModelPullError, type PullFailure } from "./model-pull-errors.js";
export type { DownloadProgress } from "./model-pull-download.js";

/**
 * `burrow models pull`: downloads a catalog model into <data>/models/ so that a file is only ever there once
 * it is whole and verified. In order:
 *
 * 1. the model host's origin is allowed in the egress gate (purpose "model-download") for this pull only;
 * 2. HEAD (through the gate, redirects followed hop by hop): the size and, from Hugging Face, the SHA-256;
 *    a size or hash that differs from the catalog's is refused;
 * 3. the disk budget and the free disk space are checked — a refusal here has downloaded nothing;
 * 4. node-llama-cpp's downloader fetches into <data>/models/.partial/ (resuming what an earlier run left);
 * 5. the file is verified (size, GGUF, architecture, SHA-256); a bad file is deleted;
 * 6. only then is it renamed into <data>/models/ and recorded in the registry.
 */

export interface PullOptions {
  readonly dataDir: string;
  /** BURROW_MODEL_HOST. */
  readonly host: string;
  readonly budgetBytes: number;
  readonly gate: EgressGate;
  /** Download again even when the model is already installed (a partial download is discarded too). */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  /** Stop (keeping the partial file) when no data arrives for this long. Default 60 s. */
  readonly stallTimeoutMs?: number;
  /** To name other models in "what to remove" advice, and never suggest removing the active one. */
  readonly catalog?: ModelCatalog;
  readonly activeModelPath?: string;
  /** Free space on the data directory's disk; default: statfs. */
  readonly diskFreeBytes?: number;
  readonly onStage?: (stage: PullStage) => void;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export type PullStage =
  | { readonly kind: "checking"; readonly url: URL }
  | { readonly kind: "downloading"; readonly totalBytes: number; readonly resumedFromBytes: number; readonly resumable: boolean }
  | { readonly kind: "verifying"; readonly path: string };

export interface PullResult {
  readonly record: ModelRecord;
  /** Where the verified file is, under <data>/models/. */
  readonly path: string;
  /** It was already installed and verified; nothing was downloaded. */
  readonly alreadyInstalled: boolean;
  readonly resumedFromBytes: number;
  readonly fetchedBytes: number;
  readonly downloadMs: number;
  readonly verifyMs: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export async function pullModel(entry: CatalogEntry, options: PullOptions): Promise<PullResult> {
  const paths = dataPaths(options.dataDir);
  const registry = new ModelRegistry(paths);
  const finalPath = join(paths.modelsDir, entry.file);
  const installed = registry.get(entry.name);
  if (!options.force && installed && installed.file === entry.file && sizeOf(finalPath) === installed.bytes) {
    return { record: installed, path: finalPath, alreadyInstalled: true, resumedFromBytes: 0, fetchedBytes: 0, downloadMs: 0, verifyMs: 0 };
  }

  const revokes: Array<() => void> = [];
  const allowed = new Set<string>();
  const allowOrigin = (origin: string) => {
    if (allowed.has(origin)) return;
    allowed.add(origin);
    revokes.push(options.gate.allowOrigins("model-download", [origin]));
  };
  let releaseLock = () => {};
  try {
    const url = downloadUrl(entry, options.host);
    allowOrigin(url.origin);
    options.onStage?.({ kind: "checking", url });
    const remote = await probeRemoteFile(entry.name, url, options.gate, allowOrigin, options.signal);
    const expectedBytes = expectedSize(entry, remote.bytes, url);
    const expectedSha256 = entry.sha256 ?? remote.sha256;
    if (entry.sha256 && remote.sha256 && entry.sha256 !== remote.sha256) {
      throw mismatch(entry, url, `its SHA-256 is ${remote.sha256}, the catalog expects ${entry.sha256}`);
    }

    ensureRoom({
      model: entry.name,
      dataDir: options.dataDir,
      budgetBytes: options.budgetBytes,
      fileBytes: expectedBytes,
      partialBytes: options.force ? 0 : stagedBytes(paths.modelStagingDir, entry.file),
      removable: removableModels(paths, entry, options),
      diskFreeBytes: options.diskFreeBytes,
    });

    mkdirSync(paths.modelStagingDir, { recursive: true });
    releaseLock = lockPull(entry, paths);
    if (options.force) removeStaged(paths.modelStagingDir, entry.file);

    // The downloader does its own HTTP, so the gate cannot wrap it: check its destinations, then record
    // what it did in the audit log.
    for (const target of [url, remote.url]) {
      const refusal = options.gate.check("model-download", target);
      if (refusal !== undefined) throw new ModelPullError(entry.name, "refused", `Burrow refused to contact ${target.host} for model-download: ${refusal}`);
    }
    let download;
    let failure: string | undefined;
    const downloadStarted = performance.now();
    try {
      download = await downloadToStaging({
        model: entry.name,
        url,
        stagingDir: paths.modelStagingDir,
        file: entry.file,
        expectedBytes,
        signal: options.signal,
        stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
        onStart: ({ resumedFromBytes }) => options.onStage?.({ kind: "downloading", totalBytes: expectedBytes, resumedFromBytes, resumable: remote.acceptsRanges }),
        onProgress: options.onProgress,
      });
    } catch (error) {
      failure = error instanceof ModelPullError ? error.reason : "failed";
      throw error;
    } finally {
      // One record for the downloader's requests (a size probe, then parallel Range GETs); their statuses
      // are not visible from here, so none is claimed.
      options.gate.record("model-download", remote.url, {
        method: "GET",
        outcome: failure ? "failed" : "allowed",
        bytesIn: download?.fetchedBytes ?? 0,
        ms: Math.round(performance.now() - downloadStarted),
        reason: failure,
      });
    }

    options.onStage?.({ kind: "verifying", path: download.path });
    let verified;
    try {
      verified = await verifyDownload({
        model: entry.name,
        path: download.path,
        expectedBytes,
        expectedSha256,
        expectedArchitecture: entry.architecture,
        host: options.host,
      });
    } catch (error) {
      removeStaged(paths.modelStagingDir, entry.file);
      throw error;
    }

    renameSync(download.path, finalPath);
    const record: ModelRecord = {
      name: entry.name,
      file: entry.file,
      bytes: expectedBytes,
      sha256: verified.sha256,
      pulledAt: new Date().toISOString(),
      source: `${entry.repo}/${entry.path}`,
      host: url.origin,
    };
    registry.put(record);
    return {
      record,
      path: finalPath,
      alreadyInstalled: false,
      resumedFromBytes: download.resumedFromBytes,
      fetchedBytes: download.fetchedBytes,
      downloadMs: download.ms,
      verifyMs: verified.ms,
    };
  } finally {
    for (const revoke of revokes) revoke();
    releaseLock();
    removeIfEmpty(paths.modelStagingDir);
  }
}

function expectedSize(entry: CatalogEntry, remoteBytes: number | undefined, url: URL): number {
  if (entry.bytes !== undefined && remoteBytes !== undefined && entry.bytes !== remoteBytes) {
    throw mismatch(entry, url, `it has ${remoteBytes} bytes, the catalog expects ${entry.bytes}`);
  }
  const bytes = entry.bytes ?? remoteBytes;
  if (bytes === undefined || bytes === 0) {
    throw new ModelPullError(entry.name, "host", `The model host did not say how big ${url.pathname.split("/").pop()} is, so Burrow cannot check the disk budget or resume it.`, {
      hint: "Use a host that sends Content-Length (Hugging Face and its mirrors do), or give \"bytes\" for this model in BURROW_CATALOG_FILE.",
    });
  }
  return bytes;
}

function mismatch(entry: CatalogEntry, url: URL, what: string): ModelPullError {
  return new ModelPullError(entry.name, "mismatch", `The model host offers a different file than the catalog's ${entry.name} (${url.host}${url.pathname}): ${what}. Nothing was downloaded.`, {
    hint: "The file may have been re-uploaded upstream, or the mirror (BURROW_MODEL_HOST) serves something else.",
  });
}

/** Installed models other than this one and the active one, and other unfinished downloads. */
function removableModels(paths: DataPaths, entry: CatalogEntry, options: PullOptions): Removable[] {
  const nameOf = (file: string) => options.catalog?.byFile(file)?.name;
  const items: Removable[] = [];
  for (const file of listFiles(paths.modelsDir)) {
    if (!file.endsWith(".gguf") || file === entry.file || join(paths.modelsDir, file) === options.activeModelPath) continue;
    const name = nameOf(file);
    items.push({ command: name ? `burrow models rm ${name}` : `rm ${join(paths.modelsDir, file)}`, bytes: sizeOf(join(paths.modelsDir, file)) ?? 0 });
  }
  for (const file of listFiles(paths.modelStagingDir)) {
    const base = file.replace(/\.ipull$/, "");
    const name = nameOf(base);
    if (base === entry.file || !base.endsWith(".gguf")) continue;
    items.push({ command: name ? `burrow models rm ${name}` : `rm ${join(paths.modelStagingDir, file)}`, bytes: sizeOf(join(paths.modelStagingDir, file)) ?? 0 });
  }
  return items;
}

/** One pull per model at a time: a second one would write the same partial file. */
function lockPull(entry: CatalogEntry, paths: DataPaths): () => void {
  const lock = join(paths.modelStagingDir, `${entry.file}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readText(lock));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new ModelPullError(entry.name, "busy", `Another \`burrow models pull\` of ${entry.name} is running (pid ${pid}).`, {
          hint: "Wait for it to finish, or stop it; a stopped pull resumes when run again.",
        });
      }
      rmSync(lock, { force: true });
    }
  }
  throw new ModelPullError(entry.name, "busy", `Cannot lock ${lock}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (a partial download kept for resuming), or already gone
  }
}
