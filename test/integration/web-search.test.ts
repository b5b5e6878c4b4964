import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EgressGate, EgressRefusedError, type EgressRecord } from "../../src/egress.js";
import {
  BraveProvider,
  DuckDuckGoProvider,
  SearchError,
  SearxngProvider,
  createSearchProvider,
  type SearchErrorKind,
  type SearchProvider,
} from "../../tools/web-search/index.js";
import {
  FAKE_BRAVE_KEY,
  SEARXNG_LONG_CONTENT,
  startFakeBrave,
  startFakeDuckDuckGo,
  startFakeSearxng,
  type FakeBrave,
  type FakeDuckDuckGo,
  type FakeSearxng,
  type RecordedRequest,
} from "../support/fake-search/index.js";
import { until } from "../support/until.js";

/**
 * The three providers against local fakes that answer in the real services' formats, through a real
 * EgressGate: what is parsed, what leaves the machine, how each failure is reported, what the gate sees.
 */

const QUERY = "rust async runtime";
/**
 * Short, so the "slow" modes (5 s stalls) prove the timeout without slowing the suite; not shorter, so an
 * ordinary answer (including the first, cold request of the file) never runs into it on a busy machine.
 */
const TIMEOUT_MS = 1000;

function makeGate(): { gate: EgressGate; records: EgressRecord[] } {
  const records: EgressRecord[] = [];
  return { gate: new EgressGate((record) => records.push(record)), records };
}

async function searchError(promise: Promise<unknown>): Promise<SearchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SearchError) return error;
    throw error;
  }
  throw new Error("the search succeeded, but a SearchError was expected");
}

