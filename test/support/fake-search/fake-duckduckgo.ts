import {
  CAPTIVE_PORTAL_PAGE,
  DUCKDUCKGO_BLOCKED_PAGE,
  duckDuckGoAnomalyPage,
  duckDuckGoNoResultsPage,
  duckDuckGoResultsPage,
} from "./duckduckgo-fixture.js";
import { FakeSearchServer, retryAfterHeader, type FakeService } from "./fake-http-server.js";

/**
 * DuckDuckGo's own modes, besides the common ones:
 * - "anomaly": the bot check page with HTTP 202 (what DuckDuckGo sends when it throttles);
 * - "anomaly-200": the same page with HTTP 200 (also seen);
 * - "blocked": HTTP 403 with its short "If this persists, please email us" page.
 * "empty" is DuckDuckGo's own "No results." page; "malformed" is a captive portal's login page.
 */
export const DUCKDUCKGO_MODES = ["anomaly", "anomaly-200", "blocked"] as const;
export type DuckDuckGoMode = (typeof DUCKDUCKGO_MODES)[number];

const HTML_TYPE = { "content-type": "text/html; charset=UTF-8" };

/** Like html.duckduckgo.com: `/html/` answers POST (form `q`) and GET (`?q=`). */
const duckduckgo: FakeService<DuckDuckGoMode> = {
  name: "DuckDuckGo",
  answer(mode, request, settings) {
    if (request.path !== "/html/" && request.path !== "/html") return { status: 404, headers: HTML_TYPE, body: "<html><body>Not Found</body></html>" };
    const query = (request.method === "POST" ? request.form?.["q"] : request.query["q"]) ?? "";
    switch (mode) {
      case "ok":
      case "slow":
      case "slow-body":
        return { status: 200, headers: HTML_TYPE, body: duckDuckGoResultsPage(query) };
      case "empty":
        return { status: 200, headers: HTML_TYPE, body: duckDuckGoNoResultsPage(query) };
      case "anomaly":
        return { status: 202, headers: HTML_TYPE, body: duckDuckGoAnomalyPage(query) };
      case "anomaly-200":
        return { status: 200, headers: HTML_TYPE, body: duckDuckGoAnomalyPage(query) };
      case "blocked":
        return { status: 403, headers: HTML_TYPE, body: DUCKDUCKGO_BLOCKED_PAGE };
      case "malformed":
        return { status: 200, headers: HTML_TYPE, body: CAPTIVE_PORTAL_PAGE };
      case "rate-limited":
        return { status: 429, headers: { ...HTML_TYPE, ...retryAfterHeader(settings) }, body: DUCKDUCKGO_BLOCKED_PAGE };
      default:
        return undefined;
    }
  },
};

export type FakeDuckDuckGo = FakeSearchServer<DuckDuckGoMode>;

export async function startFakeDuckDuckGo(): Promise<FakeDuckDuckGo> {
  return new FakeSearchServer(duckduckgo).start();
}
