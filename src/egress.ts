import { request, type Dispatcher } from "undici";
import { egressEndpoints, endpointOf, type EgressEndpoints, type EndpointPurpose } from "./egress-endpoints.js";
import { BurrowError } from "./errors.js";

/**
 * The one gate every outbound HTTP request from Burrow passes. Nothing the user writes may leave the
 * machine except web-search queries, so each request names its purpose and is checked against the rules
 * registered for that purpose; anything without a matching rule is refused. Every request, allowed or
 * refused, is appended to an audit log (time, purpose, host, bytes) that the privacy proof reads.
 *
 * The gate records host and sizes, not paths or bodies: the audit log must not become a second copy of
 * what people asked. The one exception is a search query, recorded as sent, because it is the one piece of
 * what people write that is allowed out, and they should be able to see exactly what went.
 *
 * What the gate allows is also registered, as host and port, with the process's endpoint registry, which
 * the socket gate (src/socket-gate.ts) checks every connection against — so a library that opens its own
 * sockets is held to the same policy.
 */

export const EGRESS_PURPOSES = ["search", "page", "chat-platform", "model-download"] as const;
export type EgressPurpose = (typeof EGRESS_PURPOSES)[number];

/**
 * What an audit record is about: an HTTP purpose, a Redis connection, or "unknown" — a connection no
 * purpose claimed (always refused).
 */
export type AuditPurpose = EndpointPurpose | "unknown";

/** A rule says yes (`true`) or gives the reason it does not apply (a string). */
export type EgressRule = (url: URL) => true | string;

export interface EgressRecord {
  readonly at: string;
  readonly purpose: AuditPurpose;
  /** "http": a request through this gate (the default when absent); "socket": one TCP connection or UDP send; "dns": a lookup. */
  readonly layer?: "http" | "socket" | "dns";
  readonly method: string;
  readonly host: string;
  readonly port?: number;
  /** For search only: the query as sent. */
  readonly query?: string;
  readonly outcome: "allowed" | "refused" | "failed";
  readonly status?: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly ms?: number;
  readonly jobId?: string;
  readonly reason?: string;
}

/** Where audit records go; src/audit-log.ts appends them to a file within a size budget. */
export type EgressAuditSink = (record: EgressRecord) => void;

/** The gate refused a destination: no rule for this purpose allows it. */
export class EgressRefusedError extends BurrowError {
  readonly purpose: EgressPurpose;
  readonly host: string;

  constructor(purpose: EgressPurpose, url: URL, reason: string) {
    super("egress_refused", `Burrow refused to contact ${url.host} for ${purpose}: ${reason}`, {
      hint: "Burrow only contacts the configured search provider, pages from this answer's search results, chat platforms and (during `models pull`) the model host.",
    });
    this.purpose = purpose;
    this.host = url.host;
  }
}

/** The request was allowed but did not complete: `kind` says whether it ran out of time or the network failed. */
export class EgressRequestError extends BurrowError {
  readonly purpose: EgressPurpose;
  readonly host: string;
  readonly kind: "timeout" | "network";

  constructor(purpose: EgressPurpose, url: URL, kind: "timeout" | "network", message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("egress_failed", `Request to ${url.host} (${purpose}) failed: ${message}`, options);
    this.purpose = purpose;
    this.host = url.host;
    this.kind = kind;
  }
}

export interface EgressRequest {
  readonly method?: "GET" | "POST" | "HEAD";
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Whole-request time limit (connect, headers and body). Default 15 s. */
  readonly timeoutMs?: number;
  /** The body is cut off after this many bytes and `truncated` is set. Default 2 MB. */
  readonly maxBytes?: number;
  /** For callers that must control connections (e.g. check resolved addresses before connecting). */
  readonly dispatcher?: Dispatcher;
  readonly jobId?: string;
  /** A search request's query, written to the audit log as sent. */
  readonly query?: string;
}

export interface EgressResponse {
  readonly url: URL;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as bytes, at most `maxBytes` of it. */
  readonly body: Buffer;
  readonly truncated: boolean;
  /** Redirects are never followed by the gate: the caller decides, and each hop passes the gate again. */
  readonly location: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export interface EgressGateOptions {
  /**
   * Offline mode (BURROW_OFFLINE): search, pages and model downloads are refused whatever the rules say;
   * only the chat platforms the user configured stay reachable.
   */
  readonly offline?: boolean;
  /** Where allowed destinations are registered for the socket gate. Default: the process's registry. */
  readonly endpoints?: EgressEndpoints;
}

/** Purposes that offline mode refuses. */
const ONLINE_ONLY: ReadonlySet<EgressPurpose> = new Set(["search", "page", "model-download"]);

export class EgressGate {
  private readonly rules = new Map<EgressPurpose, Set<EgressRule>>();
  private readonly endpoints: EgressEndpoints;
  readonly offline: boolean;

  constructor(
    private readonly audit: EgressAuditSink,
    options: EgressGateOptions = {},
  ) {
    this.offline = options.offline ?? false;
    this.endpoints = options.endpoints ?? egressEndpoints;
  }

  /** Allows destinations for a purpose while the returned function has not been called. */
  allow(purpose: EgressPurpose, rule: EgressRule): () => void {
    let set = this.rules.get(purpose);
    if (!set) this.rules.set(purpose, (set = new Set()));
    set.add(rule);
    return () => set.delete(rule);
  }

