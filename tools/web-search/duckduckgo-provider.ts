import type { EgressGate, EgressResponse } from "../../src/egress.js";
import { readDuckDuckGoPage } from "./duckduckgo-page.js";
import { finishResults } from "./result-list.js";
import type { SearchError } from "./search-error.js";
import { EndpointProvider } from "./endpoint-provider.js";
import { SearchEndpoint, resolveEndpoint } from "./search-endpoint.js";
import type { SearchOptions, SearchResult } from "./search-provider.js";
import { normalizeQuery, resultLimit } from "./search-query.js";
import { rateLimitedError, unexpectedStatusError, unreadableError } from "./status-errors.js";

export const DUCKDUCKGO_BASE_URL = "https://html.duckduckgo.com";

/**
 * One fixed, common browser User-Agent. DuckDuckGo's bot check turns away library defaults (curl, undici)
 * at once, and a Burrow-specific value would mark every search from this machine as Burrow's; a value that
 * millions of browsers send says nothing about who asked. Change it here if DuckDuckGo starts refusing it.
 */
const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

export interface DuckDuckGoProviderOptions {
  readonly gate: EgressGate;
  /** Where DuckDuckGo's HTML endpoint lives; the page is `{baseUrl}/html/`. Default https://html.duckduckgo.com. */
  readonly baseUrl?: string;
  /**
   * POST (default) submits `q` as form data, like the page's own search form; the query then stays out of
   * URLs that proxies and logs keep. GET sends `/html/?q=…`, which the endpoint also answers.
   */
  readonly method?: "POST" | "GET";
  /** Whole-request time limit. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * DuckDuckGo's no-JavaScript result page (no key, the zero-setup default). Sends only the query (`q`, plus
 * the empty `b` the form's submit button adds): no cookies, no region, no language.
 */
export class DuckDuckGoProvider extends EndpointProvider {
  readonly name = "duckduckgo" as const;
  private readonly method: "POST" | "GET";

  constructor(options: DuckDuckGoProviderOptions) {
    super(new SearchEndpoint("duckduckgo", options.gate, resolveEndpoint(options.baseUrl ?? DUCKDUCKGO_BASE_URL, "html/"), options.timeoutMs));
    this.method = options.method ?? "POST";
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const form = new URLSearchParams({ q: quoteBangs(normalizeQuery(query)), b: "" });
    const url = new URL(this.endpoint.url);
    const headers: Record<string, string> = { "user-agent": USER_AGENT, accept: "text/html" };
    let body: string | undefined;
    if (this.method === "POST") {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = form.toString();
    } else {
      url.search = form.toString();
    }
    const response = await this.endpoint.send(url, { method: this.method, headers, body, query: form.get("q") ?? "" }, options);
    // 202 is DuckDuckGo's "you look like a bot" answer: a success status carrying the challenge page.
    if (response.status === 202) throw challenged(response);
    if (response.status === 403 || response.status === 429) {
      throw rateLimitedError("duckduckgo", response, `DuckDuckGo is rate-limiting this machine (HTTP ${response.status}).`);
    }
    if (response.status !== 200) throw unexpectedStatusError("duckduckgo", response);
    const page = readDuckDuckGoPage(response.body.toString("utf8"));
    switch (page.kind) {
      case "challenge":
        throw challenged(response);
      case "unrecognized":
        throw unreadableError(
          "duckduckgo",
          response,
          "a result page Burrow recognises (its layout may have changed)",
          "Burrow may need an update; meanwhile set BURROW_SEARCH_PROVIDER=searxng (your own instance) or brave (needs BURROW_BRAVE_API_KEY).",
        );
      case "results":
        return finishResults(page.results, resultLimit(options.limit));
    }
  }
}

function challenged(response: EgressResponse): SearchError {
  return rateLimitedError("duckduckgo", response, "DuckDuckGo is rate-limiting this machine: it answered with its bot check (the \"anomaly\" page) instead of results.");
}

/**
 * A word starting with "!" is a DuckDuckGo bang: the endpoint would answer with a redirect to another
 * search engine instead of results. Quoting it (as SearXNG does) makes it an ordinary search word.
 */
function quoteBangs(query: string): string {
  return query
    .split(" ")
    .map((word) => (word.length > 1 && word.startsWith("!") ? `'${word}'` : word))
    .join(" ");
}
