import { EgressRefusedError, EgressRequestError, type EgressGate, type EgressResponse } from "../../src/egress.js";
import { SearchError, providerLabel, switchProviderHint } from "./search-error.js";
import type { SearchOptions, SearchProviderName } from "./search-provider.js";

/** A search that takes longer than this is not worth waiting for: the person is already waiting on the model. */
export const DEFAULT_SEARCH_TIMEOUT_MS = 10_000;
/** Result pages are 10–60 KB; anything near this is not a result page, and reading it would waste memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface EndpointRequest {
  readonly method: "GET" | "POST";
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The query as sent; the egress audit log records it (the one thing people write that leaves). */
  readonly query: string;
}

/**
 * One provider's destination and its registration with the egress gate, shared by the three providers so
 * the lifecycle and the mapping of network failures are written once. Requests go only through
 * `gate.request("search", …)`; while the endpoint is stopped the gate itself refuses them.
 */
export class SearchEndpoint {
  readonly url: URL;
  private release: (() => void) | undefined;

  constructor(
    readonly provider: SearchProviderName,
    private readonly gate: EgressGate,
    url: URL,
    readonly timeoutMs: number = DEFAULT_SEARCH_TIMEOUT_MS,
  ) {
    this.url = url;
  }

  get origin(): string {
    return this.url.origin;
  }

  /** Allows this endpoint's origin for "search" until `stop()`. Idempotent. */
  start(): void {
    this.release ??= this.gate.allowOrigins("search", [this.url.origin]);
  }

  /** Withdraws the origin; later requests are refused by the gate. Idempotent. */
  stop(): void {
    this.release?.();
    this.release = undefined;
  }

  /**
   * Sends one request through the gate. Network failures become SearchErrors; a cancelled signal rejects
   * with its own reason, untouched, so callers can tell "the person cancelled" from "search failed".
   */
  async send(url: URL, request: EndpointRequest, options: SearchOptions): Promise<EgressResponse> {
    options.signal?.throwIfAborted();
    try {
      return await this.gate.request("search", url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: options.signal,
        jobId: options.jobId,
        query: request.query,
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw this.mapError(error);
    }
  }

  private mapError(error: unknown): unknown {
    const label = providerLabel(this.provider);
    if (error instanceof EgressRefusedError) {
      return new SearchError(this.provider, "refused", `${label} search was not sent: ${error.message}`, {
        cause: error,
        hint: "The search provider is stopped, or this is not its configured address (BURROW_SEARCH_PROVIDER, BURROW_SEARXNG_URL, BURROW_SEARCH_URL).",
      });
    }
    if (error instanceof EgressRequestError) {
      if (isTimeout(error)) {
        return new SearchError(this.provider, "timeout", `${label} did not answer within ${formatSeconds(this.timeoutMs)}.`, {
          cause: error,
          hint: this.provider === "searxng" ? `Check that SearXNG at ${this.origin} is running and not overloaded, then try again.` : `Check this machine's internet connection and try again, or ${switchProviderHint(this.provider)}.`,
        });
      }
      return new SearchError(this.provider, "unreachable", `Could not reach ${label} at ${error.host}: ${describeCause(error)}.`, {
        cause: error,
        hint: this.provider === "searxng" ? `Check that SearXNG is running at ${this.origin} (BURROW_SEARXNG_URL).` : `Check this machine's internet connection, or ${switchProviderHint(this.provider)}.`,
      });
    }
    // Anything else (a TypeError from a bad URL, a bug) is not a search failure and must stay visible as is.
    return error;
  }
}

/**
 * The gate reports timeouts only in its message, so the cause chain is checked for the TimeoutError that
 * `AbortSignal.timeout` raises (undici rejects with the signal's reason, in the headers or in the body).
 */
function isTimeout(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if ((current as { name?: unknown }).name === "TimeoutError") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The network error underneath the gate's wrapper, e.g. "connect ECONNREFUSED 127.0.0.1:8080". */
function describeCause(error: EgressRequestError): string {
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined;
  const message = typeof cause?.message === "string" && cause.message !== "" ? cause.message : error.message;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * `path` under `baseUrl`, keeping any sub-path of the base (an instance served at https://host/searxng/
 * answers at https://host/searxng/search). Throws a TypeError naming the value when it is not http(s).
 */
export function resolveEndpoint(baseUrl: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`not an http:// or https:// URL: ${JSON.stringify(baseUrl)}`);
  if (base.username || base.password) throw new TypeError("a search URL must not contain a user name or password");
  base.search = "";
  base.hash = "";
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  return new URL(path, base);
}
