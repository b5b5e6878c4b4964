import { BurrowError } from "../../src/errors.js";
import { PROVIDER_LABELS, type SearchProviderName } from "./search-provider.js";

/**
 * Why a search failed, in the terms a person can act on:
 * - `unreachable`: no connection, or the provider (or the proxy in front of it) says it is down;
 * - `timeout`: connected, but no complete answer in time;
 * - `rate-limited`: the provider is throttling or bot-checking this machine; waiting or switching helps;
 * - `bad-response`: it answered, but not with anything Burrow can read as results;
 * - `auth`: the API key is missing, wrong or not entitled;
 * - `refused`: Burrow's egress gate refused the destination, or the provider's own configuration refuses
 *   this kind of request (SearXNG with the JSON format disabled). Either way a setting must change.
 */
export const SEARCH_ERROR_KINDS = ["unreachable", "timeout", "rate-limited", "bad-response", "auth", "refused"] as const;
export type SearchErrorKind = (typeof SEARCH_ERROR_KINDS)[number];

export interface SearchErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
  /** The HTTP status, when the provider answered. */
  readonly status?: number;
  /** Seconds the provider asked us to wait (Retry-After and similar), when it said. */
  readonly retryAfterSeconds?: number;
}

/**
 * A web search failed. Like grammY's GrammyError carries `method` and `retry_after`, this carries which
 * provider, what kind of failure and, when known, the status and how long to wait — so the agent can tell
 * the model "search is unavailable" instead of "no results", and the person gets what to do.
 */
export class SearchError extends BurrowError {
  readonly provider: SearchProviderName;
  readonly kind: SearchErrorKind;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(provider: SearchProviderName, kind: SearchErrorKind, message: string, options: SearchErrorOptions = {}) {
    super(`search_${kind.replace("-", "_")}`, message, { hint: options.hint, cause: options.cause });
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** What to suggest when one provider is unusable for a while: the other two. */
export function switchProviderHint(provider: SearchProviderName): string {
  const others: Record<SearchProviderName, string> = {
    duckduckgo: "set BURROW_SEARCH_PROVIDER=searxng (your own instance) or brave (needs BURROW_BRAVE_API_KEY)",
    searxng: "set BURROW_SEARCH_PROVIDER=duckduckgo (no setup) or brave (needs BURROW_BRAVE_API_KEY)",
    brave: "set BURROW_SEARCH_PROVIDER=duckduckgo (no setup) or searxng (your own instance)",
  };
  return others[provider];
}

/** "in about 30 s" style wording for a wait, or "in a few minutes" when the provider did not say. */
export function waitWording(seconds: number | undefined): string {
  if (seconds === undefined) return "in a few minutes";
  if (seconds < 90) return `in ${Math.max(1, Math.ceil(seconds))} s`;
  if (seconds < 90 * 60) return `in about ${Math.ceil(seconds / 60)} minutes`;
  if (seconds < 36 * 3600) return `in about ${Math.ceil(seconds / 3600)} hours`;
  return `in about ${Math.ceil(seconds / 86_400)} days`;
}

export function providerLabel(provider: SearchProviderName): string {
  return PROVIDER_LABELS[provider];
}
