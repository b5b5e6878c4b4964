import { describe, expect, it } from "vitest";
import { classifyBody, decodeBody } from "../../tools/web-page/content-type.js";
import { htmlToText } from "../../tools/web-page/html-text.js";

const bytes = (text: string, encoding: BufferEncoding = "utf8"): Buffer => Buffer.from(text, encoding);

describe("classifyBody", () => {
  it.each([
    ["text/html; charset=utf-8", "html"],
    ["application/xhtml+xml", "html"],
    ["TEXT/PLAIN", "text"],
    ["text/markdown", "text"],
    ["text/csv", "text"],
    ["application/json", "text"],
    ["application/ld+json", "text"],
    ["application/rss+xml", "text"],
    ["application/pdf", "unsupported"],
    ["image/jpeg", "unsupported"],
    ["video/mp4", "unsupported"],
    ["application/zip", "unsupported"],
    ["application/octet-stream", "unsupported"],
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "unsupported"],
  ])("%s is %s", (type, kind) => {
    expect(classifyBody(type, bytes("x")).kind).toBe(kind);
  });

  it("labels refused types in words", () => {
    expect(classifyBody("application/pdf", bytes("%PDF"))).toEqual({ kind: "unsupported", mime: "application/pdf", label: "a PDF document" });
    expect(classifyBody("image/webp", bytes(""))).toMatchObject({ label: "an image" });
  });

  it("sniffs a body without a content type", () => {
    expect(classifyBody(undefined, bytes("\uFEFF  <!DOCTYPE html><p>x"))).toMatchObject({ kind: "html" });
    expect(classifyBody("", bytes("<html><body>x"))).toMatchObject({ kind: "html" });
    expect(classifyBody(undefined, bytes("just words"))).toMatchObject({ kind: "text" });
    expect(classifyBody(undefined, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]))).toMatchObject({ kind: "unsupported", label: "a binary file" });
  });
});

describe("decodeBody", () => {
  it("defaults to UTF-8 and replaces invalid bytes instead of failing", () => {
    expect(decodeBody(bytes("naïve ☃"), undefined, "text")).toBe("naïve ☃");
    expect(decodeBody(Buffer.from([0x61, 0xff, 0x62]), "text/plain", "text")).toBe("a\uFFFDb");
  });

  it("honours the Content-Type charset, then <meta charset> for HTML", () => {
    expect(decodeBody(bytes("café", "latin1"), "text/plain; charset=ISO-8859-1", "text")).toBe("café");
    expect(decodeBody(bytes("café", "latin1"), 'text/plain; charset="windows-1252"', "text")).toBe("café");
    const shiftJis = Buffer.from([0x93, 0xfa, 0x96, 0x7b]); // 日本
    expect(decodeBody(shiftJis, "text/plain; charset=shift_jis", "text")).toBe("日本");
    const html = bytes('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>Noël</p>', "latin1");
    expect(decodeBody(html, "text/html", "html")).toContain("Noël");
    // The header wins over the <meta>.
    expect(decodeBody(bytes('<meta charset="windows-1252"><p>Noël</p>'), "text/html; charset=utf-8", "html")).toContain("Noël");
  });

  it("falls back to UTF-8 for charsets TextDecoder does not know, and follows a BOM", () => {
    expect(decodeBody(bytes("plain"), "text/plain; charset=x-made-up", "text")).toBe("plain");
    expect(decodeBody(Buffer.concat([Buffer.from([0xff, 0xfe]), bytes("hi", "utf16le")]), "text/plain; charset=latin1", "text")).toBe("hi");
  });
});

describe("htmlToText", () => {
  it("keeps paragraphs, list items, line breaks and preformatted text apart", () => {
    const { text } = htmlToText(`<!doctype html><html><head><title> Spaced
      title </title></head><body><div><p>One   two
      three.</p><ul><li>First item</li><li>Second <b>bold</b> item</li></ul><p>Line<br>break</p><pre>  indented
    code</pre><table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table></div></body></html>`);
    expect(text).toBe("One two three.\n\n- First item\n- Second bold item\n\nLine\nbreak\n\n  indented\n    code\n\na b\nc d");
  });

  it("leaves out hidden elements, scripts, styles and templates", () => {
    const { text, title } = htmlToText(
      `<p>Visible.</p><p hidden>HIDDEN-ATTR</p><p style="display: none">HIDDEN-STYLE</p><p aria-hidden="true">HIDDEN-ARIA</p><script>SCRIPT</script><style>p{}</style><template>TEMPLATE</template><noscript>NOSCRIPT</noscript><p>Also visible.</p>`,
    );
    expect(text).toBe("Visible.\n\nAlso visible.");
    expect(title).toBe("");
  });

  it("uses the document title when Readability has none to offer", () => {
    expect(htmlToText("<html><head><title>Only a title</title></head><body><p>Tiny.</p></body></html>")).toEqual({ title: "Only a title", text: "Tiny." });
  });
});
