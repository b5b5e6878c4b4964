import type { EgressGate, EgressResponse } from "../../src/egress.js";
import { finishResults } from "./result-list.js";
import { SearchError } from "./search-error.js";
import { EndpointProvider } from "./endpoint-provider.js";
import { SearchEndpoint, resolveEndpoint } from "./search-endpoint.js";
import type { SearchOptions, SearchResult } from "./search-provider.js";
import { normalizeQuery, resultLimit } from "./search-query.js";
import { parseSearxngBody, type SearxngAnswer } from "./searxng-response.js";
import { rateLimitedError, unexpectedStatusError, unreadableError } from "./status-errors.js";

export interface SearxngProviderOptions {
  readonly gate: EgressGate;
  /** The instance's root, e.g. http://localhost:8080 (an instance under a sub-path works too). */
  readonly baseUrl: string;
  /** Whole-request time limit. Default 10 s. */
  readonly timeoutMs?: number;
}

const JSON_FORMAT_HINT =
  "Enable `json` under `search.formats` in SearXNG's settings.yml and restart it (or check that no proxy in front of it requires a login).";
const LIMITER_HINT =
  "on your own instance set `server.limiter: false` in settings.yml, or pass-list Burrow's address under `botdetection.ip_lists.pass_ip` in limiter.toml";

/**
 * A SearXNG instance's JSON API: `GET {baseUrl}/search?q=…&format=json`. The query and `format` are the
 * only parameters sent; no cookies, no language, nothing that tells the instance who asked.
 */
export class SearxngProvider extends EndpointProvider {
  readonly name = "searxng" as const;

  constructor(options: SearxngProviderOptions) {
    super(new SearchEndpoint("searxng", options.gate, resolveEndpoint(options.baseUrl, "search"), options.timeoutMs));
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const url = new URL(this.endpoint.url);
    url.searchParams.set("q", normalizeQuery(query));
    url.searchParams.set("format", "json");
    const response = await this.endpoint.send(url, { method: "GET", headers: { accept: "application/json" }, query: url.searchParams.get("q") ?? "" }, options);
    if (response.status !== 200) throw this.statusError(response);
    const answer = parseSearxngBody(response.body.toString("utf8"));
    if (!answer) {
      throw unreadableError("searxng", response, "its JSON results", `Check that ${this.origin} is a SearXNG instance with the JSON format enabled (BURROW_SEARXNG_URL).`);
    }
    if (answer.results.length === 0 && answer.unresponsive.length > 0) throw this.enginesFailed(answer, response);
    return finishResults(answer.results, resultLimit(options.limit));
  }

  private statusError(response: EgressResponse): SearchError {
    switch (response.status) {
      case 403:
        // SearXNG answers a format missing from `search.formats` with a bare 403 (webapp.py).
        return new SearchError("searxng", "refused", `SearXNG at ${this.origin} refused the JSON API (HTTP 403): its JSON format is probably disabled.`, {
          status: 403,
          hint: JSON_FORMAT_HINT,
        });
      case 429:
        return rateLimitedError("searxng", response, `SearXNG at ${this.origin} is rate-limiting Burrow (HTTP 429, its limiter or bot detection).`, LIMITER_HINT);
      case 404:
        return new SearchError("searxng", "bad-response", `SearXNG at ${this.origin} has no search page at ${this.endpoint.url.pathname} (HTTP 404).`, {
          status: 404,
          hint: "Set BURROW_SEARXNG_URL to the instance's root address (e.g. http://localhost:8080), not to a page of it.",
        });
      default:
        return unexpectedStatusError("searxng", response, `Check that SearXNG at ${this.origin} is running (its logs say why it failed), then try again.`);
    }
  }

  /** No results because the engines SearXNG asks failed: saying "no results" would mislead the model. */
  private enginesFailed(answer: SearxngAnswer, response: EgressResponse): SearchError {
    const list = answer.unresponsive.map(({ engine, reason }) => `${engine} (${reason})`).join(", ");
    const blocked = answer.unresponsive.some(({ reason }) => /captcha|too many|access denied|suspended|blocked/i.test(reason));
    const message = `SearXNG found nothing because its engines failed: ${list}.`;
    return blocked
      ? new SearchError("searxng", "rate-limited", message, {
          status: response.status,
          hint: "The engines SearXNG asks are blocking it for now; try again later, or enable other engines in SearXNG's settings.yml.",
        })
      : new SearchError("searxng", "unreachable", message, {
          status: response.status,
          hint: "Check that the SearXNG server can reach the internet and that its engines are enabled in settings.yml, then try again.",
        });
  }
}
