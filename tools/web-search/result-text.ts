import { parseHTML } from "linkedom";

/**
 * Turning what providers send (HTML fragments, text with entities) into short plain text for the model.
 * Markup is read with a real HTML parser (linkedom), never with regular expressions: snippets are
 * third-party text, and a regex "tag stripper" is exactly what odd input gets through.
 */

export const MAX_TITLE_CHARS = 200;
export const MAX_SNIPPET_CHARS = 400;

/** The part of a DOM element the search code uses; linkedom's own types resolve to `any` without lib.dom. */
export interface HtmlElement {
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  innerHTML: string;
  getAttribute(name: string): string | null;
  querySelector(selectors: string): HtmlElement | null;
  querySelectorAll(selectors: string): Iterable<HtmlElement>;
  remove(): void;
}

export interface HtmlDocument {
  querySelector(selectors: string): HtmlElement | null;
  querySelectorAll(selectors: string): Iterable<HtmlElement>;
  createElement(tag: string): HtmlElement;
}

export function parseHtmlDocument(html: string): HtmlDocument {
  return parseHTML(html).document as unknown as HtmlDocument;
}

let scratch: HtmlDocument | undefined;

/** One small document reused for fragments: parsing a whole page per snippet would be wasted work. */
function scratchElement(): HtmlElement {
  scratch ??= parseHtmlDocument("<!doctype html><html><head></head><body></body></html>");
  return scratch.createElement("div");
}

/** The text of an HTML fragment (`The <strong>Swift</strong> &amp; you` → `The Swift & you`). */
export function htmlToText(fragment: string): string {
  const element = scratchElement();
  element.innerHTML = fragment;
  for (const hidden of element.querySelectorAll("script, style, template")) hidden.remove();
  return element.textContent ?? "";
}

/**
 * Decodes character references in text that is not markup (`Tom &amp; Jerry` → `Tom & Jerry`) while
 * keeping a literal `<` as text: escaping it first means the parser can only see text and entities.
 */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  const element = scratchElement();
  element.innerHTML = text.replaceAll("<", "&lt;");
  return element.textContent ?? "";
}

// Control characters, zero-width characters and bidi overrides: invisible in a chat message, but able to
// make a link or a title read differently from what it is.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** One line of plain text, at most `maxChars` long (cut at a word, marked with "…"). */
export function cleanText(text: string, maxChars: number): string {
  const line = text.replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
  if (line.length <= maxChars) return line;
  let cut = line.slice(0, maxChars - 1);
  const space = cut.lastIndexOf(" ");
  if (space >= maxChars * 0.6) cut = cut.slice(0, space);
  // Never leave half of a surrogate pair (an emoji cut in two renders as garbage).
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}
