import type { LookupFunction } from "node:net";
import { EgressRefusedError, type EgressGate, type EgressResponse } from "../../src/egress.js";
import { AddressGuard, BlockedAddressError, systemLookup } from "./address-guard.js";
import { defaultAddressPolicy, type AddressPolicy } from "./address-policy.js";
import { classifyBody, decodeBody } from "./content-type.js";
import { formatPageForModel } from "./format-for-model.js";
import { htmlToText } from "./html-text.js";
import { PageReadError } from "./page-read-error.js";
import { allowlistMatcher, normalizePageUrl, type AllowedUrls } from "./page-url.js";
import { approximateTokens, fitToTokens, type TokenCounter } from "./token-budget.js";

export interface PageReaderOptions {
  /** Every request (each redirect hop too) goes through this gate, purpose "page". */
  readonly gate: EgressGate;
  /** Resolves host names, dns.lookup-style. Default: the system resolver (`dns.lookup`). Tests map names to loopback. */
  readonly lookup?: LookupFunction;
  /** Which resolved addresses may be contacted. Default: {@link defaultAddressPolicy} (public addresses only). */
  readonly addressPolicy?: AddressPolicy;
  /**
   * Body bytes read per page. A longer page is not downloaded further: its first `maxBytes` are read and the
   * text ends with "[truncated]" (the start of a long article is still worth reading). Default 1 MB.
   */
  readonly maxBytes?: number;
  /** Time for the whole read — every hop's DNS, connect, headers and body. Default 10 s. */
  readonly timeoutMs?: number;
  /** Redirects followed before giving up. Default 5. */
  readonly maxRedirects?: number;
  /** Default: a generic "compatible" browser-like string that names Burrow and nothing about the user. */
  readonly userAgent?: string;
  /** Counts tokens for the budget. Default: {@link approximateTokens} (characters / 4). */
  readonly countTokens?: TokenCounter;
  /** Token budget when `read()` is given none. Default 3000. */
  readonly maxTokens?: number;
}

export interface ReadPageOptions {
  /** The URLs of this job's search results (or a predicate over normalised URLs); nothing else is read. */
  readonly allowedUrls: AllowedUrls;
  /** Cancels the read; the signal's reason is thrown as is (it is not a page failure). */
  readonly signal?: AbortSignal;
  /** Written to the audit log and carried by errors. */
  readonly jobId?: string;
  /** Budget for the page text, marker included. Default: the reader's `maxTokens`. */
  readonly maxTokens?: number;
}

export interface PageText {
  /** Where the text came from: the last URL after redirects, without fragment. */
  readonly url: string;
  /** The article title ("" when the page has none, e.g. plain text). Untrusted, like `text`. */
  readonly title: string;
  /** The readable text, cut to the token budget. Untrusted: give it to a model only as {@link forModel}. */
  readonly text: string;
  /** The text was cut (token budget or byte limit) and ends with "[truncated]". */
  readonly truncated: boolean;
  /** Tokens in `text`, by the reader's counter. */
  readonly tokens: number;
  /** `text` wrapped by {@link formatPageForModel}: the only form in which a model should see it. */
  readonly forModel: string;
}

export const PAGE_READER_DEFAULTS = {
  maxBytes: 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 5,
  maxTokens: 3000,
  userAgent: "Mozilla/5.0 (compatible; Burrow page reader)",
} as const;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Reads web pages for the agent — only pages from this job's search results, only on public addresses,
 * within a size and time limit, as readable text cut to a token budget.
 *
 * Each read registers a rule with the egress gate that allows exactly the URL being fetched at that moment:
 * the requested URL once the allowlist approved it, then each redirect target once its addresses passed the
 * policy. The rule is revoked when the read ends, so the gate never holds a standing "page" permission.
 */
export class PageReader {
  private readonly gate: EgressGate;
  private readonly lookup: LookupFunction;
  private readonly addressPolicy: AddressPolicy;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  private readonly countTokens: TokenCounter;
  private readonly maxTokens: number;

  constructor(options: PageReaderOptions) {
    this.gate = options.gate;
    this.lookup = options.lookup ?? systemLookup;
    this.addressPolicy = options.addressPolicy ?? defaultAddressPolicy;
    this.maxBytes = options.maxBytes ?? PAGE_READER_DEFAULTS.maxBytes;
    this.timeoutMs = options.timeoutMs ?? PAGE_READER_DEFAULTS.timeoutMs;
    this.maxRedirects = options.maxRedirects ?? PAGE_READER_DEFAULTS.maxRedirects;
    this.userAgent = options.userAgent ?? PAGE_READER_DEFAULTS.userAgent;
    this.countTokens = options.countTokens ?? approximateTokens;
    this.maxTokens = options.maxTokens ?? PAGE_READER_DEFAULTS.maxTokens;
  }

