import { defaultAddressPolicy, type AddressPolicy } from "../../../tools/web-page/index.js";

/**
 * The default address policy with one hole: 127.0.0.1, where the fake web servers listen. Everything else
 * the real policy refuses stays refused — 127.0.0.2, ::1 and ::ffff:127.0.0.1 included — so tests prove the
 * real check, not a weakened one.
 */
export const loopbackTestPolicy: AddressPolicy = (ip) => (ip === "127.0.0.1" ? true : defaultAddressPolicy(ip));

/** A news-site page: the article between navigation, scripts, styles, a sidebar and a footer. */
export function articlePage(options: { title: string; siteName?: string; paragraphs: readonly string[]; head?: string; inArticle?: string }): string {
  const site = options.siteName ?? "Daily Burrow";
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${options.title} | ${site}</title>
  <style>body { font-family: sans-serif } .nav-secret { color: red }</style>
  <script>window.trackingSecret = "SCRIPT-SHOULD-NOT-APPEAR";</script>
  ${options.head ?? ""}
</head>
<body>
  <header>
    <nav class="site-nav"><ul>
      <li><a href="/">Home NAV-SHOULD-NOT-APPEAR</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>${options.title}</h1>
      <p class="byline">By A. Reporter</p>
      ${options.paragraphs.map((text) => `<p>${text}</p>`).join("\n      ")}
      ${options.inArticle ?? ""}
    </article>
    <aside class="sidebar"><h2>Most read</h2><ul><li><a href="/x">Celebrity moles SIDEBAR</a></li></ul></aside>
  </main>
  <script>document.write("INLINE-SCRIPT-SHOULD-NOT-APPEAR")</script>
  <footer><p>© ${site} FOOTER-SHOULD-NOT-APPEAR. All rights reserved.</p></footer>
</body>
</html>`;
}
