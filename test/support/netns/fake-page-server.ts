import { createServer, type Server } from "node:http";

/**
 * The web page the leak test's agent reads: one HTML page on port 80 of an address the page reader accepts
 * (see namespaces.ts), in the fakes' namespace. Every request is recorded as it arrived — method, path and
 * query, headers — so the test can check what a page read sends. Any other path gets a 404.
 */

/** A word on the page that the scripted model watches for: once it is in the context, the model answers. */
export const PAGE_MARKER = "PAGEMARKERZQ";

export const PAGE_TITLE = "Privacy notes";

/** An article Readability keeps (a few paragraphs of text), with the marker in its body. */
export const PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${PAGE_TITLE}</title></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<main><article>
<h1>${PAGE_TITLE}</h1>
<p>Burrow runs the model on your own machine. What you write stays there: only the search query leaves it, and the pages an answer reads are fetched with nothing of yours in the request.</p>
<p>The marker word ${PAGE_MARKER} is on this page so a scripted model can tell that it has read it.</p>
<p>Pages are read only when they came back from the answer's own search, only from public addresses, and only within a size and time limit.</p>
</article></main>
</body>
</html>
`;

export interface PageRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  /** Header names lower-case, values as received. */
  readonly headers: Readonly<Record<string, string>>;
}

export class FakePageServer {
  readonly requests: PageRequest[] = [];
  private readonly server: Server;

  /** Serves PAGE_HTML at `path` (e.g. "/privacy-notes"). */
  constructor(private readonly path: string) {
    this.server = createServer((request, response) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      this.requests.push({ method: request.method ?? "GET", url: request.url ?? "/", headers });
      if (request.method === "GET" && request.url === this.path) {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE_HTML);
      } else {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      }
    });
  }

  async start(host: string, port = 80): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