  async read(url: string, options: ReadPageOptions): Promise<PageText> {
    const { jobId } = options;
    const requested = normalizePageUrl(url);
    if (requested === undefined) {
      throw new PageReadError("not-in-results", url, `Burrow did not read "${url.slice(0, 200)}": it is not a web address.`, { jobId });
    }
    const first = new URL(requested);
    if (!allowlistMatcher(options.allowedUrls)(requested)) {
      // Nothing is sent; the audit log still shows the attempt (host only, like every record).
      this.gate.record("page", first, { outcome: "refused", reason: "not in this job's search results", jobId });
      throw new PageReadError("not-in-results", requested, `Burrow did not read ${requested}: it is not one of this answer's search results.`, { jobId });
    }
    options.signal?.throwIfAborted();

    const read: ReadState = {
      jobId,
      cancel: options.signal,
      deadline: AbortSignal.timeout(this.timeoutMs),
      deadlineAt: performance.now() + this.timeoutMs,
      fetching: new Set(),
      guard: new AddressGuard(this.lookup, this.addressPolicy, this.timeoutMs),
    };
    const revoke = this.gate.allow("page", (target) =>
      read.fetching.has(normalizePageUrl(target) ?? "") ? true : `${target.host} is not a page Burrow is reading right now`,
    );
    try {
      let current = first;
      for (let redirects = 0; ; redirects++) {
        const response = await this.fetchHop(current, read);
        const next = redirectTarget(response, jobId);
        if (next === undefined) return this.toPageText(response, options.maxTokens ?? this.maxTokens, jobId);
        if (redirects >= this.maxRedirects) {
          throw new PageReadError("too-many-redirects", requested, `${first.host} redirected more than ${this.maxRedirects} times without reaching a page.`, { jobId });
        }
        current = next;
      }
    } finally {
      revoke();
      await read.guard.close();
    }
  }

  /**
   * One request: address check first, then the gate. The gate allows exactly this URL for the whole hop,
   * address check included: the check resolves the host, and the socket gate lets a name be looked up only
   * while it is an allowed destination. Nothing is sent to the host itself before the check passed.
   */
  private async fetchHop(url: URL, read: ReadState): Promise<EgressResponse> {
    const signal = read.cancel ? AbortSignal.any([read.cancel, read.deadline]) : read.deadline;
    const remainingMs = read.deadlineAt - performance.now();
    if (remainingMs <= 0) throw this.failure(new Error("deadline passed"), url, read);
    read.fetching.add(url.href);
    const releaseEndpoint = this.gate.allowEndpoint("page", url);
    try {
      try {
        await read.guard.preflight(url, signal);
      } catch (error) {
        if (error instanceof BlockedAddressError) {
          this.gate.record("page", url, { outcome: "refused", reason: error.reason, jobId: read.jobId });
        }
        throw this.failure(error, url, read);
      }
      try {
        return await this.gate.request("page", url, {
          method: "GET",
          headers: {
            "user-agent": this.userAgent,
            accept: "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.1",
            // The body limit counts bytes on the wire; compressed bodies would make it meaningless.
            "accept-encoding": "identity",
          },
          signal,
          // The read's own deadline decides; the gate's timer is only a backstop that must not fire first.
          timeoutMs: Math.ceil(remainingMs) + 1000,
          maxBytes: this.maxBytes,
          dispatcher: read.guard.dispatcher,
          jobId: read.jobId,
        });
      } catch (error) {
        throw this.failure(error, url, read);
      }
    } finally {
      releaseEndpoint();
      read.fetching.delete(url.href);
    }
  }

