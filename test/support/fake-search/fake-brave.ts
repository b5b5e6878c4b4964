import { braveEmptyBody, braveErrorBody, braveResultsBody } from "./brave-fixture.js";
import { FakeSearchServer, retryAfterHeader, type FakeService } from "./fake-http-server.js";

/** The key the fake accepts; any other `X-Subscription-Token` gets Brave's 422 SUBSCRIPTION_TOKEN_INVALID. */
export const FAKE_BRAVE_KEY = "BSAfakeTestKey0123456789abcdef";

/**
 * Brave's own modes, besides the common ones:
 * - "unauthorized": HTTP 401 (as a proxy or an older API version answers a bad key);
 * - "forbidden": HTTP 403 OPTION_NOT_IN_PLAN (the key's plan does not include web search).
 * A wrong key needs no mode: the fake checks the token like the real API (422 SUBSCRIPTION_TOKEN_INVALID).
 */
export const BRAVE_MODES = ["unauthorized", "forbidden"] as const;
export type BraveMode = (typeof BRAVE_MODES)[number];

const JSON_TYPE = { "content-type": "application/json" };

/** Brave sends its limits on every answer: per-second window first, then the monthly one. */
function rateHeaders(remainingPerSecond: number): Record<string, string> {
  return {
    "x-ratelimit-limit": "1, 2000",
    "x-ratelimit-policy": "1;w=1, 2000;w=2592000",
    "x-ratelimit-remaining": `${remainingPerSecond}, 1943`,
    "x-ratelimit-reset": "1, 1419704",
  };
}

const brave: FakeService<BraveMode> = {
  name: "Brave Search",
  answer(mode, request, settings) {
    if (request.path !== "/res/v1/web/search") {
      return { status: 404, headers: JSON_TYPE, body: braveErrorBody(404, "RESOURCE_NOT_FOUND", "Resource not found.", {}) };
    }
    const token = request.headers["x-subscription-token"];
    if (token !== FAKE_BRAVE_KEY && mode !== "unauthorized") {
      return { status: 422, headers: JSON_TYPE, body: braveErrorBody(422, "SUBSCRIPTION_TOKEN_INVALID", "The provided subscription token is invalid.", { component: "authentication" }) };
    }
    const query = request.query["q"] ?? "";
    const count = Number(request.query["count"] ?? "20");
    switch (mode) {
      case "ok":
      case "slow":
      case "slow-body":
        return { status: 200, headers: { ...JSON_TYPE, ...rateHeaders(0) }, body: braveResultsBody(query, count) };
      case "empty":
        return { status: 200, headers: { ...JSON_TYPE, ...rateHeaders(0) }, body: braveEmptyBody(query) };
      case "unauthorized":
        return { status: 401, headers: JSON_TYPE, body: braveErrorBody(401, "UNAUTHORIZED", "Unauthorized.", { component: "authentication" }) };
      case "forbidden":
        return { status: 403, headers: JSON_TYPE, body: braveErrorBody(403, "OPTION_NOT_IN_PLAN", "The option is not subscribed in the plan.", { component: "authentication" }) };
      case "rate-limited":
        return {
          status: 429,
          headers: { ...JSON_TYPE, ...rateHeaders(0), ...retryAfterHeader(settings) },
          body: braveErrorBody(429, "RATE_LIMITED", "Request rate limit exceeded for plan.", { plan: "Free", rate_limit: 1, rate_current: 2, quota_limit: 2000, quota_current: 57, component: "rate_limiter" }),
        };
      case "server-error":
        return { status: 500, headers: JSON_TYPE, body: braveErrorBody(500, "INTERNAL_ERROR", "An internal error occurred.", {}) };
      case "malformed":
        return { status: 200, headers: JSON_TYPE, body: braveResultsBody(query, count).slice(0, 150) };
      default:
        return undefined;
    }
  },
};

export type FakeBrave = FakeSearchServer<BraveMode>;

export async function startFakeBrave(): Promise<FakeBrave> {
  return new FakeSearchServer(brave).start();
}
