/**
 * Pages in the structure html.duckduckgo.com serves, rebuilt from captured pages (the region list is cut
 * short; everything the parser could depend on is kept): the XHTML doctype and IE conditionals, the header
 * search form, the zero-click box, `div#links.results` holding `div.result.results_links.results_links_deep
 * .web-result` blocks with `a.result__a` / `a.result__snippet`, an ad block (`result--ad result--ad--small`,
 * a /y.js click link and a badge), the "Next" form with its vqd, and the feedback button.
 *
 * Organic links come in both forms DuckDuckGo has used: the `//duckduckgo.com/l/?uddg=<encoded>&rut=…`
 * redirect (older pages, still served to some clients) and the page's own address (pages from 2025).
 */

export interface DuckDuckGoHit {
  readonly url: string;
  /** HTML, as DuckDuckGo writes it (with <b> around query words and entities). */
  readonly titleHtml: string;
  readonly snippetHtml: string;
  /** Whether the links go through the //duckduckgo.com/l/?uddg= redirect. */
  readonly redirect: boolean;
}

/** The organic hits of the "ok" page, in page order. */
export const DUCKDUCKGO_HITS: readonly DuckDuckGoHit[] = [
  {
    url: "https://tokio.rs/",
    titleHtml: "Tokio - An asynchronous <b>Rust</b> <b>runtime</b>",
    snippetHtml: "Tokio is an event-driven, non-blocking I/O platform for writing <b>asynchronous</b> applications with the <b>Rust</b> programming language.",
    redirect: true,
  },
  {
    url: "https://rust-lang.github.io/async-book/01_getting_started/01_chapter.html",
    titleHtml: "Getting Started - Asynchronous Programming in <b>Rust</b>",
    snippetHtml: "Welcome to &quot;Asynchronous Programming in <b>Rust</b>&quot;! If you&#x27;re looking to start writing <b>asynchronous</b> <b>Rust</b> code, you&#x27;ve come to the right place.",
    redirect: true,
  },
  {
    url: "https://docs.rs/async-std/latest/async_std/",
    titleHtml: "async_std - <b>Rust</b>",
    snippetHtml: "<b>Async</b> version of the <b>Rust</b> standard library. async-std is a foundation of portable <b>Rust</b> software &amp; a set of combinators.",
    redirect: false,
  },
  {
    url: "https://en.wikipedia.org/wiki/Async/await?lang=en&utm_source=ddg#Rust",
    titleHtml: "Async/await - Wikipedia",
    snippetHtml: "In computer programming, the <b>async</b>/await pattern is a syntactic feature of many programming languages that allows an <b>asynchronous</b>, non-blocking function to be structured in a way similar to an ordinary synchronous function.",
    redirect: true,
  },
  {
    url: "https://docs.rs/smol/latest/smol/",
    titleHtml: "smol - <b>Rust</b>",
    snippetHtml: "",
    redirect: true,
  },
];