/** Headers that carry nothing about the person: no cookies, no referrer, no language, no credentials. */
function expectNothingPersonal(request: RecordedRequest): void {
  for (const name of ["cookie", "authorization", "referer", "accept-language", "x-forwarded-for", "dnt", "origin"]) {
    expect(request.headers, name).not.toHaveProperty(name);
  }
}

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("SearXNG provider", () => {
  let fake: FakeSearxng;
  let gate: EgressGate;
  let records: EgressRecord[];
  let provider: SearxngProvider;

  beforeAll(async () => {
    fake = await startFakeSearxng();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    fake.setMode("ok");
    fake.clearRequests();
    ({ gate, records } = makeGate());
    provider = new SearxngProvider({ gate, baseUrl: fake.url, timeoutMs: TIMEOUT_MS });
    await provider.start();
  });

  it("parses the results: entities decoded, whitespace collapsed, duplicates and non-http links dropped", async () => {
    const results = await provider.search(QUERY, { limit: 10 });
    expect(results.map((result) => result.url)).toEqual([
      "https://tokio.rs/",
      "https://rust-lang.github.io/async-book/",
      "https://corrode.dev/blog/async/",
      "https://docs.rs/smol/latest/smol/",
    ]);
    expect(results[0]).toEqual({
      title: "Tokio - An asynchronous Rust runtime",
      url: "https://tokio.rs/",
      snippet: "Tokio is an event-driven, non-blocking I/O platform for writing asynchronous applications with the Rust programming language.",
    });
    expect(results[1]!.snippet).toBe("This book aims to be a thorough guide to asynchronous programming in Rust, from beginner to advanced.");
    expect(results[2]!.title).toBe("The State of Async Rust: Runtimes & Ecosystem");
    const long = results[2]!.snippet;
    expect(long.length).toBeLessThanOrEqual(400);
    expect(long.endsWith("…")).toBe(true);
    const collapsed = SEARXNG_LONG_CONTENT.replace(/\s+/g, " ");
    expect(collapsed.startsWith(long.slice(0, -1))).toBe(true);
    expect(collapsed[long.length - 1]).toBe(" ");
    expect(results[3]).toEqual({ title: "smol - Rust", url: "https://docs.rs/smol/latest/smol/", snippet: "A small and fast async runtime." });
  });

  it("returns at most `limit` results, 5 by default", async () => {
    expect(await provider.search(QUERY, { limit: 2 })).toHaveLength(2);
    expect(await provider.search(QUERY)).toHaveLength(4);
  });

  it("sends the query and format=json, nothing else", async () => {
    await provider.search(`  ${QUERY}\n`);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe("GET");
    expect(request!.path).toBe("/search");
    expect(request!.queryKeys).toEqual(["q", "format"]);
    expect(request!.query).toEqual({ q: QUERY, format: "json" });
    expect(request!.body).toBe("");
    expect(Object.keys(request!.headers).sort()).toEqual(["accept", "connection", "host"]);
    expectNothingPersonal(request!);
  });

  it("writes one audit record per request, with purpose search and the job id", async () => {
    await provider.search(QUERY, { jobId: "job-42" });
    await provider.search(QUERY, { jobId: "job-43" });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ purpose: "search", method: "GET", host: new URL(fake.url).host, outcome: "allowed", status: 200, jobId: "job-42" });
    expect(records[1]).toMatchObject({ purpose: "search", outcome: "allowed", jobId: "job-43" });
    // The query is recorded exactly as sent (it is the one thing allowed out); nothing else of the request is.
    expect(records.map((record) => record.query)).toEqual([QUERY, QUERY]);
    expect(JSON.stringify(records.map(({ query: _query, ...rest }) => rest))).not.toContain("rust");
  });

  it("returns an empty list when SearXNG found nothing", async () => {
    fake.setMode("empty");
    expect(await provider.search(QUERY)).toEqual([]);
  });

  const failures: [mode: Parameters<FakeSearxng["setMode"]>[0], kind: SearchErrorKind, message: RegExp, hint: RegExp][] = [
    ["json-disabled", "refused", /SearXNG at http:\/\/127\.0\.0\.1:\d+ refused the JSON API \(HTTP 403\)/, /enable `json` under `search\.formats` in SearXNG's settings\.yml/i],
    ["server-error", "bad-response", /SearXNG failed while answering the search \(HTTP 500/, /Check that SearXNG at .* is running/],
    ["unavailable", "unreachable", /SearXNG is unavailable right now \(HTTP 503\)/, /Check that SearXNG at .* is running/],
    ["rate-limited", "rate-limited", /SearXNG at .* is rate-limiting Burrow \(HTTP 429/, /Try again in 30 s; .*server\.limiter: false/],
    ["malformed", "bad-response", /SearXNG answered, but not with its JSON results/, /JSON format enabled \(BURROW_SEARXNG_URL\)/],
    ["engines-failed", "rate-limited", /SearXNG found nothing because its engines failed: duckduckgo \(CAPTCHA\), google \(timeout\), brave \(too many requests\)/, /engines SearXNG asks are blocking it/],
    ["slow", "timeout", /SearXNG did not answer within 1 s/, /Check that SearXNG at .* is running and not overloaded/],
    ["slow-body", "timeout", /SearXNG did not answer within 1 s/, /not overloaded/],
    ["reset", "unreachable", /Could not reach SearXNG at 127\.0\.0\.1:\d+: /, /Check that SearXNG is running at .* \(BURROW_SEARXNG_URL\)/],
  ];
  it.each(failures)("%s → a SearchError of kind %s naming SearXNG, with a hint", async (mode, kind, message, hint) => {
    fake.setMode(mode);
    const error = await searchError(provider.search(QUERY));
    expect(error.provider).toBe("searxng");
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
    expect(error.toUserText()).toContain(error.hint);
    expect(records).toHaveLength(1);
    expect(records[0]!.purpose).toBe("search");
  });

  it("carries the status and Retry-After of a 429", async () => {
    fake.setMode("rate-limited", { retryAfterSeconds: 30 });
    const error = await searchError(provider.search(QUERY));
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.code).toBe("search_rate_limited");
  });

  it("times out promptly instead of waiting for the slow answer", async () => {
    fake.setMode("slow", { delayMs: 5000 });
    const started = performance.now();
    await searchError(provider.search(QUERY));
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("says where to point BURROW_SEARXNG_URL when the URL is a page, not the root", async () => {
    const wrong = new SearxngProvider({ gate, baseUrl: `${fake.url}/search`, timeoutMs: TIMEOUT_MS });
    await wrong.start();
    const error = await searchError(wrong.search(QUERY));
    expect(error.kind).toBe("bad-response");
    expect(error.status).toBe(404);
    expect(error.hint).toMatch(/BURROW_SEARXNG_URL to the instance's root address/);
  });

  it("reports an instance that is not running as unreachable", async () => {
    const port = await closedPort();
    const down = new SearxngProvider({ gate, baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    await down.start();
    const error = await searchError(down.search(QUERY));
    expect(error.kind).toBe("unreachable");
    expect(error.message).toMatch(/Could not reach SearXNG at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(error.hint).toContain(`http://127.0.0.1:${port}`);
  });
});

describe("DuckDuckGo provider", () => {
  let fake: FakeDuckDuckGo;
  let gate: EgressGate;
  let records: EgressRecord[];
  let provider: DuckDuckGoProvider;

  beforeAll(async () => {
    fake = await startFakeDuckDuckGo();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    fake.setMode("ok");
    fake.clearRequests();
    ({ gate, records } = makeGate());
    provider = new DuckDuckGoProvider({ gate, baseUrl: fake.url, timeoutMs: TIMEOUT_MS });
    await provider.start();
  });

  it("parses the result page: redirect links decoded, markup and entities gone, the ad skipped", async () => {
    const results = await provider.search(QUERY);
    expect(results).toEqual([
      {
        title: "Tokio - An asynchronous Rust runtime",
        url: "https://tokio.rs/",
        snippet: "Tokio is an event-driven, non-blocking I/O platform for writing asynchronous applications with the Rust programming language.",
      },
      {
        title: "Getting Started - Asynchronous Programming in Rust",
        url: "https://rust-lang.github.io/async-book/01_getting_started/01_chapter.html",
        snippet: `Welcome to "Asynchronous Programming in Rust"! If you're looking to start writing asynchronous Rust code, you've come to the right place.`,
      },
      {
        title: "async_std - Rust",
        url: "https://docs.rs/async-std/latest/async_std/",
        snippet: "Async version of the Rust standard library. async-std is a foundation of portable Rust software & a set of combinators.",
      },
      {
        title: "Async/await - Wikipedia",
        url: "https://en.wikipedia.org/wiki/Async/await?lang=en&utm_source=ddg#Rust",
        snippet:
          "In computer programming, the async/await pattern is a syntactic feature of many programming languages that allows an asynchronous, non-blocking function to be structured in a way similar to an ordinary synchronous function.",
      },
      { title: "smol - Rust", url: "https://docs.rs/smol/latest/smol/", snippet: "" },
    ]);
    expect(results.some((result) => /duckduckgo\.com|fastrusthost/.test(result.url))).toBe(false);
  });

  it("posts the query as the search form does, and nothing else", async () => {
    await provider.search(QUERY, { limit: 3 });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/html/");
    expect(request!.queryKeys).toEqual([]);
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request!.formKeys).toEqual(["q", "b"]);
    expect(request!.form).toEqual({ q: QUERY, b: "" });
    expect(Object.keys(request!.headers).sort()).toEqual(["accept", "connection", "content-length", "content-type", "host", "user-agent"]);
    expectNothingPersonal(request!);
  });

  it("can send a GET with the query in the URL instead", async () => {
    const viaGet = new DuckDuckGoProvider({ gate, baseUrl: fake.url, method: "GET", timeoutMs: TIMEOUT_MS });
    await viaGet.start();
    expect(await viaGet.search(QUERY, { limit: 2 })).toHaveLength(2);
    const [request] = fake.requests;
    expect(request!.method).toBe("GET");
    expect(request!.query).toEqual({ q: QUERY, b: "" });
    expect(request!.body).toBe("");
  });

  it("quotes a !bang so DuckDuckGo searches instead of redirecting", async () => {
    await provider.search("!w rust language");
    expect(fake.requests[0]!.form).toEqual({ q: "'!w' rust language", b: "" });
  });

  it("returns an empty list for DuckDuckGo's own 'No results.' page", async () => {
    fake.setMode("empty");
    expect(await provider.search(QUERY)).toEqual([]);
  });

  it("writes one audit record per request, with purpose search", async () => {
    await provider.search(QUERY, { jobId: "job-7" });
    expect(records).toEqual([expect.objectContaining({ purpose: "search", method: "POST", host: new URL(fake.url).host, outcome: "allowed", status: 200, jobId: "job-7" })]);
  });

  const rateLimitHint = /Try again in a few minutes, or set BURROW_SEARCH_PROVIDER=searxng/;
  const failures: [mode: Parameters<FakeDuckDuckGo["setMode"]>[0], kind: SearchErrorKind, status: number | undefined, message: RegExp, hint: RegExp][] = [
    ["anomaly", "rate-limited", 202, /DuckDuckGo is rate-limiting this machine: it answered with its bot check/, rateLimitHint],
    ["anomaly-200", "rate-limited", 200, /DuckDuckGo is rate-limiting this machine: it answered with its bot check/, rateLimitHint],
    ["blocked", "rate-limited", 403, /DuckDuckGo is rate-limiting this machine \(HTTP 403\)/, rateLimitHint],
    ["rate-limited", "rate-limited", 429, /DuckDuckGo is rate-limiting this machine \(HTTP 429\)/, /Try again in 30 s, or set BURROW_SEARCH_PROVIDER=searxng/],
    ["server-error", "bad-response", 500, /DuckDuckGo failed while answering the search \(HTTP 500/, /BURROW_SEARCH_PROVIDER=searxng/],
    ["unavailable", "unreachable", 503, /DuckDuckGo is unavailable right now \(HTTP 503\)/, /BURROW_SEARCH_PROVIDER=searxng/],
    ["malformed", "bad-response", 200, /DuckDuckGo answered, but not with a result page Burrow recognises/, /Burrow may need an update; meanwhile set BURROW_SEARCH_PROVIDER=searxng/],
    ["slow", "timeout", undefined, /DuckDuckGo did not answer within 1 s/, /internet connection/],
    ["slow-body", "timeout", undefined, /DuckDuckGo did not answer within 1 s/, /internet connection/],
    ["reset", "unreachable", undefined, /Could not reach DuckDuckGo at 127\.0\.0\.1:\d+: /, /internet connection, or set BURROW_SEARCH_PROVIDER=searxng/],
  ];
  it.each(failures)("%s → a SearchError of kind %s naming DuckDuckGo, with a hint", async (mode, kind, status, message, hint) => {
    fake.setMode(mode);
    const error = await searchError(provider.search(QUERY));
    expect(error.provider).toBe("duckduckgo");
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
    expect(records).toEqual([expect.objectContaining({ purpose: "search" })]);
  });

  it("tells rate limiting apart from 'no results'", async () => {
    fake.setMode("empty");
    await expect(provider.search(QUERY)).resolves.toEqual([]);
    fake.setMode("anomaly");
    await expect(provider.search(QUERY)).rejects.toMatchObject({ kind: "rate-limited" });
  });

  it("words a longer Retry-After in minutes", async () => {
    fake.setMode("rate-limited", { retryAfterSeconds: 120 });
    const error = await searchError(provider.search(QUERY));
    expect(error.retryAfterSeconds).toBe(120);
    expect(error.hint).toMatch(/^Try again in about 2 minutes/);
  });
});

describe("Brave provider", () => {
  let fake: FakeBrave;
  let gate: EgressGate;
  let records: EgressRecord[];
  let provider: BraveProvider;

  beforeAll(async () => {
    fake = await startFakeBrave();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    fake.setMode("ok");
    fake.clearRequests();
    ({ gate, records } = makeGate());
    provider = new BraveProvider({ gate, apiKey: FAKE_BRAVE_KEY, baseUrl: fake.url, timeoutMs: TIMEOUT_MS });
    await provider.start();
  });

  it("parses web.results: <strong> markup stripped, entities decoded", async () => {
    expect(await provider.search(QUERY)).toEqual([
      {
        title: "Tokio - An asynchronous Rust runtime",
        url: "https://tokio.rs/",
        snippet: "Tokio is an event-driven, non-blocking I/O platform for writing asynchronous applications with the Rust programming language.",
      },
      {
        title: "Asynchronous Programming in Rust",
        url: "https://rust-lang.github.io/async-book/",
        snippet: `Welcome to "Asynchronous Programming in Rust"! If you're looking to start writing async code, you've come to the right place.`,
      },
      {
        title: "r/rust on Reddit: Tokio vs async-std vs smol in 2025?",
        url: "https://www.reddit.com/r/rust/comments/1b2c3d4/tokio_vs_asyncstd_vs_smol_in_2025/",
        snippet: "For most projects tokio is the default; smol is great when you want something small & simple.",
      },
      { title: "smol - Rust", url: "https://docs.rs/smol/latest/smol/", snippet: "A small and fast async runtime." },
    ]);
  });

  it("sends q and count, and the key only in X-Subscription-Token", async () => {
    expect(await provider.search(QUERY, { limit: 2, jobId: "job-9" })).toHaveLength(2);
    const [request] = fake.requests;
    expect(request!.method).toBe("GET");
    expect(request!.path).toBe("/res/v1/web/search");
    expect(request!.queryKeys).toEqual(["q", "count"]);
    expect(request!.query).toEqual({ q: QUERY, count: "2" });
    expect(request!.headers["x-subscription-token"]).toBe(FAKE_BRAVE_KEY);
    expect(request!.headers["accept"]).toBe("application/json");
    expect(Object.keys(request!.headers).sort()).toEqual(["accept", "connection", "host", "x-subscription-token"]);
    expectNothingPersonal(request!);
    expect(records).toEqual([expect.objectContaining({ purpose: "search", outcome: "allowed", status: 200, jobId: "job-9" })]);
    expect(JSON.stringify(records)).not.toContain(FAKE_BRAVE_KEY);
  });

  it("returns an empty list when Brave has no web section", async () => {
    fake.setMode("empty");
    expect(await provider.search(QUERY)).toEqual([]);
  });

  it("reports a wrong key (Brave's 422 SUBSCRIPTION_TOKEN_INVALID) as auth, without echoing the key", async () => {
    const wrongKey = "BSAwrongKey9876543210";
    const wrong = new BraveProvider({ gate, apiKey: wrongKey, baseUrl: fake.url, timeoutMs: TIMEOUT_MS });
    await wrong.start();
    const error = await searchError(wrong.search(QUERY));
    expect(error).toMatchObject({ provider: "brave", kind: "auth", status: 422 });
    expect(error.message).toBe("Brave Search rejected the API key (HTTP 422 SUBSCRIPTION_TOKEN_INVALID): The provided subscription token is invalid.");
    expect(error.hint).toMatch(/Check BURROW_BRAVE_API_KEY/);
    expect(error.toUserText()).not.toContain(wrongKey);
  });

  const failures: [mode: Parameters<FakeBrave["setMode"]>[0], kind: SearchErrorKind, status: number | undefined, message: RegExp, hint: RegExp][] = [
    ["unauthorized", "auth", 401, /Brave Search rejected the API key \(HTTP 401 UNAUTHORIZED\)/, /Check BURROW_BRAVE_API_KEY/],
    ["forbidden", "auth", 403, /Brave Search rejected the API key \(HTTP 403 OPTION_NOT_IN_PLAN\)/, /Check BURROW_BRAVE_API_KEY/],
    ["rate-limited", "rate-limited", 429, /Brave Search is rate-limiting this key \(HTTP 429 RATE_LIMITED\): Request rate limit exceeded for plan\./, /Try again in 30 s; a free plan allows 1 search per second/],
    ["server-error", "bad-response", 500, /Brave Search failed while answering the search \(HTTP 500/, /BURROW_SEARCH_PROVIDER=duckduckgo/],
    ["malformed", "bad-response", 200, /Brave Search answered, but not with its JSON search results/, /BURROW_SEARCH_PROVIDER=duckduckgo/],
    ["slow", "timeout", undefined, /Brave Search did not answer within 1 s/, /internet connection/],
    ["reset", "unreachable", undefined, /Could not reach Brave Search at 127\.0\.0\.1:\d+: /, /internet connection/],
  ];
  it.each(failures)("%s → a SearchError of kind %s naming Brave, with a hint", async (mode, kind, status, message, hint) => {
    fake.setMode(mode);
    const error = await searchError(provider.search(QUERY));
    expect(error.provider).toBe("brave");
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
    expect(records).toEqual([expect.objectContaining({ purpose: "search" })]);
  });

  it("reads the wait from X-RateLimit-Reset when there is no Retry-After", async () => {
    fake.setMode("rate-limited", { retryAfterSeconds: null });
    const error = await searchError(provider.search(QUERY));
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.hint).toMatch(/^Try again in 1 s/);
  });
});

describe("the egress gate decides where searches may go", () => {
  let fake: FakeSearxng;
  let other: FakeSearxng;

  beforeAll(async () => {
    [fake, other] = await Promise.all([startFakeSearxng(), startFakeSearxng()]);
  });
  afterAll(async () => {
    await Promise.all([fake.close(), other.close()]);
  });
  beforeEach(() => {
    fake.clearRequests();
    other.clearRequests();
  });

  async function expectRefused(provider: SearchProvider, records: EgressRecord[], server: FakeSearxng): Promise<void> {
    const error = await searchError(provider.search(QUERY));
    expect(error.kind).toBe("refused");
    expect(error.cause).toBeInstanceOf(EgressRefusedError);
    expect(error.message).toMatch(/^SearXNG search was not sent: Burrow refused to contact 127\.0\.0\.1:\d+ for search/);
    expect(error.hint).toMatch(/stopped/);
    expect(server.requests).toHaveLength(0);
    expect(records.at(-1)).toMatchObject({ purpose: "search", outcome: "refused", host: new URL(server.url).host });
  }

  it("refuses a provider that was never started", async () => {
    const { gate, records } = makeGate();
    await expectRefused(new SearxngProvider({ gate, baseUrl: fake.url }), records, fake);
  });

  it("refuses a provider after stop(), and allows it again after start()", async () => {
    const { gate, records } = makeGate();
    const provider = new SearxngProvider({ gate, baseUrl: fake.url });
    await provider.start();
    await provider.start(); // idempotent: one registration, so one stop() withdraws it
    expect(await provider.search(QUERY)).toHaveLength(4);
    await provider.stop();
    fake.clearRequests();
    await expectRefused(provider, records, fake);
    await provider.start();
    expect(await provider.search(QUERY)).toHaveLength(4);
  });

  it("allows only the started provider's own origin", async () => {
    const { gate, records } = makeGate();
    const started = new SearxngProvider({ gate, baseUrl: fake.url });
    await started.start();
    const elsewhere = new SearxngProvider({ gate, baseUrl: other.url });
    await expectRefused(elsewhere, records, other);
    expect(await started.search(QUERY)).toHaveLength(4);
  });

  it("keeps one provider's registration when another for the same origin stops", async () => {
    const { gate } = makeGate();
    const first = new SearxngProvider({ gate, baseUrl: fake.url });
    const second = new SearxngProvider({ gate, baseUrl: fake.url });
    await first.start();
    await second.start();
    await second.stop();
    expect(await first.search(QUERY)).toHaveLength(4);
  });
});

describe("cancelling a search", () => {
  let fake: FakeDuckDuckGo;

  beforeAll(async () => {
    fake = await startFakeDuckDuckGo();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.clearRequests();
    fake.setMode("slow", { delayMs: 5000 });
  });

  it("rejects promptly with the signal's reason, not a SearchError", async () => {
    const { gate, records } = makeGate();
    const provider = new DuckDuckGoProvider({ gate, baseUrl: fake.url, timeoutMs: 10_000 });
    await provider.start();
    const controller = new AbortController();
    const reason = new Error("job cancelled by the user");
    const pending = provider.search(QUERY, { signal: controller.signal }).catch((error: unknown) => error);
    // Aborted once the request has reached the (stalling) server, the way a cancel arrives mid-search.
    await until(() => fake.requests.length > 0, 2000, "the search to reach the server");
    const started = performance.now();
    controller.abort(reason);
    const outcome = await pending;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outcome).toBe(reason);
    expect(fake.requests).toHaveLength(1);
    expect(records).toEqual([expect.objectContaining({ purpose: "search", outcome: "failed", reason: "cancelled" })]);
  });

  it("rejects with a plain AbortError when aborted without a reason", async () => {
    const { gate } = makeGate();
    const provider = new DuckDuckGoProvider({ gate, baseUrl: fake.url, timeoutMs: 10_000 });
    await provider.start();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await provider.search(QUERY, { signal: controller.signal }).catch((error: unknown) => error);
    expect(outcome).not.toBeInstanceOf(SearchError);
    expect((outcome as Error).name).toBe("AbortError");
  });

  it("sends nothing when the signal is already aborted", async () => {
    const { gate, records } = makeGate();
    const provider = new DuckDuckGoProvider({ gate, baseUrl: fake.url });
    await provider.start();
    const controller = new AbortController();
    controller.abort(new Error("already cancelled"));
    await expect(provider.search(QUERY, { signal: controller.signal })).rejects.toThrow("already cancelled");
    expect(fake.requests).toHaveLength(0);
    expect(records).toHaveLength(0);
  });
});

describe("createSearchProvider against the fakes", () => {
  let fake: FakeDuckDuckGo;

  beforeAll(async () => {
    fake = await startFakeDuckDuckGo();
  });
  afterAll(async () => {
    await fake.close();
  });

  it("builds a DuckDuckGo provider that BURROW_SEARCH_URL points at a mirror", async () => {
    const { gate, records } = makeGate();
    const provider = createSearchProvider({ provider: "duckduckgo", baseUrl: fake.url }, gate);
    expect(provider?.name).toBe("duckduckgo");
    expect(provider?.origin).toBe(fake.origin);
    await provider!.start();
    expect(await provider!.search(QUERY, { limit: 1 })).toEqual([expect.objectContaining({ url: "https://tokio.rs/" })]);
    await provider!.stop();
    expect(records).toHaveLength(1);
  });
});
