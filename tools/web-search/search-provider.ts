/**
 * What every web-search provider offers the agent. The providers differ in how they ask (SearXNG JSON,
 * DuckDuckGo's HTML page, Brave's API) but answer in this one shape, so the agent, the page reader and the
 * answer's sources never need to know which one ran.
 */

export const SEARCH_PROVIDER_NAMES = ["searxng", "duckduckgo", "brave"] as const;
export type SearchProviderName = (typeof SEARCH_PROVIDER_NAMES)[number];

/** Names for people (messages, hints), not for programs. */
export const PROVIDER_LABELS: Readonly<Record<SearchProviderName, string>> = {
  searxng: "SearXNG",
  duckduckgo: "DuckDuckGo",
  brave: "Brave Search",
};

/** One hit, already cleaned: plain text, an http(s) URL, lengths capped. */
export interface SearchResult {
  readonly title: string;
  readonly url: string;
  readonly snippet: string;
}

export interface SearchOptions {
  /** Cancels the request; the rejection is the signal's reason, never a SearchError. */
  readonly signal?: AbortSignal;
  /** Written to the egress audit log next to the request. */
  readonly jobId?: string;
  /** How many results at most. Default 5 (each costs prompt tokens on a slow CPU), at most 20. */
  readonly limit?: number;
}

/**
 * A provider is a long-lived piece with an explicit lifecycle: `start()` registers its one destination
 * (scheme://host:port) with the egress gate for the "search" purpose, `stop()` withdraws it. Until `start()`
 * and after `stop()` every `search()` is refused by the gate (a SearchError of kind "refused"), so a stopped
 * provider cannot leak a query even if something still holds a reference to it. Both are idempotent.
 */
export interface SearchProvider {
  readonly name: SearchProviderName;
  /** The origin queries are sent to, for `doctor` and logs (never contains a key). */
  readonly origin: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
}
