import { describe, expect, it } from "vitest";
import { finishResults, normalizeResultUrl } from "../../tools/web-search/result-list.js";
import { cleanText, decodeEntities, htmlToText } from "../../tools/web-search/result-text.js";

describe("htmlToText", () => {
  it("drops markup and decodes entities, as Brave's snippets need", () => {
    expect(htmlToText("The <strong>Swift</strong> &amp; you &#x27;n&#39; me &hellip;")).toBe("The Swift & you 'n' me …");
  });

  it("drops script and style contents", () => {
    expect(htmlToText("a<script>alert(1)</script>b<style>p{}</style>c")).toBe("abc");
  });

  it("keeps plain text as it is", () => {
    expect(htmlToText("plain words")).toBe("plain words");
  });
});

describe("decodeEntities", () => {
  it("decodes named and numeric references", () => {
    expect(decodeEntities("Tom &amp; Jerry &#8211; &#x2014; &eacute;")).toBe("Tom & Jerry – — é");
  });

  it("keeps a literal < as text instead of reading a tag", () => {
    expect(decodeEntities("if a<b && c>d &amp; <i>x</i>")).toBe("if a<b && c>d & <i>x</i>");
  });

  it("leaves text without & untouched", () => {
    expect(decodeEntities("x < y")).toBe("x < y");
  });
});

describe("cleanText", () => {
  it("makes one trimmed line", () => {
    expect(cleanText("  a\n\tb \u00a0 c  ", 100)).toBe("a b c");
  });

  it("removes invisible characters that could disguise a title", () => {
    expect(cleanText("pay\u200bpal\u202e.com\u0007", 100)).toBe("paypal.com");
  });

  it("caps at a word boundary and marks the cut", () => {
    const text = "alpha beta gamma delta epsilon zeta";
    const cut = cleanText(text, 20);
    expect(cut).toBe("alpha beta gamma…");
    expect(cut.length).toBeLessThanOrEqual(20);
  });

  it("cuts inside a very long word when there is no space near the end", () => {
    expect(cleanText("a".repeat(50), 10)).toBe(`${"a".repeat(9)}…`);
  });

  it("never leaves half of a surrogate pair", () => {
    const cut = cleanText(`${"x".repeat(8)}😀😀`, 10);
    expect(cut).toBe(`${"x".repeat(8)}…`);
    expect(cut.length).toBeLessThanOrEqual(10);
  });
});

describe("normalizeResultUrl", () => {
  it("accepts absolute http(s) URLs", () => {
    expect(normalizeResultUrl(" https://example.org/a b ")?.href).toBe("https://example.org/a%20b");
    expect(normalizeResultUrl("http://example.org")?.href).toBe("http://example.org/");
  });

  it("rejects other schemes, relative links and credentials", () => {
    for (const url of ["magnet:?xt=urn:btih:abc", "javascript:alert(1)", "ftp://example.org/x", "/relative", "//example.org/x", "https://user:pw@example.org/", "not a url"]) {
      expect(normalizeResultUrl(url), url).toBeUndefined();
    }
  });
});

describe("finishResults", () => {
  const hit = (url: string, title = "T", snippet = "S") => ({ url, title, snippet });

  it("keeps the order, drops unusable links and repeats of a page (fragment ignored)", () => {
    const results = finishResults([hit("https://a.example/"), hit("magnet:?x"), hit("https://a.example/#part"), hit("https://b.example/x"), hit("https://a.example/")], 10);
    expect(results.map((result) => result.url)).toEqual(["https://a.example/", "https://b.example/x"]);
  });

  it("caps at the limit after filtering", () => {
    const results = finishResults([hit("ftp://x"), hit("https://1.example/"), hit("https://2.example/"), hit("https://3.example/")], 2);
    expect(results.map((result) => result.url)).toEqual(["https://1.example/", "https://2.example/"]);
  });

  it("caps titles at 200 and snippets at 400 characters", () => {
    const [result] = finishResults([hit("https://a.example/", "t ".repeat(300), "s ".repeat(500))], 1);
    expect(result!.title.length).toBeLessThanOrEqual(200);
    expect(result!.snippet.length).toBeLessThanOrEqual(400);
    expect(result!.title.endsWith("…")).toBe(true);
  });

  it("uses the address as the title when a result has none", () => {
    expect(finishResults([hit("https://docs.example.org/guide?x=1", "  ", "")], 1)).toEqual([{ title: "docs.example.org/guide", url: "https://docs.example.org/guide?x=1", snippet: "" }]);
  });
});
