import { describe, expect, it } from "vitest";
import { allowlistMatcher, normalizePageUrl } from "../../tools/web-page/page-url.js";

describe("normalizePageUrl", () => {
  it.each([
    ["https://News.Example/Path?q=1#frag", "https://news.example/Path?q=1"],
    ["  https://news.example  ", "https://news.example/"],
    ["https://news.example:443/a/../b", "https://news.example/b"],
    ["http://news.example:80/a b", "http://news.example/a%20b"],
    ["https://news.example/a?", "https://news.example/a?"],
    ["https://news.example/a#", "https://news.example/a"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizePageUrl(input)).toBe(expected);
  });

  it.each(["file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi", "ftp://news.example/", "news.example/a", ""])("rejects %j", (input) => {
    expect(normalizePageUrl(input)).toBeUndefined();
  });
});

describe("allowlistMatcher", () => {
  const matches = allowlistMatcher(new Set(["https://News.example/a?x=1#top", "not a url", "https://news.example/b"]));

  it("matches the same page, ignoring only the fragment and host case", () => {
    expect(matches(normalizePageUrl("https://news.example/a?x=1")!)).toBe(true);
    expect(matches(normalizePageUrl("https://NEWS.example/a?x=1#other")!)).toBe(true);
    expect(matches(normalizePageUrl("https://news.example/b")!)).toBe(true);
  });

  it.each([
    "https://news.example/a?x=2",
    "https://news.example/a?x=1&y=2",
    "https://news.example/a",
    "https://news.example/A?x=1",
    "http://news.example/a?x=1",
    "https://news.example:8443/a?x=1",
    "https://news.example/b/",
    "https://evil.example/a?x=1",
  ])("does not match %s", (url) => {
    expect(matches(normalizePageUrl(url)!)).toBe(false);
  });
});
