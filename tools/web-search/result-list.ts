import { cleanText, MAX_SNIPPET_CHARS, MAX_TITLE_CHARS } from "./result-text.js";
import type { SearchResult } from "./search-provider.js";

/** A hit as a provider parsed it: already plain text, not yet cleaned or checked. */
export interface RawResult {
  readonly title: string;
  readonly url: string;
  readonly snippet: string;
}

/**
 * The URL of a result if the page reader may follow it: absolute http(s), without credentials (the egress
 * gate refuses those anyway, and a result that can never be opened is noise for the model).
 */
export function normalizeResultUrl(raw: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password || url.hostname === "") return undefined;
  return url;
}

/**
 * The list the agent sees, in the provider's order: cleaned text, http(s) URLs only, one entry per page
 * (providers repeat a page with a different #fragment, or list it twice from two engines), at most `limit`.
 */
export function finishResults(raw: Iterable<RawResult>, limit: number): SearchResult[] {
  const seen = new Set<string>();
  const results: SearchResult[] = [];
  for (const hit of raw) {
    if (results.length >= limit) break;
    const url = normalizeResultUrl(hit.url);
    if (!url) continue;
    const key = pageKey(url);
    if (seen.has(key)) continue;
    seen.add(key);
    const title = cleanText(hit.title, MAX_TITLE_CHARS) || cleanText(`${url.host}${url.pathname}`, MAX_TITLE_CHARS);
    results.push({ title, url: url.href, snippet: cleanText(hit.snippet, MAX_SNIPPET_CHARS) });
  }
  return results;
}

/** Same page: same URL without the fragment. */
function pageKey(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = "";
  return copy.href;
}
