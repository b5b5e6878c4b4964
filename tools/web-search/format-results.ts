import type { SearchResult } from "./search-provider.js";

/**
 * Results as the model reads them:
 *
 *   [1] Title — https://example.org/page
 *   snippet
 *   [2] …
 *
 * Compact on purpose: on a 2-core CPU every prompt token costs about 0.1 s before the answer starts, so no
 * blank lines, labels or markup. The numbers follow the list's order and are the ones the model cites
 * ("[2]"), so the caller must keep this same list (same order) for the answer's sources.
 */
export function formatResultsForModel(results: readonly SearchResult[]): string {
  if (results.length === 0) return "No results.";
  return results.map((result, index) => `[${index + 1}] ${result.title} — ${result.url}${result.snippet ? `\n${result.snippet}` : ""}`).join("\n");
}
