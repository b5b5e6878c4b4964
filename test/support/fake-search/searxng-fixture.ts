/**
 * Bodies in the shape a real SearXNG instance sends for `/search?q=…&format=json` (its webapp's JSON
 * format: the query, number_of_results — usually 0 because most engines do not report totals — results
 * with the merged engines' fields, answers, corrections, infoboxes, suggestions, unresponsive_engines as
 * [engine, reason] pairs). The hits are fixed so tests can assert the parsed list exactly; the tricky
 * ones are real situations: an engine that leaves an entity in a title, a second hit for the same page
 * with a #fragment, a torrent engine's magnet link, text with line breaks, a very long snippet.
 */

export const SEARXNG_LONG_CONTENT =
  "Async programming in Rust has come a long way. " +
  "This article compares the runtimes you can choose from today, how they schedule tasks, how they do I/O, what their ecosystems look like and what it costs to switch later. ".repeat(3);

function webResult(url: string, title: string, content: string, engines: string[], score: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    url,
    title,
    content,
    publishedDate: null,
    thumbnail: "",
    engine: engines[0],
    template: "default.html",
    parsed_url: [parsed.protocol.slice(0, -1), parsed.host, parsed.pathname, "", parsed.search.slice(1), parsed.hash.slice(1)],
    img_src: "",
    priority: "",
    engines,
    positions: engines.map((_, index) => index + 1),
    score,
    category: "general",
    ...extra,
  };
}

/** A web hit a test adds to the fixed ones (e.g. a page the test serves itself). */
export interface SearxngHit {
  readonly url: string;
  readonly title: string;
  readonly content: string;
}

/** The "ok" answer; `extra` hits come first, before the fixed ones, as the best-scored results. */
export function searxngResultsBody(query: string, extra: readonly SearxngHit[] = []): string {
  return JSON.stringify({
    query,
    number_of_results: 0,
    results: [
      ...extra.map((hit) => webResult(hit.url, hit.title, hit.content, ["duckduckgo"], 10)),
      webResult(
        "https://tokio.rs/",
        "Tokio - An asynchronous Rust runtime",
        "Tokio is an event-driven, non-blocking I/O platform for writing asynchronous applications with the Rust programming language.",
        ["duckduckgo", "brave", "startpage"],
        9,
      ),
      webResult(
        "https://rust-lang.github.io/async-book/",
        "Asynchronous Programming in Rust",
        "This book aims to be a thorough guide to\n    asynchronous programming in Rust,\tfrom beginner to advanced.",
        ["brave", "duckduckgo"],
        6,
      ),
      webResult("https://tokio.rs/#tk-lib-runtime", "Tokio runtime", "A runtime for writing reliable network applications without compromising speed.", ["startpage"], 3.5),
      webResult("https://corrode.dev/blog/async/", "The State of Async Rust: Runtimes &amp; Ecosystem", SEARXNG_LONG_CONTENT, ["brave"], 3),
      {
        url: "magnet:?xt=urn:btih:4f1b0c6f7d2e9a8b3c5d7e9f1a2b4c6d8e0f1a2b&dn=rust-async-talks",
        title: "Rust async talks (video pack)",
        content: "",
        engine: "piratebay",
        template: "torrent.html",
        parsed_url: ["magnet", "", "", "", "xt=urn:btih:4f1b0c6f7d2e9a8b3c5d7e9f1a2b4c6d8e0f1a2b&dn=rust-async-talks", ""],
        seed: 12,
        leech: 1,
        filesize: 734003200,
        magnetlink: "magnet:?xt=urn:btih:4f1b0c6f7d2e9a8b3c5d7e9f1a2b4c6d8e0f1a2b&dn=rust-async-talks",
        engines: ["piratebay"],
        positions: [1],
        score: 1,
        category: "files",
      },
      webResult("https://docs.rs/smol/latest/smol/", "smol - Rust", "A small and fast async runtime.", ["duckduckgo"], 1),
    ],
    answers: [],
    corrections: [],
    infoboxes: [
      {
        infobox: "Rust",
        id: "https://en.wikipedia.org/wiki/Rust_(programming_language)",
        content: "Rust is a general-purpose programming language emphasizing performance, type safety, and concurrency.",
        img_src: "https://upload.wikimedia.org/wikipedia/commons/d/d5/Rust_programming_language_black_logo.svg",
        urls: [{ title: "Official website", url: "https://www.rust-lang.org/", official: true }],
        engine: "wikipedia",
        engines: ["wikipedia"],
        attributes: [],
      },
    ],
    suggestions: ["rust async runtime comparison", "tokio vs async-std"],
    unresponsive_engines: [["google", "timeout"]],
  });
}

/** No hits, and every engine answered. */
export function searxngEmptyBody(query: string): string {
  return JSON.stringify({ query, number_of_results: 0, results: [], answers: [], corrections: [], infoboxes: [], suggestions: [], unresponsive_engines: [] });
}

/** No hits because every engine SearXNG asked failed (its engines are being bot-checked). */
export function searxngEnginesFailedBody(query: string): string {
  return JSON.stringify({
    query,
    number_of_results: 0,
    results: [],
    answers: [],
    corrections: [],
    infoboxes: [],
    suggestions: [],
    unresponsive_engines: [
      ["duckduckgo", "CAPTCHA"],
      ["google", "timeout"],
      ["brave", "too many requests"],
    ],
  });
}

/** Flask's page for `abort(403)`: what SearXNG answers when `json` is not in `search.formats`. */
export const SEARXNG_FORBIDDEN_PAGE = `<!doctype html>
<html lang=en>
<title>403 Forbidden</title>
<h1>Forbidden</h1>
<p>You don&#39;t have the permission to access the requested resource. It is either read-protected or not readable by the server.</p>
`;

/** Flask's 500 page. */
export const SEARXNG_SERVER_ERROR_PAGE = `<!doctype html>
<html lang=en>
<title>500 Internal Server Error</title>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>
`;

/** The HTML result page SearXNG serves without `format=json` (trimmed). */
export function searxngHtmlPage(query: string): string {
  return `<!DOCTYPE html>
<html class="no-js theme-auto center-alignment-no" lang="en-EN">
<head><meta charset="UTF-8"><title>${query.replace(/[<&>"]/g, "")} - SearXNG</title></head>
<body class="results_endpoint"><main id="main_results"><div id="urls" role="main">
<article class="result result-default category-general"><a href="https://tokio.rs/" class="url_header">tokio.rs</a><h3><a href="https://tokio.rs/">Tokio</a></h3></article>
</div></main></body></html>`;
}