  /** What to throw for an error during a hop: the caller's cancellation as is, else a PageReadError. */
  private failure(error: unknown, url: URL, read: ReadState): unknown {
    const { jobId } = read;
    if (read.cancel?.aborted) return read.cancel.reason;
    if (read.deadline.aborted || performance.now() >= read.deadlineAt) {
      return new PageReadError("timeout", url.href, `${url.host} did not send the page within ${this.timeoutMs / 1000} s.`, { jobId, cause: error });
    }
    const blocked = error instanceof BlockedAddressError ? error : read.guard.blocked;
    if (blocked) {
      return new PageReadError("private-address", url.href, `Burrow did not read ${url.href}: ${blocked.message}. Only public internet addresses are contacted.`, {
        jobId,
        cause: error,
      });
    }
    if (error instanceof PageReadError) return error;
    if (error instanceof EgressRefusedError) {
      return new PageReadError("unreachable", url.href, error.message, { jobId, cause: error });
    }
    return new PageReadError("unreachable", url.href, `Could not reach ${url.host}: ${describeNetworkFailure(error)}.`, { jobId, cause: error });
  }

  private toPageText(response: EgressResponse, maxTokens: number, jobId: string | undefined): PageText {
    const url = response.url.href;
    if (response.status < 200 || response.status > 299) {
      throw new PageReadError("http-status", url, `${response.url.host} answered HTTP ${response.status}${describeStatus(response.status)} for ${url}.`, {
        jobId,
        status: response.status,
      });
    }
    const contentType = response.headers["content-type"];
    const body = classifyBody(contentType, response.body);
    if (body.kind === "unsupported") {
      throw new PageReadError("unsupported-type", url, `${url} is ${body.label} (${body.mime}), not a page Burrow can read.`, { jobId });
    }
    const decoded = decodeBody(response.body, contentType, body.kind);
    const { title, text } = body.kind === "html" ? htmlToText(decoded) : { title: "", text: decoded.replace(/\r\n?/g, "\n") };
    if (text.trim() === "" && response.truncated) {
      throw new PageReadError("too-large", url, `${url} is larger than ${formatBytes(this.maxBytes)} and its first ${formatBytes(this.maxBytes)} hold no readable text.`, { jobId });
    }
    const fitted = fitToTokens(text, maxTokens, this.countTokens, response.truncated);
    const page = { url, title, text: fitted.text, truncated: fitted.truncated, tokens: fitted.tokens };
    return { ...page, forModel: formatPageForModel(page) };
  }
}

interface ReadState {
  readonly jobId: string | undefined;
  readonly cancel: AbortSignal | undefined;
  readonly deadline: AbortSignal;
  readonly deadlineAt: number;
  /** The URLs the gate rule lets through: only the hop in flight. */
  readonly fetching: Set<string>;
  readonly guard: AddressGuard;
}

/** The next hop of a redirect, or undefined when the response is not one. Redirects are always followed with GET. */
function redirectTarget(response: EgressResponse, jobId: string | undefined): URL | undefined {
  if (!REDIRECT_STATUSES.has(response.status) || response.location === undefined) return undefined;
  const from = response.url;
  let next: URL;
  try {
    next = new URL(response.location, from);
  } catch (error) {
    throw new PageReadError("unreachable", from.href, `${from.host} redirected to an address that is not valid.`, { jobId, cause: error });
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new PageReadError("unreachable", from.href, `${from.host} redirected to a ${next.protocol} address, which is not a web page.`, { jobId });
  }
  if (next.username || next.password) {
    throw new PageReadError("unreachable", from.href, `${from.host} redirected to an address with credentials in it, which Burrow does not follow.`, { jobId });
  }
  next.hash = "";
  return next;
}

function describeStatus(status: number): string {
  if (status === 401 || status === 403) return " (it refuses access: the page may need a login, or the site blocks automated readers)";
  if (status === 404 || status === 410) return " (no such page)";
  if (status === 429) return " (too many requests: the site is rate-limiting)";
  if (status >= 500) return " (a server error on the site)";
  if (status >= 300 && status < 400) return " (a redirect without a target)";
  return "";
}

const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: "no such host (DNS lookup failed)",
  EAI_AGAIN: "DNS lookup failed (temporary)",
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  UND_ERR_SOCKET: "the connection closed unexpectedly",
  UND_ERR_CONNECT_TIMEOUT: "connecting timed out",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "its TLS certificate is for another site",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its TLS certificate could not be verified",
};

/** A short reason from the first error in the cause chain that has a known code. */
function describeNetworkFailure(error: unknown): string {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES[code]) return NETWORK_CODES[code];
    // OpenSSL's own messages ("ssl3_get_record:wrong version number") say nothing to a person.
    if (typeof code === "string" && /^ERR_(SSL|TLS)_|CERT/.test(code)) return `the secure (TLS) connection failed (${code})`;
  }
  const innermost = innermostMessage(error);
  return innermost || "the request failed";
}

function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) message = current.message;
  return message;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}
