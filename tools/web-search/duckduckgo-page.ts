import type { RawResult } from "./result-list.js";
import { parseHtmlDocument, type HtmlDocument, type HtmlElement } from "./result-text.js";

/**
 * Reading html.duckduckgo.com's result page. Its structure (checked against captured pages):
 *
 *   div#links.results
 *     div.result.results_links.results_links_deep.web-result       one organic hit
 *       h2.result__title > a.result__a[href]                         title; href is either the page itself or
 *                                                                    //duckduckgo.com/l/?uddg=<encoded url>&rut=…
 *       a.result__snippet                                            snippet, with <b> around query words
 *     div.result.results_links.results_links_deep.result--ad …       an ad: a.result__a points at /y.js?ad_…
 *     div.result.… .result--no-result > div.no-results                 "No results." / "No more results."
 *
 * When it suspects a bot, DuckDuckGo answers (usually with HTTP 202, sometimes 200) a page with
 * form#challenge-form (action …/anomaly.js) and div.anomaly-modal__* "Unfortunately, bots use DuckDuckGo
 * too." — no #links at all. That page must never read as "no results": the model would conclude the
 * subject does not exist.
 */
export type DuckDuckGoPage =
  /** A result page; an empty list is DuckDuckGo's own "no results". */
  | { readonly kind: "results"; readonly results: RawResult[] }
  /** The bot check ("anomaly") page: this machine is being rate-limited. */
  | { readonly kind: "challenge" }
  /** Neither: the layout changed, or this is not a result page. */
  | { readonly kind: "unrecognized" };

const CHALLENGE_SELECTORS = ["form#challenge-form", 'form[action*="anomaly.js"]', '[data-testid="anomaly-modal"]', ".anomaly-modal__modal", ".anomaly-modal__title"];

export function readDuckDuckGoPage(html: string): DuckDuckGoPage {
  const document = parseHtmlDocument(html);
  if (isChallenge(document)) return { kind: "challenge" };
  const blocks = [...document.querySelectorAll("div.result")];
  if (blocks.length === 0 && !document.querySelector("#links")) return { kind: "unrecognized" };
  return { kind: "results", results: blocks.flatMap((block) => readResult(block)) };
}

function isChallenge(document: HtmlDocument): boolean {
  return CHALLENGE_SELECTORS.some((selector) => document.querySelector(selector) !== null);
}

function readResult(block: HtmlElement): RawResult[] {
  if (block.classList.contains("result--ad") || block.classList.contains("result--no-result")) return [];
  const link = block.querySelector("a.result__a");
  const url = resolveDuckDuckGoHref(link?.getAttribute("href") ?? null);
  if (!link || url === undefined) return [];
  return [{ title: link.textContent ?? "", url, snippet: block.querySelector(".result__snippet")?.textContent ?? "" }];
}

/**
 * The page a result link leads to. DuckDuckGo's redirect links (`//duckduckgo.com/l/?uddg=<url>&rut=…`)
 * are decoded to the real address: the page reader must open the page itself, and the egress gate only
 * allows pages that appeared in the results, so a redirect link would be both useless and refused.
 * Ad clicks (`/y.js`) yield undefined.
 */
export function resolveDuckDuckGoHref(href: string | null): string | undefined {
  if (!href) return undefined;
  let url: URL;
  try {
    url = new URL(href, "https://duckduckgo.com/");
  } catch {
    return undefined;
  }
  const ownHost = url.hostname === "duckduckgo.com" || url.hostname.endsWith(".duckduckgo.com");
  if (ownHost && (url.pathname === "/l/" || url.pathname === "/l")) return url.searchParams.get("uddg") ?? undefined;
  if (ownHost && url.pathname === "/y.js") return undefined;
  return url.href;
}
