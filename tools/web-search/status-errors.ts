import type { EgressResponse } from "../../src/egress.js";
import { retryAfterSeconds } from "./retry-after.js";
import { SearchError, providerLabel, switchProviderHint, waitWording } from "./search-error.js";
import type { SearchProviderName } from "./search-provider.js";

/**
 * HTTP statuses every provider treats the same way. Each provider first handles the statuses that mean
 * something specific for it (SearXNG's 403, Brave's 422, DuckDuckGo's 202) and hands the rest to these.
 */

/** 429 and other "slow down" answers. `extraHint` says what else helps for this provider. */
export function rateLimitedError(provider: SearchProviderName, response: EgressResponse, message: string, extraHint?: string): SearchError {
  const wait = retryAfterSeconds(response.headers);
  const hint = `Try again ${waitWording(wait)}${extraHint ? `; ${extraHint}` : `, or ${switchProviderHint(provider)}`}.`;
  return new SearchError(provider, "rate-limited", message, { status: response.status, retryAfterSeconds: wait, hint });
}

/** Any status the provider-specific code did not recognise. */
export function unexpectedStatusError(provider: SearchProviderName, response: EgressResponse, hint?: string): SearchError {
  const label = providerLabel(provider);
  const status = response.status;
  const wait = retryAfterSeconds(response.headers);
  const retry = hint ?? `Try again ${waitWording(wait)}, or ${switchProviderHint(provider)}.`;
  if (status === 429) return rateLimitedError(provider, response, `${label} is rate-limiting this machine (HTTP 429).`);
  // 502/503/504 come from the provider's front (or the proxy before it) when the service behind is down.
  if (status === 502 || status === 503 || status === 504) {
    return new SearchError(provider, "unreachable", `${label} is unavailable right now (HTTP ${status}).`, { status, retryAfterSeconds: wait, hint: retry });
  }
  if (status >= 500) {
    return new SearchError(provider, "bad-response", `${label} failed while answering the search (HTTP ${status}, a server error).`, { status, retryAfterSeconds: wait, hint: retry });
  }
  if (status >= 300 && status < 400) {
    return new SearchError(provider, "bad-response", `${label} answered with a redirect (HTTP ${status}) instead of results.`, { status, hint: retry });
  }
  return new SearchError(provider, "bad-response", `${label} answered HTTP ${status} instead of results.`, { status, hint: retry });
}

/** The body arrived but is not what this provider sends (a proxy's error page, a changed format). */
export function unreadableError(provider: SearchProviderName, response: EgressResponse, what: string, hint?: string): SearchError {
  const truncated = response.truncated ? " (and it was cut off at Burrow's size limit)" : "";
  return new SearchError(provider, "bad-response", `${providerLabel(provider)} answered, but not with ${what}${truncated}.`, {
    status: response.status,
    hint: hint ?? `Try again later, or ${switchProviderHint(provider)}.`,
  });
}
