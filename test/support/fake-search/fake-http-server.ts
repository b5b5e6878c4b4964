import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The part every fake search server shares: a real HTTP server on 127.0.0.1 (random port) that records
 * each request exactly as it arrived, and switches between answering like the real service and the ways
 * the real service fails. Tests drive it through `setMode()` and read `requests`.
 */

/** One request as the fake received it. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, e.g. "/search". */
  readonly path: string;
  /** Query parameters (last value wins); `queryKeys` lists every key in order, repeats included. */
  readonly query: Readonly<Record<string, string>>;
  readonly queryKeys: readonly string[];
  /** Header names lower-case, as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body's fields when it is application/x-www-form-urlencoded; `formKeys` lists every key. */
  readonly form: Readonly<Record<string, string>> | undefined;
  readonly formKeys: readonly string[];
}

/** Failure modes every fake offers; each fake adds its own (e.g. DuckDuckGo's "anomaly"). */
export const COMMON_MODES = [
  /** The recorded result answer. */
  "ok",
  /** A valid answer with no results. */
  "empty",
  /** HTTP 500 with the service's error page. */
  "server-error",
  /** HTTP 503, as a proxy in front of a stopped service answers. */
  "unavailable",
  /** HTTP 429 with Retry-After (`retryAfterSeconds`, unless null). */
  "rate-limited",
  /** The "ok" answer, but only after `delayMs` (longer than the provider's timeout). */
  "slow",
  /** Status, headers and half of the "ok" body at once; the rest after `delayMs`. */
  "slow-body",
  /** HTTP 200 with a body that is not the service's format. */
  "malformed",
  /** The connection is destroyed without an answer (ECONNRESET / "other side closed"). */
  "reset",
] as const;
export type CommonMode = (typeof COMMON_MODES)[number];

export interface FakeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ModeSettings {
  /** How long "slow" and "slow-body" stall. Default 5000 ms. */
  readonly delayMs?: number;
  /** The Retry-After value for "rate-limited"; null sends none. Default 30. */
  readonly retryAfterSeconds?: number | null;
}

/** What a particular fake (SearXNG, DuckDuckGo, Brave) knows: how the real service answers. */
export interface FakeService<Mode extends string> {
  readonly name: string;
  /**
   * The answer for `mode` (including "ok", "empty", "malformed" and the service's own modes), or undefined
   * to let the shared code answer a common failure mode generically.
   */
  answer(mode: Mode | CommonMode, request: RecordedRequest, settings: Required<ModeSettings>): FakeResponse | undefined;
}

export class FakeSearchServer<Mode extends string> {
  /** Every request received since start (or the last `clearRequests()`), in order. */
  readonly requests: RecordedRequest[] = [];
  private mode: Mode | CommonMode = "ok";
  private settings: Required<ModeSettings> = { delayMs: 5000, retryAfterSeconds: 30 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server = createServer((request, response) => void this.handle(request, response));
  private port = 0;

  constructor(private readonly service: FakeService<Mode>) {}

  /** Listens on `host` (default 127.0.0.1; the leak test uses its namespace's address) at a random free port. */
  async start(host = "127.0.0.1"): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** http://127.0.0.1:PORT — the base URL to give the provider. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get origin(): string {
    return this.url;
  }

  /** How the next requests are answered, until changed. */
  setMode(mode: Mode | CommonMode, settings: ModeSettings = {}): void {
    this.mode = mode;
    this.settings = { delayMs: settings.delayMs ?? 5000, retryAfterSeconds: settings.retryAfterSeconds === undefined ? 30 : settings.retryAfterSeconds };
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const request = await record(incoming);
    this.requests.push(request);
    const mode = this.mode;
    if (mode === "reset") {
      incoming.socket.destroy();
      return;
    }
    const answer = this.service.answer(mode, request, this.settings) ?? this.commonAnswer(mode, request);
    if (mode === "slow") {
      this.later(() => send(response, answer));
    } else if (mode === "slow-body") {
      const half = Math.floor(Buffer.byteLength(answer.body) / 2);
      const bytes = Buffer.from(answer.body);
      response.writeHead(answer.status, { ...answer.headers, "content-length": String(bytes.length) });
      response.write(bytes.subarray(0, half));
      this.later(() => response.end(bytes.subarray(half)));
    } else {
      send(response, answer);
    }
  }

  private commonAnswer(mode: Mode | CommonMode, request: RecordedRequest): FakeResponse {
    switch (mode) {
      case "slow":
      case "slow-body":
        return this.service.answer("ok", request, this.settings) ?? { status: 500, body: "no ok answer" };
      case "server-error":
        return { status: 500, headers: { "content-type": "text/plain" }, body: "Internal Server Error" };
      case "unavailable":
        return { status: 503, headers: { "content-type": "text/html" }, body: "<html><body><h1>503 Service Unavailable</h1></body></html>" };
      case "rate-limited":
        return { status: 429, headers: { "content-type": "text/plain", ...retryAfterHeader(this.settings) }, body: "Too Many Requests" };
      default:
        return { status: 500, headers: { "content-type": "text/plain" }, body: `${this.service.name} fake has no answer for mode ${mode}` };
    }
  }

  private later(action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, this.settings.delayMs);
    this.timers.add(timer);
  }
}

export function retryAfterHeader(settings: Required<ModeSettings>): Record<string, string> {
  return settings.retryAfterSeconds === null ? {} : { "retry-after": String(settings.retryAfterSeconds) };
}

function send(response: ServerResponse, answer: FakeResponse): void {
  // The client may have given up (timeout, cancel) while a slow answer waited.
  if (response.destroyed) return;
  const body = Buffer.from(answer.body);
  response.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) });
  response.end(body);
}

async function record(incoming: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const url = new URL(incoming.url ?? "/", "http://fake.invalid");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  const isForm = (headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  const form = isForm ? new URLSearchParams(body) : undefined;
  return {
    method: incoming.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    queryKeys: [...url.searchParams.keys()],
    headers,
    body,
    form: form ? Object.fromEntries(form) : undefined,
    formKeys: form ? [...form.keys()] : [],
  };
}
