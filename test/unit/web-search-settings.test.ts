import { describe, expect, it } from "vitest";
import { EgressGate } from "../../src/egress.js";
import { BurrowError, ConfigError } from "../../src/errors.js";
import { BraveProvider, createSearchProvider, formatResultsForModel, SearchError } from "../../tools/web-search/index.js";
import { retryAfterSeconds } from "../../tools/web-search/retry-after.js";
import { normalizeQuery, resultLimit } from "../../tools/web-search/search-query.js";

const gate = new EgressGate(() => {});

function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("no ConfigError was thrown");
}

describe("createSearchProvider", () => {
  it("returns nothing when search is off", () => {
    expect(createSearchProvider({ provider: "off", searxngUrl: "http://localhost:8080" }, gate)).toBeUndefined();
  });

  it("defaults each provider to its real address", () => {
    expect(createSearchProvider({ provider: "duckduckgo" }, gate)?.origin).toBe("https://html.duckduckgo.com");
    expect(createSearchProvider({ provider: "brave", braveApiKey: "BSAkey12345" }, gate)?.origin).toBe("https://api.search.brave.com");
    expect(createSearchProvider({ provider: "searxng", searxngUrl: "http://localhost:8080" }, gate)?.origin).toBe("http://localhost:8080");
  });

  it("sends to BURROW_SEARCH_URL instead when it is set", () => {
    expect(createSearchProvider({ provider: "duckduckgo", baseUrl: "http://127.0.0.1:9999" }, gate)?.origin).toBe("http://127.0.0.1:9999");
    expect(createSearchProvider({ provider: "searxng", searxngUrl: "http://localhost:8080", baseUrl: "https://mirror.example" }, gate)?.origin).toBe("https://mirror.example");
  });

  it("names BURROW_SEARXNG_URL when SearXNG has no address", () => {
    const error = configError(() => createSearchProvider({ provider: "searxng" }, gate));
    expect(error.setting).toBe("BURROW_SEARXNG_URL");
    expect(error.message).toContain("BURROW_SEARCH_PROVIDER=searxng");
    expect(error.hint).toMatch(/Set BURROW_SEARXNG_URL to its root address, e\.g\. http:\/\/localhost:8080/);
  });

  it("names BURROW_BRAVE_API_KEY when Brave has no key", () => {
    for (const braveApiKey of [undefined, "", "   "]) {
      const error = configError(() => createSearchProvider({ provider: "brave", braveApiKey }, gate));
      expect(error.setting).toBe("BURROW_BRAVE_API_KEY");
      expect(error.hint).toMatch(/BURROW_BRAVE_API_KEY_FILE/);
    }
  });

  it("names the setting that holds an unusable address", () => {
    expect(configError(() => createSearchProvider({ provider: "searxng", searxngUrl: "localhost:8080" }, gate)).setting).toBe("BURROW_SEARXNG_URL");
    expect(configError(() => createSearchProvider({ provider: "searxng", searxngUrl: "ftp://host" }, gate)).setting).toBe("BURROW_SEARXNG_URL");
    expect(configError(() => createSearchProvider({ provider: "duckduckgo", baseUrl: "http://user:pw@host" }, gate)).setting).toBe("BURROW_SEARCH_URL");
  });

  it("refuses a key spanning lines without printing it", () => {
    const error = configError(() => new BraveProvider({ gate, apiKey: "secret-part-1\nsecret-part-2" }));
    expect(error.setting).toBe("BURROW_BRAVE_API_KEY");
    expect(error.toUserText()).not.toContain("secret");
  });
});

describe("normalizeQuery and resultLimit", () => {
  it("makes the query one trimmed line", () => {
    expect(normalizeQuery("  rust\n async\truntime ")).toBe("rust async runtime");
  });

  it("cuts a pasted paragraph to 400 characters at a word", () => {
    const query = normalizeQuery("word ".repeat(200));
    expect(query.length).toBeLessThanOrEqual(400);
    expect(query.endsWith("word")).toBe(true);
  });

  it("refuses an empty query as a caller's mistake, not as a provider failure", () => {
    expect(() => normalizeQuery(" \n ")).toThrow("The web search query is empty.");
    let thrown: unknown;
    try {
      normalizeQuery("");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BurrowError);
    expect(thrown).not.toBeInstanceOf(SearchError);
    expect((thrown as BurrowError).code).toBe("search_query_empty");
  });

  it("defaults to 5 results and keeps the limit between 1 and 20", () => {
    expect(resultLimit(undefined)).toBe(5);
    expect(resultLimit(Number.NaN)).toBe(5);
    expect(resultLimit(0)).toBe(1);
    expect(resultLimit(3.7)).toBe(3);
    expect(resultLimit(100)).toBe(20);
  });
});

describe("retryAfterSeconds", () => {
  const now = Date.parse("2025-06-01T12:00:00Z");

  it("reads Retry-After in seconds or as an HTTP date", () => {
    expect(retryAfterSeconds({ "retry-after": "120" }, now)).toBe(120);
    expect(retryAfterSeconds({ "retry-after": "Sun, 01 Jun 2025 12:01:30 GMT" }, now)).toBe(90);
    expect(retryAfterSeconds({ "retry-after": "Sun, 01 Jun 2025 11:00:00 GMT" }, now)).toBe(0);
  });

  it("prefers Retry-After over Brave's rate-limit headers", () => {
    expect(retryAfterSeconds({ "retry-after": "7", "x-ratelimit-reset": "1, 1419704", "x-ratelimit-remaining": "0, 10" }, now)).toBe(7);
  });

  it("takes the reset of the exhausted window: the second one when the monthly quota is used up", () => {
    expect(retryAfterSeconds({ "x-ratelimit-reset": "1, 1419704", "x-ratelimit-remaining": "0, 1943" }, now)).toBe(1);
    expect(retryAfterSeconds({ "x-ratelimit-reset": "1, 1419704", "x-ratelimit-remaining": "1, 0" }, now)).toBe(1_419_704);
  });

  it("says nothing when the provider did not", () => {
    expect(retryAfterSeconds({}, now)).toBeUndefined();
    expect(retryAfterSeconds({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterSeconds({ "x-ratelimit-reset": "a, b" }, now)).toBeUndefined();
  });
});

describe("formatResultsForModel", () => {
  it("numbers the results compactly, in order, for citing", () => {
    expect(
      formatResultsForModel([
        { title: "Tokio", url: "https://tokio.rs/", snippet: "An async runtime." },
        { title: "smol - Rust", url: "https://docs.rs/smol/", snippet: "" },
        { title: "Async book", url: "https://rust-lang.github.io/async-book/", snippet: "A guide." },
      ]),
    ).toBe("[1] Tokio — https://tokio.rs/\nAn async runtime.\n[2] smol - Rust — https://docs.rs/smol/\n[3] Async book — https://rust-lang.github.io/async-book/\nA guide.");
  });

  it("says so when there is nothing", () => {
    expect(formatResultsForModel([])).toBe("No results.");
  });
});
