/**
 * Which URLs the reader may fetch. The model can only name pages that came back from this job's searches,
 * so it cannot put prompt text (or anything else the user wrote) into a URL of its own making and have
 * Burrow send it to some server.
 *
 * The comparison is deliberately strict: only what cannot carry data is normalised (the fragment is never
 * sent; the WHATWG parser already lowercases the host, drops a default port, resolves dot segments and
 * percent-encodes consistently). Anything else differing — scheme, path case, query string, a trailing
 * slash — makes it a different URL, because each of those can carry a message.
 */

/** `allowedUrls` as given by the caller: the job's search result URLs, or a predicate over normalised URLs. */
export type AllowedUrls = ReadonlySet<string> | ((url: string) => boolean);

/** The URL with its fragment removed, in WHATWG serialisation; undefined when it is not an http(s) URL. */
export function normalizePageUrl(input: string | URL): string | undefined {
  let url: URL;
  try {
    url = new URL(typeof input === "string" ? input.trim() : input.href);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  url.hash = "";
  return url.href;
}

/** A matcher over normalised URLs; a set is normalised once (entries that are not http(s) URLs never match). */
export function allowlistMatcher(allowed: AllowedUrls): (normalizedUrl: string) => boolean {
  if (typeof allowed === "function") return allowed;
  const normalized = new Set<string>();
  for (const entry of allowed) {
    const url = normalizePageUrl(entry);
    if (url !== undefined) normalized.add(url);
  }
  return (url) => normalized.has(url);
}
