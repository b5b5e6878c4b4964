import { describe, expect, it } from "vitest";
import { readDuckDuckGoPage, resolveDuckDuckGoHref } from "../../tools/web-search/duckduckgo-page.js";
import {
  CAPTIVE_PORTAL_PAGE,
  DUCKDUCKGO_BLOCKED_PAGE,
  DUCKDUCKGO_HITS,
  duckDuckGoAnomalyPage,
  duckDuckGoNoResultsPage,
  duckDuckGoResultsPage,
} from "../support/fake-search/duckduckgo-fixture.js";

describe("resolveDuckDuckGoHref", () => {
  it("decodes the uddg redirect to the real address", () => {
    expect(resolveDuckDuckGoHref("//duckduckgo.com/l/?uddg=https%3A%2F%2Ftokio.rs%2F&rut=abc123")).toBe("https://tokio.rs/");
    expect(resolveDuckDuckGoHref("https://duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1%26c%3D2%23d&rut=x")).toBe("https://example.org/a?b=1&c=2#d");
  });

  it("decodes percent-encoding exactly once", () => {
    // The target itself contains %2F (an encoded slash in a path segment), so it arrives encoded twice.
    expect(resolveDuckDuckGoHref("//duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.org%2Fwiki%2FA%252FB")).toBe("https://example.org/wiki/A%2FB");
  });

  it("keeps direct links as they are", () => {
    expect(resolveDuckDuckGoHref("https://github.com/cloudwego/eino")).toBe("https://github.com/cloudwego/eino");
  });

  it("yields nothing for ad clicks, empty links and redirects without a target", () => {
    expect(resolveDuckDuckGoHref("https://duckduckgo.com/y.js?ad_domain=x.example&ad_provider=bingv7aa")).toBeUndefined();
    expect(resolveDuckDuckGoHref("//duckduckgo.com/l/?rut=abc")).toBeUndefined();
    expect(resolveDuckDuckGoHref("")).toBeUndefined();
    expect(resolveDuckDuckGoHref(null)).toBeUndefined();
  });
});

describe("readDuckDuckGoPage", () => {
  it("reads every organic hit of a result page in order, and not the ad or the zero-click box", () => {
    const page = readDuckDuckGoPage(duckDuckGoResultsPage("rust async runtime"));
    expect(page.kind).toBe("results");
    if (page.kind !== "results") return;
    expect(page.results.map((result) => result.url)).toEqual(DUCKDUCKGO_HITS.map((hit) => hit.url));
    expect(page.results[0]!.title.replace(/\s+/g, " ").trim()).toBe("Tokio - An asynchronous Rust runtime");
    expect(page.results.some((result) => result.title.includes("Fast Rust Hosting"))).toBe(false);
    expect(page.results.some((result) => result.url.includes("wikipedia.org/wiki/Rust_"))).toBe(false);
  });

  it("skips ad blocks by their class even when the ad links straight to the advertiser", () => {
    const html = `<div id="links" class="results">
      <div class="result results_links results_links_deep result--ad result--ad--small"><h2 class="result__title"><a rel="nofollow" class="result__a" href="https://advertiser.example/landing">Buy now</a></h2></div>
      <div class="result results_links results_links_deep web-result "><h2 class="result__title"><a rel="nofollow" class="result__a" href="https://organic.example/">Organic</a></h2><a class="result__snippet" href="https://organic.example/">Text</a></div>
    </div>`;
    expect(readDuckDuckGoPage(html)).toEqual({ kind: "results", results: [{ title: "Organic", url: "https://organic.example/", snippet: "Text" }] });
  });

  it("reads DuckDuckGo's 'No results.' page as an empty list", () => {
    expect(readDuckDuckGoPage(duckDuckGoNoResultsPage("xyzzy plugh"))).toEqual({ kind: "results", results: [] });
  });

  it("recognises the bot check page", () => {
    expect(readDuckDuckGoPage(duckDuckGoAnomalyPage("rust"))).toEqual({ kind: "challenge" });
  });

  it("recognises the bot check by any of its markers alone", () => {
    for (const html of [
      '<form id="challenge-form" action="/x"></form>',
      '<form action="//duckduckgo.com/anomaly.js?sv=html" method="POST"></form>',
      '<div data-testid="anomaly-modal"></div>',
      '<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>',
    ]) {
      expect(readDuckDuckGoPage(`<html><body>${html}</body></html>`), html).toEqual({ kind: "challenge" });
    }
  });

  it("does not take a page that is not a result page for 'no results'", () => {
    expect(readDuckDuckGoPage(CAPTIVE_PORTAL_PAGE)).toEqual({ kind: "unrecognized" });
    expect(readDuckDuckGoPage(DUCKDUCKGO_BLOCKED_PAGE)).toEqual({ kind: "unrecognized" });
    expect(readDuckDuckGoPage("")).toEqual({ kind: "unrecognized" });
  });
});