function escapeAttribute(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function linkFor(hit: DuckDuckGoHit, index: number): string {
  if (!hit.redirect) return hit.url;
  return `//duckduckgo.com/l/?uddg=${encodeURIComponent(hit.url)}&rut=${(0x9e3779b9 * (index + 1)).toString(16).padStart(12, "0")}a1b2c3d4e5f6`;
}

function organicBlock(hit: DuckDuckGoHit, index: number): string {
  const href = escapeAttribute(linkFor(hit, index));
  const host = new URL(hit.url).host;
  const snippet = hit.snippetHtml ? `\n                  <a class="result__snippet" href="${href}">${hit.snippetHtml}</a>\n` : "";
  return `
            <div class="result results_links results_links_deep web-result ">


          <div class="links_main links_deep result__body"> <!-- This is the visible part -->

          <h2 class="result__title">
          
            <a rel="nofollow" class="result__a" href="${href}">${hit.titleHtml}</a>
          
          </h2>

            <div class="result__extras">
                <div class="result__extras__url">
                  <span class="result__icon">
                      <a rel="nofollow" href="${href}">
                        <img class="result__icon__img" width="16" height="16" alt=""
                          src="//external-content.duckduckgo.com/ip3/${host}.ico" name="i15" />
                      </a>
                  </span>

                  <a class="result__url" href="${href}">
                  ${escapeAttribute(host + new URL(hit.url).pathname)}
                  </a>

                    <span>&nbsp; &nbsp; 2025-03-14T00:00:00.0000000</span>
                </div>
            </div>
${snippet}
            <div class="clear"></div>
          </div>

        </div>
`;
}

const AD_BLOCK = `
            <div class="result results_links results_links_deep result--ad  result--ad--small">


          <div class="links_main links_deep result__body"> <!-- This is the visible part -->

          <h2 class="result__title">
          
            <a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=fastrusthost.example&amp;ad_provider=bingv7aa&amp;ad_type=txad&amp;eddgt=Xq0Xn1LZ2QWc%3D%3D&amp;rut=0b7c1e4f0c2b&amp;u3=https%3A%2F%2Fwww.bing.com%2Faclick%3Fld%3De8abc%26u%3DaHR0cHM6Ly9mYXN0cnVzdGhvc3QuZXhhbXBsZS8">Fast Rust Hosting - Deploy Async Services in Seconds</a>
          
          </h2>

            <div class="result__extras">
                <div class="result__extras__url">
                  <a class="result__url" href="https://duckduckgo.com/y.js?ad_domain=fastrusthost.example&amp;ad_provider=bingv7aa&amp;ad_type=txad">
                  fastrusthost.example
                  </a>
                  <span class="badge--ad">Ad</span>
                </div>
            </div>

                  <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=fastrusthost.example&amp;ad_provider=bingv7aa&amp;ad_type=txad">Deploy your <b>async</b> <b>Rust</b> services today. Free tier, no credit card required.</a>

            <div class="clear"></div>
          </div>

        </div>
`;

const NO_RESULTS_BLOCK = `
            <div class="result results_links results_links_deep web-result result--no-result">


          <div class="links_main links_deep result__body"> <!-- This is the visible part -->

          <h2 class="result__title">
          
          </h2>

            <div class="no-results">No results.</div>

            <div class="result__extras">
                <div class="result__extras__url">
                  <span class="result__icon">
                  </span>

                  <a class="result__url" href="">
                  </a>
                </div>
            </div>

            <div class="clear"></div>
          </div>

        </div>
`;

const ZERO_CLICK = `
    <div class="zci-wrapper">
      <div class="zci">
        <h1 class="zci__heading">
          <a rel="nofollow" href="https://en.wikipedia.org/wiki/Rust_(programming_language)">Rust (programming language)</a>
        </h1>
        <div class="zci__result" id="zero_click_abstract">
          Rust is a general-purpose programming language emphasizing performance, type safety, and concurrency.
          <a rel="nofollow" href="https://en.wikipedia.org/wiki/Rust_(programming_language)">More at Wikipedia</a>
        </div>
      </div>
    </div>
`;

function pageHead(query: string): string {
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">

<!--[if IE 6]><html class="ie6" xmlns="http://www.w3.org/1999/xhtml"><![endif]-->
<!--[if IE 7]><html class="lt-ie8 lt-ie9" xmlns="http://www.w3.org/1999/xhtml"><![endif]-->
<!--[if IE 8]><html class="lt-ie9" xmlns="http://www.w3.org/1999/xhtml"><![endif]-->
<!--[if gt IE 8]><!--><html xmlns="http://www.w3.org/1999/xhtml"><!--<![endif]-->
<head>
  <meta http-equiv="content-type" content="text/html; charset=UTF-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=3.0, user-scalable=1" />
  <meta name="referrer" content="origin" />
  <meta name="HandheldFriendly" content="true" />
  <meta name="robots" content="noindex, nofollow" />
  <title>${escapeAttribute(query)} at DuckDuckGo</title>
  <link title="DuckDuckGo (HTML)" type="application/opensearchdescription+xml" rel="search" href="//duckduckgo.com/opensearch_html_v2.xml" />
  <link href="//duckduckgo.com/favicon.ico" rel="shortcut icon" />
  <link rel="icon" href="//duckduckgo.com/favicon.ico" type="image/x-icon" />
  <link id="icon60" rel="apple-touch-icon" href="//duckduckgo.com/assets/icons/meta/DDG-iOS-icon_60x60.png?v=2"/>
  <link rel="image_src" href="//duckduckgo.com/assets/icons/meta/DDG-icon_256x256.png">
  <link rel="stylesheet" media="handheld, all" href="//duckduckgo.com/dist/h.0d389dd02de7e1030cde.css" type="text/css"/>
</head>

<body class="body--html">
  <a name="top" id="top"></a>

  <form action="/html/" method="post">
    <input type="text" name="state_hidden" id="state_hidden" />
  </form>

  <div>
    <div class="site-wrapper-border"></div>

    <div id="header" class="header cw header--html">
        <a title="DuckDuckGo" href="/html/" class="header__logo-wrap"></a>


    <form name="x" class="header__form" action="/html/" method="post">

      <div class="search search--header">
          <input name="q" autocomplete="off" class="search__input" id="search_form_input_homepage" type="text" value="${escapeAttribute(query)}" />
          <input name="b" id="search_button_homepage" class="search__button search__button--html" value="" title="Search" alt="Search" type="submit" />
      </div>

    <div class="frm__select">
      <select name="kl">
        <option value="" >All Regions</option>
        <option value="ar-es" >Argentina</option>
        <option value="au-en" >Australia</option>
        <option value="de-de" >Germany</option>
        <option value="uk-en" >United Kingdom</option>
        <option value="us-en" >US (English)</option>
      </select>
    </div>

    <div class="frm__select frm__select--last">
      <select class="" name="df">
        <option value="" selected>Any Time</option>
        <option value="d" >Past Day</option>
        <option value="w" >Past Week</option>
        <option value="m" >Past Month</option>
        <option value="y" >Past Year</option>
      </select>
    </div>

    </form>

    </div>
`;
}

function pageFoot(query: string, withNext: boolean): string {
  const next = withNext
    ? `
                <div class="nav-link">
        <form action="/html/" method="post">
          <input type="submit" class='btn btn--alt' value="Next" />
          <input type="hidden" name="q" value="${escapeAttribute(query)}" />
          <input type="hidden" name="s" value="10" />
          <input type="hidden" name="nextParams" value="" />
          <input type="hidden" name="v" value="l" />
          <input type="hidden" name="o" value="json" />
          <input type="hidden" name="dc" value="11" />
          <input type="hidden" name="api" value="d.js" />
          <input type="hidden" name="vqd" value="4-167208798460794982980732831674372650598" />
          <input name="kl" value="wt-wt" type="hidden" />
        </form>
                </div>
`
    : "";
  return `${next}

        <div class=" feedback-btn">
            <a rel="nofollow" href="//duckduckgo.com/feedback.html" target="_new">Feedback</a>
        </div>
        <div class="clear"></div>
  </div>
  </div> <!-- links wrapper //-->



    </div>
  </div>

    <div id="bottom_spacing2"></div>

      <img src="//duckduckgo.com/t/sl_h"/>
</body>
</html>
`;
}

/** The "ok" page: zero-click box, an ad first, then DUCKDUCKGO_HITS. */
export function duckDuckGoResultsPage(query: string): string {
  return `${pageHead(query)}
${ZERO_CLICK}

<!-- Web results are present -->

  <div>
  <div class="serp__results">
  <div id="links" class="results">
${AD_BLOCK}${DUCKDUCKGO_HITS.map((hit, index) => organicBlock(hit, index)).join("")}
${pageFoot(query, true)}`;
}

/** DuckDuckGo's own "nothing found" page. */
export function duckDuckGoNoResultsPage(query: string): string {
  return `${pageHead(query)}

<!-- Web results are present -->

  <div>
  <div class="serp__results">
  <div id="links" class="results">
${NO_RESULTS_BLOCK}
${pageFoot(query, false)}`;
}

/**
 * The bot check DuckDuckGo serves (with HTTP 202, sometimes 200) when it suspects automation: no results,
 * no #links, a challenge form posting to anomaly.js and a grid of images to pick ducks from.
 */
export function duckDuckGoAnomalyPage(query: string): string {
  const images = Array.from(
    { length: 9 },
    (_, index) => `          <div class="anomaly-modal__image">
            <input type="checkbox" class="anomaly-modal__checkbox" name="image-check_${(index * 7919 + 104729).toString(16)}" id="image-check_${index}" />
            <label for="image-check_${index}"><img class="anomaly-modal__img" src="../assets/anomaly/images/challenge/${(index * 48271 + 12345).toString(16)}.jpg" alt="" /></label>
          </div>`,
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
  <meta charset="UTF-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1.0" />
  <title>DuckDuckGo</title>
  <link rel="stylesheet" href="//duckduckgo.com/dist/lite.2f8a0f9b8d0c1e1e0a5c.css" type="text/css" />
</head>
<body>
  <form id="challenge-form" action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=sre&amp;ti=1787500750&amp;gk=d4cd0dabcf4caa22ad92fab40844c786&amp;p=a1b2c3-4d5e6f&amp;q=${encodeURIComponent(query)}&amp;o=x&amp;r=use" method="POST">
    <div class="anomaly-modal__mask">
      <div class="anomaly-modal__modal is-ie" data-testid="anomaly-modal">
        <div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
        <div class="anomaly-modal__description">Please complete the following challenge to confirm this search was made by a human.</div>
        <div class="anomaly-modal__instructions">Select all squares containing a duck:</div>
        <div class="anomaly-modal__images">
${images}
        </div>
        <button type="submit" class="btn anomaly-modal__submit" disabled="disabled">Submit</button>
        <div class="anomaly-modal__feedback">
          Images not loading?
          <a href="mailto:error-lite@duckduckgo.com?subject=CAPTCHA%20images%20not%20loading">Let us know</a>.
        </div>
      </div>
    </div>
  </form>
</body>
</html>
`;
}

/** The short error page DuckDuckGo answers with HTTP 403 when it blocks an address outright. */
export const DUCKDUCKGO_BLOCKED_PAGE = `<!DOCTYPE html>
<html><head><title>DuckDuckGo</title></head><body>
If this persists, please <a href="mailto:error-lite+9318@duckduckgo.com?subject=Error getting results">email us</a>.<br />
Our support email address includes an anonymized error code that helps us understand the context of your search.
</body></html>
`;

/** Not DuckDuckGo at all: a captive portal of a hotel Wi-Fi, as answered to any address until login. */
export const CAPTIVE_PORTAL_PAGE = `<!DOCTYPE html>
<html><head><title>Network Login</title></head>
<body><h1>Welcome! Please sign in to use the Wi-Fi</h1>
<form action="/login" method="post"><input name="room" placeholder="Room number" /><input type="submit" value="Connect" /></form>
</body></html>
`;
