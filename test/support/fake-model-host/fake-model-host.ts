import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A model host on loopback that answers like Hugging Face's `resolve` URLs: HEAD and GET, `Accept-Ranges:
 * bytes`, `Content-Length`, 206 partial content for `Range: bytes=a-b` (416 when unsatisfiable), and
 * optionally Hugging Face's redirect to a separate CDN origin (302 with `X-Linked-Size`/`X-Linked-Etag`).
 * Every request is recorded with its Range header and the body bytes actually written, so tests can prove
 * what was (and was not) fetched. Fault switches: cut the connection once mid-file, stall once mid-file
 * (connection kept open, nothing more sent), or throttle the bandwidth.
 */

export interface HostRequest {
  /** Which listener answered: the host itself or its CDN. */
  readonly server: "host" | "cdn";
  readonly method: string;
  readonly path: string;
  /** The raw Range header, if any. */
  readonly range: string | undefined;
  /** First and last byte answered (the whole file without a Range header). */
  rangeStart: number;
  rangeEnd: number;
  status: number;
  /** Body bytes written to the socket so far (grows while the answer streams). */
  bytesSent: number;
  /** How the answer ended: still streaming, completed, dropped on purpose, stalled on purpose, or the client went away. */
  outcome: "streaming" | "complete" | "dropped" | "stalled" | "aborted";
}

export interface FakeModelHostOptions {
  /** Answer `resolve` URLs with a 302 to a second listener (another origin), like huggingface.co → its CDN. */
  readonly cdnRedirect?: boolean;
}

export interface FakeModelHost {
  /** http://127.0.0.1:PORT: give this as BURROW_MODEL_HOST. */
  readonly origin: string;
  /** The CDN listener's origin when `cdnRedirect` is on. */
  readonly cdnOrigin: string | undefined;
  readonly requests: readonly HostRequest[];
  /**
   * Serves `bytes` at `/<repo>/resolve/main/<file>`. With a CDN, the redirect announces `linkedSha256`
   * (default: the bytes' real SHA-256), so a test can make the host promise one file and send another.
   */
  serve(repo: string, file: string, bytes: Uint8Array, options?: { linkedSha256?: string }): void;
  /** The next body that would carry byte `offset` of a file sends everything before it, then the socket is destroyed. */
  dropOnceAt(offset: number): void;
  /** Like `dropOnceAt`, but the connection stays open and silent (a hung transfer) until the host closes. */
  stallOnceAt(offset: number): void;
  /** Limits every body to about this many bytes per second (undefined: as fast as possible). */
  throttle(bytesPerSecond: number | undefined): void;
  /** GET requests that carried file bytes (not HEADs, not redirects, not 404s). */
  readonly downloads: HostRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

const PIECE = 64 * 1024;

export async function startFakeModelHost(options: FakeModelHostOptions = {}): Promise<FakeModelHost> {
  const files = new Map<string, { bytes: Uint8Array; sha256: string; linkedSha256: string }>();
  const requests: HostRequest[] = [];
  let fault: { kind: "drop" | "stall"; offset: number } | undefined;
  let bytesPerSecond: number | undefined;
  const sockets = new Set<Socket>();

  const host = createServer((request, response) => void answer("host", request, response));
  const cdn = options.cdnRedirect ? createServer((request, response) => void answer("cdn", request, response)) : undefined;
  const origin = await listen(host, sockets);
  const cdnOrigin = cdn ? await listen(cdn, sockets) : undefined;

  async function answer(server: "host" | "cdn", request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://fake.invalid").pathname);
    const range = request.headers.range;
    const record: HostRequest = { server, method, path, range, rangeStart: 0, rangeEnd: 0, status: 0, bytesSent: 0, outcome: "streaming" };
    requests.push(record);
    const reply = (status: number, headers: Record<string, string | number> = {}, body = ""): void => {
      record.status = status;
      record.outcome = "complete";
      response.writeHead(status, { "content-length": Buffer.byteLength(body), ...headers }).end(method === "HEAD" ? undefined : body);
    };

    // The host's own URLs: /<owner>/<repo>/resolve/<revision>/<file>; the CDN's: /blobs/<sha256>.
    const file = server === "host" ? files.get(path) : [...files.values()].find((f) => path === `/blobs/${f.sha256}`);
    if (!file) return reply(404, { "content-type": "text/plain" }, "Entry not found");
    if (method !== "GET" && method !== "HEAD") return reply(405);
    if (server === "host" && cdnOrigin) {
      return reply(302, { location: `${cdnOrigin}/blobs/${file.sha256}`, "x-linked-size": file.bytes.length, "x-linked-etag": `"${file.linkedSha256}"` });
    }

    const size = file.bytes.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range !== undefined) {
      const match = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!match || Number(match[1]) >= size) return reply(416, { "content-range": `bytes */${size}` });
      start = Number(match[1]);
      end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
      if (end < start) return reply(416, { "content-range": `bytes */${size}` });
      status = 206;
    }
    record.rangeStart = start;
    record.rangeEnd = end;
    record.status = status;
    response.writeHead(status, {
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      "content-length": end - start + 1,
      etag: `"${file.sha256}"`,
      ...(status === 206 ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (method === "HEAD") {
      record.outcome = "complete";
      response.end();
      return;
    }
    response.on("close", () => {
      if (record.outcome === "streaming") record.outcome = "aborted";
    });

    // A fault fires on the first body that actually reaches its offset, whichever request that is (a client
    // may open a request and never read it, as ipull does with its size probe).
    let position = start;
    while (position <= end) {
      if (response.destroyed) return;
      let pieceEnd = Math.min(position + PIECE, end + 1);
      const armed = fault && fault.offset >= position && fault.offset < pieceEnd ? fault : undefined;
      if (armed) pieceEnd = armed.offset;
      if (pieceEnd > position) {
        const flushed = response.write(file.bytes.subarray(position, pieceEnd));
        record.bytesSent += pieceEnd - position;
        position = pieceEnd;
        if (!flushed) await drained(response);
        const limit = bytesPerSecond;
        if (limit) await new Promise((resolve) => setTimeout(resolve, (PIECE / limit) * 1000));
      }
      if (armed) {
        fault = undefined;
        record.outcome = armed.kind === "drop" ? "dropped" : "stalled";
        if (armed.kind === "drop") {
          // Let what was written reach the client, then cut the connection mid-body.
          await new Promise((resolve) => setTimeout(resolve, 20));
          response.socket?.destroy();
        }
        return;
      }
    }
    record.outcome = "complete";
    response.end();
  }

  return {
    origin,
    cdnOrigin,
    requests,
    serve: (repo, file, bytes, serveOptions = {}) => {
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      files.set(`/${repo}/resolve/main/${file}`, { bytes, sha256, linkedSha256: serveOptions.linkedSha256 ?? sha256 });
    },
    dropOnceAt: (offset) => {
      fault = { kind: "drop", offset };
    },
    stallOnceAt: (offset) => {
      fault = { kind: "stall", offset };
    },
    throttle: (limit) => {
      bytesPerSecond = limit;
    },
    get downloads() {
      return requests.filter((r) => r.method === "GET" && (r.status === 200 || r.status === 206));
    },
    clearRequests: () => {
      requests.length = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([host, ...(cdn ? [cdn] : [])].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

async function listen(server: Server, sockets: Set<Socket>): Promise<string> {
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done).off("close", done);
      resolve();
    };
    response.on("drain", done).on("close", done);
  });
}
