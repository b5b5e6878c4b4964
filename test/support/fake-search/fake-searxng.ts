import { FakeSearchServer, type FakeResponse, type FakeService } from "./fake-http-server.js";
import {
  SEARXNG_FORBIDDEN_PAGE,
  SEARXNG_SERVER_ERROR_PAGE,
  searxngEmptyBody,
  searxngEnginesFailedBody,
  searxngHtmlPage,
  searxngResultsBody,
  type SearxngHit,
} from "./searxng-fixture.js";

/**
 * SearXNG's own modes, besides the common ones:
 * - "json-disabled": `json` is not in `search.formats`, so `format=json` gets Flask's 403 page;
 * - "engines-failed": a JSON answer with no results and every engine in `unresponsive_engines`.
 */
export const SEARXNG_MODES = ["json-disabled", "engines-failed"] as const;
export type SearxngMode = (typeof SEARXNG_MODES)[number];

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };
const HTML_TYPE = { "content-type": "text/html; charset=utf-8" };

/**
 * Like SearXNG's webapp: `/search` and `/` answer GET (query string) and POST (form); without
 * `format=json` the answer is the HTML page, as on a real instance. `extra` hits lead the "ok" results.
 */
const searxng = (extra: readonly SearxngHit[]): FakeService<SearxngMode> => ({
  name: "SearXNG",
  answer(mode, request) {
    if (request.path !== "/search" && request.path !== "/") return { status: 404, headers: HTML_TYPE, body: "<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" };
    const params = request.method === "POST" ? (request.form ?? {}) : request.query;
    const query = params["q"] ?? "";
    const wantsJson = params["format"] === "json";
    switch (mode) {
      case "json-disabled":
        return wantsJson ? { status: 403, headers: HTML_TYPE, body: SEARXNG_FORBIDDEN_PAGE } : html(query);
      case "server-error":
        return { status: 500, headers: HTML_TYPE, body: SEARXNG_SERVER_ERROR_PAGE };
      case "malformed":
        // A body cut off mid-way, as when a worker dies while writing it.
        return { status: 200, headers: JSON_TYPE, body: searxngResultsBody(query, extra).slice(0, 180) };
      case "ok":
      case "slow":
      case "slow-body":
        return wantsJson ? { status: 200, headers: JSON_TYPE, body: searxngResultsBody(query, extra) } : html(query);
      case "empty":
        return wantsJson ? { status: 200, headers: JSON_TYPE, body: searxngEmptyBody(query) } : html(query);
      case "engines-failed":
        return wantsJson ? { status: 200, headers: JSON_TYPE, body: searxngEnginesFailedBody(query) } : html(query);
      default:
        return undefined;
    }
  },
});

function html(query: string): FakeResponse {
  return { status: 200, headers: HTML_TYPE, body: searxngHtmlPage(query) };
}

export type FakeSearxng = FakeSearchServer<SearxngMode>;

export interface FakeSearxngOptions {
  /** Hits put before the fixed "ok" results (default none), e.g. a page the test serves. */
  readonly extraResults?: readonly SearxngHit[];
}

export async function startFakeSearxng(host?: string, options: FakeSearxngOptions = {}): Promise<FakeSearxng> {
  return new FakeSearchServer(searxng(options.extraResults ?? [])).start(host);
}
