import { BurrowError } from "../src/errors.js";
import type { SearchPort } from "./tool-ports.js";

/** What offline mode says when the model reaches for search. */
export const OFFLINE_SEARCH_REASON = "Web search is unavailable: Burrow is in offline mode (BURROW_OFFLINE=1 or `burrow start --offline`), so nothing is sent.";

/** Search was asked for while Burrow is offline. */
export class SearchOfflineError extends BurrowError {
  constructor() {
    super("search_offline", OFFLINE_SEARCH_REASON, { hint: "Unset BURROW_OFFLINE (or start without --offline) to search again." });
  }
}

/**
 * The search tool in offline mode. It is still offered to the model, so that a question that needs the
 * web gets "search is unavailable" in the answer instead of a silent guess; it contacts nothing (no
 * provider is even built) and every call is answered with the offline reason.
 */
export const offlineSearch: SearchPort = {
  label: "web search (offline)",
  search: () => Promise.reject(new SearchOfflineError()),
};
