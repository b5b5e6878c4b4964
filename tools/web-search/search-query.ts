import { BurrowError } from "../../src/errors.js";

/** Each result costs prompt tokens on a slow CPU: few by default, never a page of them. */
export const DEFAULT_RESULT_LIMIT = 5;
/** Brave's API caps `count` at 20; the others return about that many per page anyway. */
export const MAX_RESULT_LIMIT = 20;
/**
 * Longest query sent. Brave refuses more than 400 characters (and 50 words); DuckDuckGo ignores queries
 * of 500 or more. A model that writes a longer "query" has pasted a paragraph, and its start matters most.
 */
export const MAX_QUERY_CHARS = 400;

/** The query as sent: one line, trimmed, at most MAX_QUERY_CHARS (cut at a word when it can be). */
export function normalizeQuery(query: string): string {
  const text = query.replace(/\s+/g, " ").trim();
  if (text === "") {
    // A caller bug (the agent passed an empty query), not a provider failure: no SearchError kind fits.
    throw new BurrowError("search_query_empty", "The web search query is empty.", { hint: "Ask again with something to search for." });
  }
  if (text.length <= MAX_QUERY_CHARS) return text;
  const cut = text.slice(0, MAX_QUERY_CHARS);
  const space = cut.lastIndexOf(" ");
  return space > MAX_QUERY_CHARS / 2 ? cut.slice(0, space) : cut;
}

/** The number of results to return: a whole number from 1 to MAX_RESULT_LIMIT. */
export function resultLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_RESULT_LIMIT;
  return Math.min(MAX_RESULT_LIMIT, Math.max(1, Math.floor(limit)));
}
