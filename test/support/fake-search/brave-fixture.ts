/**
 * Bodies in the shape of the Brave Search API (GET /res/v1/web/search): `type: "search"`, the `query`
 * block, `mixed` (the ranking of sections), `web.results[]` with title, url, description (with `<strong>`
 * around query words and HTML entities, as Brave's default text decorations produce), profile, meta_url,
 * age…, and a `videos` section Burrow ignores. Errors are `{ type: "ErrorResponse", error: { id, status,
 * code, detail, meta } }`.
 */

function webResult(url: string, title: string, description: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    title,
    url,
    is_source_local: false,
    is_source_both: false,
    description,
    page_age: "2025-01-16T00:00:00",
    profile: { name: parsed.hostname, url, long_name: parsed.hostname, img: `https://imgs.search.brave.com/${parsed.hostname}/favicon.png` },
    language: "en",
    family_friendly: true,
    type: "search_result",
    subtype: "generic",
    is_live: false,
    meta_url: { scheme: parsed.protocol.slice(0, -1), netloc: parsed.host, hostname: parsed.hostname, favicon: `https://imgs.search.brave.com/${parsed.hostname}/favicon.png`, path: `› ${parsed.pathname.split("/").filter(Boolean).join(" › ")}` },
    age: "January 16, 2025",
    ...extra,
  };
}

function queryBlock(query: string): Record<string, unknown> {
  return {
    original: query,
    show_strict_warning: false,
    is_navigational: false,
    is_news_breaking: false,
    spellcheck_off: true,
    country: "us",
    bad_results: false,
    should_fallback: false,
    postal_code: "",
    city: "",
    header_country: "",
    more_results_available: true,
    state: "",
  };
}

/** The "ok" answer. `count` limits the hits like the real API. */
export function braveResultsBody(query: string, count: number): string {
  const results = [
    webResult(
      "https://tokio.rs/",
      "Tokio - An asynchronous Rust runtime",
      "<strong>Tokio</strong> is an event-driven, non-blocking I/O platform for writing <strong>asynchronous</strong> applications with the <strong>Rust</strong> programming language.",
    ),
    webResult(
      "https://rust-lang.github.io/async-book/",
      "Asynchronous Programming in Rust",
      "Welcome to &quot;<strong>Asynchronous</strong> Programming in <strong>Rust</strong>&quot;! If you&#x27;re looking to start writing <strong>async</strong> code, you&#x27;ve come to the right place.",
      { extra_snippets: ["The async book is a work in progress.", "Chapters cover futures, executors and pinning."] },
    ),
    webResult(
      "https://www.reddit.com/r/rust/comments/1b2c3d4/tokio_vs_asyncstd_vs_smol_in_2025/",
      "r/rust on Reddit: Tokio vs async-std vs smol in 2025?",
      "For most projects <strong>tokio</strong> is the default; <strong>smol</strong> is great when you want something small &amp; simple.",
      { subtype: "qa" },
    ),
    webResult("https://docs.rs/smol/latest/smol/", "smol - Rust", "A small and fast <strong>async</strong> <strong>runtime</strong>."),
  ].slice(0, count);
  return JSON.stringify({
    query: queryBlock(query),
    mixed: {
      type: "mixed",
      main: [
        { type: "web", index: 0, all: false },
        { type: "web", index: 1, all: false },
        { type: "videos", all: true },
        { type: "web", index: 2, all: false },
        { type: "web", index: 3, all: false },
      ],
      top: [],
      side: [],
    },
    type: "search",
    videos: {
      type: "videos",
      results: [
        {
          type: "video_result",
          url: "https://www.youtube.com/watch?v=ThjvMReOXYM",
          title: "Async Rust in 20 minutes",
          description: "An introduction to <strong>async</strong> <strong>Rust</strong>.",
          video: { duration: "20:11" },
          meta_url: { scheme: "https", netloc: "youtube.com", hostname: "www.youtube.com", favicon: "", path: "› watch" },
        },
      ],
      mutated_by_goggles: false,
    },
    web: { type: "search", results, family_friendly: true },
  });
}

/** Nothing matched: Brave leaves out the `web` section. */
export function braveEmptyBody(query: string): string {
  return JSON.stringify({ query: queryBlock(query), mixed: { type: "mixed", main: [], top: [], side: [] }, type: "search" });
}

export function braveErrorBody(status: number, code: string, detail: string, meta: Record<string, unknown>): string {
  return JSON.stringify({ type: "ErrorResponse", error: { id: "5d832250-9396-4f6e-b84a-2a1fe524cd7d", status, code, detail, meta }, time: 1_735_689_600 });
}
