import { EgressRefusedError, EgressRequestError, type EgressGate } from "../src/egress.js";
import { ModelPullError } from "./model-pull-errors.js";

/** What the host says about a file before anything is downloaded. */
export interface RemoteFile {
  /** The URL that finally answered 200 (after redirects, e.g. Hugging Face → its CDN). */
  readonly url: URL;
  /** Size from Content-Length (or Hugging Face's X-Linked-Size on the redirect). */
  readonly bytes: number | undefined;
  /** SHA-256 from Hugging Face's X-Linked-Etag (the LFS object id), when the host sends one. */
  readonly sha256: string | undefined;
  readonly acceptsRanges: boolean;
}

const MAX_REDIRECTS = 5;

/**
 * HEADs the file through the egress gate, following redirects one hop at a time. The host's own redirect
 * targets (Hugging Face sends downloads to its CDN) are allowed for this pull through `allowOrigin`; a redirect
 * from https to plain http is refused. Only HEAD requests: nothing of the file is fetched here, so a pull that
 * is then refused (disk budget, wrong size) has downloaded nothing.
 */
export async function probeRemoteFile(model: string, url: URL, gate: EgressGate, allowOrigin: (origin: string) => void, signal?: AbortSignal): Promise<RemoteFile> {
  let current = url;
  let linkedBytes: number | undefined;
  let linkedSha: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response;
    try {
      response = await gate.request("model-download", current, { method: "HEAD", timeoutMs: 30_000, maxBytes: 0, signal });
    } catch (error) {
      if (error instanceof EgressRefusedError) throw new ModelPullError(model, "refused", error.message, { hint: error.hint, cause: error });
      if (error instanceof EgressRequestError) {
        throw new ModelPullError(model, "host", `Cannot reach the model host ${current.host}: ${error.message}`, {
          hint: "Check your connection, or BURROW_MODEL_HOST if you use a mirror. Nothing was downloaded.",
          cause: error,
        });
      }
      throw error;
    }
    const headers = response.headers;
    if (response.status >= 300 && response.status < 400 && response.location) {
      linkedBytes ??= wholeNumber(headers["x-linked-size"]);
      linkedSha ??= sha256Of(headers["x-linked-etag"]);
      const next = new URL(response.location, current);
      if (current.protocol === "https:" && next.protocol !== "https:") {
        throw new ModelPullError(model, "refused", `The model host redirected ${current.host} to an insecure address (${next.origin}); Burrow does not follow it.`);
      }
      allowOrigin(next.origin);
      current = next;
      continue;
    }
    if (response.status === 200) {
      return {
        url: current,
        bytes: wholeNumber(headers["content-length"]) ?? linkedBytes,
        sha256: linkedSha,
        acceptsRanges: headers["accept-ranges"] === "bytes",
      };
    }
    throw statusError(model, current, response.status);
  }
  throw new ModelPullError(model, "host", `The model host redirected more than ${MAX_REDIRECTS} times for ${url.host}${url.pathname}.`);
}

function statusError(model: string, url: URL, status: number): ModelPullError {
  const where = `${url.origin}${url.pathname}`;
  if (status === 404) {
    return new ModelPullError(model, "not-found", `The model host has no file at ${where} (HTTP 404).`, {
      hint: "If BURROW_MODEL_HOST names a mirror, check that it mirrors this repository; otherwise the file may have moved upstream.",
    });
  }
  if (status === 401 || status === 403) {
    return new ModelPullError(model, "refused", `The model host refused ${where} (HTTP ${status}).`, {
      hint: "The file may be gated or private, or the mirror needs a login. Burrow's catalog models are public on huggingface.co.",
    });
  }
  return new ModelPullError(model, "host", `The model host answered HTTP ${status} for ${where}.`, { hint: "Try again later. Nothing was downloaded." });
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function sha256Of(etag: string | undefined): string | undefined {
  const value = etag?.replace(/^W\//, "").replaceAll('"', "").trim().toLowerCase();
  return value && /^[0-9a-f]{64}$/.test(value) ? value : undefined;
}
