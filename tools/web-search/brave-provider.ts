import type { EgressGate, EgressResponse } from "../../src/egress.js";
import { ConfigError } from "../../src/errors.js";
import { parseBraveBody, parseBraveError } from "./brave-response.js";
import { finishResults } from "./result-list.js";
import { SearchError } from "./search-error.js";
import { EndpointProvider } from "./endpoint-provider.js";
import { SearchEndpoint, resolveEndpoint } from "./search-endpoint.js";
import type { SearchOptions, SearchResult } from "./search-provider.js";
import { normalizeQuery, resultLimit } from "./search-query.js";
import { rateLimitedError, unexpectedStatusError, unreadableError } from "./status-errors.js";

export const BRAVE_BASE_URL = "https://api.search.brave.com";

const KEY_HINT =
  "Check BURROW_BRAVE_API_KEY (or BURROW_BRAVE_API_KEY_FILE): it must be a key of a Search plan from https://api-dashboard.search.brave.com, without spaces.";

/** Brave answers a wrong key with 422 and one of these codes, not with 401 (its API reference). */
const KEY_ERROR_CODES = new Set(["SUBSCRIPTION_TOKEN_INVALID", "SUBSCRIPTION_TOKEN_MISSING", "SUBSCRIPTION_NOT_FOUND", "SUBSCRIPTION_EXPIRED"]);

export interface BraveProviderOptions {
  readonly gate: EgressGate;
  /** The Brave Search API key, sent as `X-Subscription-Token`; never logged or put in messages. */
  readonly apiKey: string;
  /** Where the API lives; the endpoint is `{baseUrl}/res/v1/web/search`. Default https://api.search.brave.com. */
  readonly baseUrl?: string;
  /** Whole-request time limit. Default 10 s. */
  readonly timeoutMs?: number;
}

/** The Brave Search web API. Sends the query and `count`; the key travels in a header, never in the URL. */
export class BraveProvider extends EndpointProvider {
  readonly name = "brave" as const;
  private readonly apiKey: string;

  constructor(options: BraveProviderOptions) {
    const apiKey = options.apiKey.trim();
    // undici rejects header values with line breaks anyway; saying which setting is wrong is more useful.
    if (apiKey === "" || /[\r\n]/.test(apiKey)) {
      throw new ConfigError("BURROW_BRAVE_API_KEY", "The Brave Search API key is empty or spans several lines.", { hint: KEY_HINT });
    }
    super(new SearchEndpoint("brave", options.gate, resolveEndpoint(options.baseUrl ?? BRAVE_BASE_URL, "res/v1/web/search"), options.timeoutMs));
    this.apiKey = apiKey;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const limit = resultLimit(options.limit);
    const url = new URL(this.endpoint.url);
    url.searchParams.set("q", normalizeQuery(query));
    url.searchParams.set("count", String(limit));
    const headers = { accept: "application/json", "x-subscription-token": this.apiKey };
    const response = await this.endpoint.send(url, { method: "GET", headers, query: url.searchParams.get("q") ?? "" }, options);
    if (response.status !== 200) throw this.statusError(response);
    const results = parseBraveBody(response.body.toString("utf8"));
    if (!results) throw unreadableError("brave", response, "its JSON search results");
    return finishResults(results, limit);
  }

  private statusError(response: EgressResponse): SearchError {
    const { code, detail } = parseBraveError(response.body.toString("utf8"));
    const said = detail ? `: ${detail}` : "";
    const status = response.status;
    if (status === 401 || status === 403 || (code !== undefined && KEY_ERROR_CODES.has(code))) {
      return new SearchError("brave", "auth", sentence(`Brave Search rejected the API key (HTTP ${status}${code ? ` ${code}` : ""})${said}`), { status, hint: KEY_HINT });
    }
    if (status === 429) {
      return rateLimitedError("brave", response, sentence(`Brave Search is rate-limiting this key (HTTP 429${code ? ` ${code}` : ""})${said}`), "a free plan allows 1 search per second and a monthly quota (see https://api-dashboard.search.brave.com)");
    }
    if (status === 422) {
      return new SearchError("brave", "bad-response", sentence(`Brave Search refused the request (HTTP 422${code ? ` ${code}` : ""})${said}`), {
        status,
        hint: "Burrow may need an update for a change in Brave's API; meanwhile set BURROW_SEARCH_PROVIDER=duckduckgo or searxng.",
      });
    }
    return unexpectedStatusError("brave", response);
  }
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
