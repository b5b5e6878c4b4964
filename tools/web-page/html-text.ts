import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";

/** The few DOM members the text walker uses; the project compiles without the DOM lib. */
interface DomNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

interface DomDocument extends DomNode {
  readonly title: string;
  readonly documentElement: DomNode | null;
}

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;

/**
 * Readable text of an HTML page: Mozilla's Readability (what Firefox's reader view uses) picks the article
 * and drops navigation, ads and boilerplate; linkedom supplies the DOM it needs without a browser. When
 * Readability finds no article (or trips over something linkedom lacks), the whole document's text is
 * used instead, still without scripts, styles and hidden elements.
 */
export function htmlToText(html: string): { title: string; text: string } {
  const document = parse(html);
  let title = oneLine(document.title ?? "");
  let text = "";
  // linkedom does not build the implied <html> element for fragments; Readability needs it.
  if (document.documentElement?.nodeName === "HTML") {
    try {
      const article = new Readability(document as never, { serializer: (node) => node as unknown as DomNode }).parse();
      if (article?.content) text = nodeToText(article.content);
      if (text && article?.title) title = oneLine(article.title);
    } catch {
      // Fall back to the whole document below.
    }
  }
  // Readability rewrites the document it reads, so the fallback starts from a fresh parse.
  if (!text) text = nodeToText(parse(html));
  return { title, text };
}

function parse(html: string): DomDocument {
  return parseHTML(html).document as unknown as DomDocument;
}

/** Elements whose content is never text a reader sees. */
const SKIPPED = new Set([
  "HEAD", "TITLE", "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "MATH", "CANVAS", "IFRAME", "OBJECT", "EMBED",
  "SELECT", "OPTION", "BUTTON", "INPUT", "TEXTAREA", "META", "LINK", "BASE", "AUDIO", "VIDEO", "SOURCE", "TRACK", "MAP",
]);

/** Elements that start a new paragraph. */
const BLOCKS = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BODY", "DETAILS", "DIALOG", "DD", "DIV", "DL", "DT", "FIELDSET",
  "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HGROUP", "HR", "HTML",
  "MAIN", "NAV", "OL", "P", "SECTION", "SUMMARY", "TABLE", "UL", "CAPTION",
]);

/** Elements that start a new line. */
const LINES = new Set(["BR", "LI", "TR"]);

/**
 * Text with the structure a model needs: paragraphs separated by a blank line, list items and table rows
 * on their own lines, whitespace collapsed everywhere except inside <pre>. Walks the DOM the library
 * built; no HTML is parsed here.
 */
export function nodeToText(root: DomNode): string {
  const out = new TextBuilder();
  const walk = (node: DomNode): void => {
    if (node.nodeType === TEXT || node.nodeType === CDATA) {
      out.inline(node.nodeValue ?? "");
      return;
    }
    if (node.nodeType !== ELEMENT && node.childNodes.length === 0) return;
    const name = node.nodeName.toUpperCase();
    if (node.nodeType === ELEMENT) {
      if (SKIPPED.has(name) || isHidden(node)) return;
      if (name === "PRE") {
        out.preformatted(textOf(node));
        return;
      }
    }
    const breakKind = BLOCKS.has(name) ? 2 : LINES.has(name) ? 1 : 0;
    if (breakKind) out.lineBreak(breakKind);
    if (name === "LI") out.inline("- ");
    if (name === "TD" || name === "TH") out.inline(" ");
    for (const child of Array.from(node.childNodes)) walk(child);
    if (breakKind) out.lineBreak(breakKind);
  };
  walk(root);
  return out.finish();
}

/** Hidden text is a favourite place for instructions aimed at models; what a reader cannot see is left out. */
function isHidden(node: DomNode): boolean {
  if (!node.getAttribute) return false;
  if (node.getAttribute("hidden") !== null || node.getAttribute("aria-hidden") === "true") return true;
  const style = node.getAttribute("style");
  return style !== null && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

function textOf(node: DomNode): string {
  if (node.nodeType === TEXT || node.nodeType === CDATA) return node.nodeValue ?? "";
  if (node.nodeType !== ELEMENT) return "";
  if (node.nodeName.toUpperCase() === "BR") return "\n";
  return Array.from(node.childNodes, textOf).join("");
}

class TextBuilder {
  private readonly parts: string[] = [];
  private line = "";
  private pending: 0 | 1 | 2 = 0;

  inline(text: string): void {
    this.line += text.replace(/\s+/g, " ");
  }

  lineBreak(kind: 1 | 2): void {
    this.flush();
    if (kind > this.pending) this.pending = kind;
  }

  preformatted(text: string): void {
    this.lineBreak(2);
    this.push(text.replace(/^\n+|\s+$/g, ""));
    this.pending = 2;
  }

  finish(): string {
    this.flush();
    return this.parts.join("");
  }

  private flush(): void {
    const text = this.line.trim();
    this.line = "";
    if (text) this.push(text);
  }

  private push(text: string): void {
    if (!text) return;
    if (this.parts.length > 0) this.parts.push(this.pending === 1 ? "\n" : "\n\n");
    this.parts.push(text);
    this.pending = 0;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
