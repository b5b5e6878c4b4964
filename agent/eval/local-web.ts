import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebPage } from "./task-model.js";

/**
 * The web of one web-assisted task, on loopback: a search engine that answers like SearXNG's JSON API
 * (`GET /search?q=…&format=json`), so the agent's real SearXNG client is what asks it, and the task's
 * pages as HTML at their paths. Only the current task's pages exist; between tasks there are none, so a
 * task can never find another task's answer. Results are ranked by how many of the query's words appear
 * in a page's title, snippet and text.
 */
export class LocalWeb {
  private server: Server | undefined;
  private pages: readonly WebPage[] = [];
  private searches = 0;
  private origin: string | undefined;

  /** http://127.0.0.1:PORT, once started. */
  get url(): string {
    if (!this.origin) throw new Error("LocalWeb.url read before start()");
    return this.origin;
  }

  /** Searches answered since the pages were last set. */
  get searchCount(): number {
    return this.searches;
  }

  async start(): Promise<string> {
    if (this.origin) return this.origin;
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  /** The pages the engine knows from now on (the current task's; none for other kinds of task). */
  setPages(pages: readonly WebPage[]): void {
    this.pages = pages;
    this.searches = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.origin = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Pages ranked for a query: word overlap with title + snippet + text, best first, ties in file order. */
  rank(query: string): WebPage[] {
    const wanted = new Set(words(query));
    return this.pages
      .map((page, index) => {
        const have = new Set(words(`${page.title} ${page.snippet} ${page.text}`));
        let score = 0;
        for (const word of wanted) if (have.has(word)) score++;
        return { page, index, score };
      })
      .filter((entry) => entry.score > 0)
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .map((entry) => entry.page);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method !== "GET") return send(response, 405, "text/plain; charset=utf-8", "Only GET is served here.\n");
    if (url.pathname === "/search") {
      if (url.searchParams.get("format") !== "json") return send(response, 403, "text/plain; charset=utf-8", "Only format=json is enabled.\n");
      this.searches++;
      const query = url.searchParams.get("q") ?? "";
      const results = this.rank(query).map((page) => ({ url: `${this.origin}${page.path}`, title: page.title, content: page.snippet, engine: "burrow-eval" }));
      return send(response, 200, "application/json", JSON.stringify({ query, number_of_results: results.length, results, answers: [], suggestions: [], unresponsive_engines: [] }));
    }
    const page = this.pages.find((candidate) => candidate.path === url.pathname);
    if (!page) return send(response, 404, "text/html; charset=utf-8", "<!doctype html><html><head><title>Not found</title></head><body><p>No such page.</p></body></html>");
    send(response, 200, "text/html; charset=utf-8", pageHtml(page));
  }
}

/** A page as a plain article, so the page reader's Readability extraction finds the text. */
export function pageHtml(page: WebPage): string {
  const paragraphs = page.text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, " ").trim())
    .filter((paragraph) => paragraph !== "")
    .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
    .join("\n");
  const title = escapeHtml(page.title);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>\n<body><article><h1>${title}</h1>\n${paragraphs}\n</article></body></html>\n`;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.filter((word) => word.length > 1) ?? [];
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), connection: "close" });
  response.end(body);
}