  /**
   * Allows exactly these origins (scheme://host:port) for a purpose. ws:// and wss:// origins (a chat
   * platform's gateway) are registered for the socket gate only: no HTTP request goes to them.
   */
  allowOrigins(purpose: EgressPurpose, origins: readonly string[]): () => void {
    const urls = origins.map((origin) => new URL(origin));
    const allowed = new Set(urls.map((url) => url.origin));
    const revokeRule = this.allow(purpose, (url) => (allowed.has(url.origin) ? true : `${url.origin} is not a configured ${purpose} destination`));
    const releases = this.offline && ONLINE_ONLY.has(purpose) ? [] : urls.map((url) => this.endpoints.allowUrl(purpose, url));
    return () => {
      revokeRule();
      for (const release of releases) release();
    };
  }

  /** Why `url` may not be contacted for `purpose`, or undefined when a rule allows it. */
  check(purpose: EgressPurpose, url: URL): string | undefined {
    if (this.offline && ONLINE_ONLY.has(purpose)) return "Burrow is in offline mode (BURROW_OFFLINE=1 or `burrow start --offline`)";
    if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https are allowed, not ${url.protocol}`;
    if (url.username || url.password) return "URLs with credentials are not allowed";
    const reasons: string[] = [];
    for (const rule of this.rules.get(purpose) ?? []) {
      const verdict = rule(url);
      if (verdict === true) return undefined;
      reasons.push(verdict);
    }
    return reasons[0] ?? `nothing is allowed for ${purpose} right now`;
  }

  /**
   * Lets the socket gate pass `url`'s host and port for `purpose` — its DNS lookups included — until the
   * returned function is called, when a rule allows `url` now (else nothing is registered, and a request
   * is refused as usual). For work a request needs before it is sent: the page reader resolves a host to
   * check its addresses, and the socket gate refuses lookups of names that are no allowed destination.
   */
  allowEndpoint(purpose: EgressPurpose, url: URL): () => void {
    if (this.check(purpose, url) !== undefined) return () => {};
    return this.endpoints.allowUrl(purpose, url);
  }

  /** Records a request made by a library the gate cannot wrap (e.g. the model downloader). */
  record(purpose: AuditPurpose, url: URL, details: Partial<Omit<EgressRecord, "at" | "purpose" | "host">> = {}): void {
    this.audit({ at: new Date().toISOString(), purpose, method: "GET", host: url.host, port: endpointOf(url).port, outcome: "allowed", bytesOut: 0, bytesIn: 0, ...details });
  }

  async request(purpose: EgressPurpose, target: string | URL, options: EgressRequest = {}): Promise<EgressResponse> {
    const url = new URL(target);
    const method = options.method ?? "GET";
    const base = { purpose, method, host: url.host, port: endpointOf(url).port, jobId: options.jobId, ...(options.query !== undefined ? { query: options.query } : {}) };
    const refusal = this.check(purpose, url);
    if (refusal !== undefined) {
      this.audit({ at: new Date().toISOString(), ...base, outcome: "refused", bytesOut: 0, bytesIn: 0, reason: refusal });
      throw new EgressRefusedError(purpose, url, refusal);
    }
    const bytesOut = Buffer.byteLength(url.pathname + url.search) + (options.body ? Buffer.byteLength(options.body) : 0);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    // AbortSignal.timeout() throws on fractions; a limit is never shortened by rounding.
    const timeoutMs = Math.max(1, Math.ceil(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const started = performance.now();
    let bytesIn = 0;
    let status: number | undefined;
    // The socket gate lets the connection for this request through while it runs (a rule may allow one URL only).
    const releaseEndpoint = this.endpoints.allowUrl(purpose, url);
    try {
      const response = await request(url, {
        method,
        headers: options.headers,
        body: options.body,
        signal,
        dispatcher: options.dispatcher,
      });
      status = response.statusCode;
      const chunks: Buffer[] = [];
      let truncated = false;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const room = maxBytes - bytesIn;
        if (chunk.length >= room) {
          chunks.push(chunk.subarray(0, room));
          bytesIn += room;
          truncated = chunk.length > room;
          if (truncated) break;
        } else {
          chunks.push(chunk);
          bytesIn += chunk.length;
        }
      }
      if (truncated) response.body.destroy();
      const headers = flattenHeaders(response.headers);
      this.audit({ at: new Date().toISOString(), ...base, outcome: "allowed", status, bytesOut, bytesIn, ms: Math.round(performance.now() - started) });
      return { url, status, headers, body: Buffer.concat(chunks), truncated, location: headers["location"] };
    } catch (error) {
      const reason = timeout.aborted ? `no complete answer within ${timeoutMs / 1000} s` : options.signal?.aborted ? "cancelled" : describeNetworkError(error);
      this.audit({ at: new Date().toISOString(), ...base, outcome: "failed", status, bytesOut, bytesIn, ms: Math.round(performance.now() - started), reason });
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new EgressRequestError(purpose, url, timeout.aborted ? "timeout" : "network", reason, { cause: error });
    } finally {
      releaseEndpoint();
    }
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
