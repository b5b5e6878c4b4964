import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The Host header: which name the client believed it was talking to. */
  readonly host: string;
  readonly userAgent: string | undefined;
}

/**
 * A real HTTP server on a loopback address standing in for "the web": routes by path (any Host), and
 * records every connection and request so tests can prove something was — or was not — contacted.
 */
export interface FakeWeb {
  readonly address: string;
  readonly port: number;
  /** http://address:port (IPv6 in brackets). */
  readonly origin: string;
  readonly requests: readonly SeenRequest[];
  /** TCP connections accepted, including ones that never sent a request. */
  readonly connections: number;
  /** Serves `path` (path and query, e.g. "/a?b=1") with `handler`; unknown paths get 404. */
  route(path: string, handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeWeb(address = "127.0.0.1"): Promise<FakeWeb> {
  const routes = new Map<string, FakeHandler>();
  const requests: SeenRequest[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    requests.push({ method: request.method ?? "GET", path, host: request.headers.host ?? "", userAgent: request.headers["user-agent"] });
    const handler = routes.get(path);
    if (handler) return handler(request, response);
    response.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address,
    port,
    origin: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    requests,
    get connections() {
      return connections;
    },
    route: (path, handler) => void routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        // Slow-server tests leave requests hanging on purpose: cut them instead of waiting.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A handler that answers with a fixed body. */
export function serve(body: string | Buffer, contentType = "text/html; charset=utf-8", status = 200): FakeHandler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) }).end(body);
  };
}

/** A handler that redirects to `location` (absolute or relative). */
export function redirect(location: string, status = 302): FakeHandler {
  return (_request, response) => {
    response.writeHead(status, { location, "content-length": 0 }).end();
  };
}
