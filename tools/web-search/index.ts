export { BRAVE_BASE_URL, BraveProvider, type BraveProviderOptions } from "./brave-provider.js";
export { createSearchProvider, type SearchSettings } from "./create-search-provider.js";
export { DUCKDUCKGO_BASE_URL, DuckDuckGoProvider, type DuckDuckGoProviderOptions } from "./duckduckgo-provider.js";
export { readDuckDuckGoPage, resolveDuckDuckGoHref, type DuckDuckGoPage } from "./duckduckgo-page.js";
export { formatResultsForModel } from "./format-results.js";
export { DEFAULT_SEARCH_TIMEOUT_MS } from "./search-endpoint.js";
export { SEARCH_ERROR_KINDS, SearchError, type SearchErrorKind } from "./search-error.js";
export {
  PROVIDER_LABELS,
  SEARCH_PROVIDER_NAMES,
  type SearchOptions,
  type SearchProvider,
  type SearchProviderName,
  type SearchResult,
} from "./search-provider.js";
export { DEFAULT_RESULT_LIMIT, MAX_QUERY_CHARS, MAX_RESULT_LIMIT } from "./search-query.js";
export { SearxngProvider, type SearxngProviderOptions } from "./searxng-provider.js";
