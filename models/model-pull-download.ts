import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createModelDownloader, type ModelDownloader } from "node-llama-cpp";
import { ModelPullError } from "./model-pull-errors.js";
import { TEMP_SUFFIX } from "./model-pull-staging.js";

/**
 * Runs node-llama-cpp's downloader (ipull underneath) for one file into the staging directory, and adds what
 * it lacks for a command-line pull: a stall watchdog (ipull retries a dead connection for many minutes without
 * a word) and a cancel that keeps the download resumable.
 *
 * How ipull resumes (checked on ipull 3.9.5 as bundled with node-llama-cpp 3.21.1): it writes `<file>.ipull`,
 * the file's bytes at their offsets followed by a JSON list of finished 5 MB chunks, saved after each chunk;
 * a new download of the same file into the same directory reads that list and fetches only the missing chunks
 * (with Range requests). A dropped connection is retried from the start of the chunk it was in.
 * On cancel, ipull renames `<file>.ipull` to `<file>` when its progress estimate reaches 100 % (it counts the
 * short last chunk as a whole one), leaving a file with the progress JSON at its end under the final name; the
 * runner renames such a file (longer than the model) back so the next pull resumes it. Nothing in the staging
 * directory is used before verification, so these quirks cost at most a re-download, never a bad model.
 */

export interface DownloadProgress {
  /** Bytes of the file on disk or arriving (ipull's estimate), resumed bytes included. */
  readonly downloadedBytes: number;
  readonly totalBytes: number;
  /** Bytes per second over this session. */
  readonly bytesPerSecond: number;
}

export interface DownloadRequest {
  readonly model: string;
  readonly url: URL;
  readonly stagingDir: string;
  readonly file: string;
  readonly expectedBytes: number;
  readonly signal?: AbortSignal;
  readonly stallTimeoutMs: number;
  /** Called once the downloader knows how much is already there (before any byte is fetched). */
  readonly onStart?: (info: { resumedFromBytes: number; totalBytes: number }) => void;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadOutcome {
  readonly path: string;
  readonly resumedFromBytes: number;
  /** Bytes fetched in this session (ipull's estimate). */
  readonly fetchedBytes: number;
  readonly ms: number;
}

export async function downloadToStaging(request: DownloadRequest): Promise<DownloadOutcome> {
  const started = performance.now();
  let lastActivity = Date.now();
  let stopReason: "stalled" | "interrupted" | undefined;
  let downloader: ModelDownloader | undefined;
  let cancelling: Promise<void> | undefined;
  let stopped!: () => void;
  // Creating the downloader already talks to the host (ipull's size probe, retried for minutes): a stop
  // must not wait for it.
  const whenStopped = new Promise<undefined>((resolve) => (stopped = () => resolve(undefined)));
  const stop = (reason: "stalled" | "interrupted") => {
    if (stopReason) return;
    stopReason = reason;
    cancelling = downloader?.cancel({ deleteTempFile: false });
    stopped();
  };
  const onAbort = () => stop("interrupted");
  request.signal?.addEventListener("abort", onAbort);
  const watchdog = setInterval(() => {
    if (Date.now() - lastActivity > request.stallTimeoutMs) stop("stalled");
  }, Math.min(1000, Math.max(50, request.stallTimeoutMs / 4)));

  let resumedFromBytes = 0;
  let latest = 0;
  try {
    if (request.signal?.aborted) stop("interrupted");
    const created = createModelDownloader({
      modelUri: request.url.href,
      dirPath: request.stagingDir,
      fileName: request.file,
      // A finished but unverified file from an earlier run is verified instead of fetched again.
      skipExisting: true,
      deleteTempFileOnCancel: false,
      // Burrow draws its own progress on stderr: ipull's hooks stdout and exits the process on Ctrl-C.
      showCliProgress: false,
      onProgress: ({ downloadedSize, totalSize }) => {
        lastActivity = Date.now();
        latest = downloadedSize;
        const seconds = (performance.now() - started) / 1000;
        request.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize, bytesPerSecond: seconds > 0 ? (downloadedSize - resumedFromBytes) / seconds : 0 });
      },
    });
    downloader = await Promise.race([created, whenStopped]);
    if (!downloader) {
      // Stopped before the downloader existed; cancel it if it ever does.
      void created.then((late) => late.cancel({ deleteTempFile: false }), () => undefined);
      throw new Error("stopped");
    }
    if (stopReason) cancelling ??= downloader.cancel({ deleteTempFile: false });
    lastActivity = Date.now();
    resumedFromBytes = Math.min(downloader.downloadedSize, request.expectedBytes);
    latest = resumedFromBytes;
    request.onStart?.({ resumedFromBytes, totalBytes: downloader.totalSize });
    if (!stopReason) await downloader.download();
  } catch (error) {
    if (!stopReason) {
      throw new ModelPullError(request.model, "host", `Downloading ${request.model} failed: ${(error as Error).message}`, {
        hint: `Run the same command again to resume. What was downloaded is kept in ${request.stagingDir}.`,
        cause: error,
      });
    }
  } finally {
    clearInterval(watchdog);
    request.signal?.removeEventListener("abort", onAbort);
  }

  const path = join(request.stagingDir, request.file);
  if (stopReason) {
    await cancelling;
    keepResumable(path, request.expectedBytes);
    const done = `${Math.round((Math.min(latest, request.expectedBytes) / request.expectedBytes) * 100)} %`;
    throw stopReason === "stalled"
      ? new ModelPullError(request.model, "stalled", `The download of ${request.model} stopped: no data arrived for ${Number((request.stallTimeoutMs / 1000).toFixed(1))} s (at about ${done}).`, {
          hint: `Check your connection and run the same command again: it resumes where it stopped.`,
        })
      : new ModelPullError(request.model, "interrupted", `Stopped the download of ${request.model} at about ${done}.`, {
          hint: `Run the same command again to resume where it stopped (\`burrow models rm ${request.model}\` deletes the partial file).`,
        });
  }
  return { path, resumedFromBytes, fetchedBytes: Math.max(0, latest - resumedFromBytes), ms: performance.now() - started };
}

/**
 * After a cancel, a file under the final name that is longer than the model is ipull's temp file renamed too
 * early (file bytes + progress JSON): give it back its temp name so the next pull resumes it. A file of the
 * model's size may be a finished download: the next pull verifies it instead of fetching it again.
 */
function keepResumable(path: string, expectedBytes: number): void {
  if (!existsSync(path) || statSync(path).size <= expectedBytes) return;
  const temp = `${path}${TEMP_SUFFIX}`;
  if (existsSync(temp)) rmSync(path, { force: true });
  else renameSync(path, temp);
}
