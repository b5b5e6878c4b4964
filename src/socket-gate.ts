import dgram from "node:dgram";
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { resolve } from "node:path";
import type { EgressEndpoints, EndpointPurpose } from "./egress-endpoints.js";
import type { EgressAuditSink } from "./egress.js";
import { BurrowError } from "./errors.js";

/**
 * The egress policy at the socket level, for everything that does not go through the HTTP gate: a library
 * that opens its own connections (discord.js's WebSocket gateway, grammY's fetch, ioredis to a remote Redis,
 * a download or update check inside a dependency) is held to the same list of destinations.
 *
 * Node 20 has no hook that can stop a connection (the `net.client.socket` diagnostics channel fires before
 * the destination is known, and dns has no channel at all), so the gate wraps the three places every
 * JavaScript connection passes: `net.Socket.prototype.connect` (net, tls, http, undici, ws, ioredis all
 * end there), `dgram.Socket` sends, and the `dns` lookup and resolve functions. A destination that is not
 * registered in the endpoint registry is REFUSED — the socket is destroyed before it connects, the lookup
 * fails before a query is sent — and the refusal is written to the audit log. Recording alone would let
 * the bytes out first.
 *
 * What it cannot see: native code (llama.cpp) and child processes open sockets outside JavaScript. The
 * code sandbox has no network at all; the network-namespace leak test (test/e2e/privacy-leak.test.ts) watches the wire for
 * everything else.
 *
 * Loopback is not special: a local port can be a proxy to anywhere, so 127.0.0.1 is allowed only where it
 * is a configured destination. Unix sockets are allowed only in registered directories (the data
 * directory, where the embedded redis-server listens).
 */

/** A connection or lookup the egress policy does not allow. */
export class SocketRefusedError extends BurrowError {
  /** Like a system error, so libraries that branch on `code` treat it as a network failure. */
  readonly errno = -1;
  readonly syscall: string;

  constructor(what: string, syscall: string) {
    super("egress_refused", `Burrow refused to contact ${what}: it is not a destination of the egress policy`, {
      hint: "Burrow only contacts the configured search provider, pages from an answer's search results, the configured chat platforms and Redis, and (during `models pull`) the model host. `burrow privacy report` lists what was refused.",
    });
    this.syscall = syscall;
  }
}

export interface SocketGateOptions {
  readonly endpoints: EgressEndpoints;
  readonly audit: EgressAuditSink;
}

type ConnectTarget = { kind: "path"; path: string } | { kind: "tcp"; host: string; port: number };

/** Where a `socket.connect(...)` call goes, from any of its signatures (net passes `[options, cb]` arrays). */
function connectTarget(args: readonly unknown[]): ConnectTarget {
  const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === "object") {
    const options = first as { path?: unknown; host?: unknown; port?: unknown };
    if (typeof options.path === "string") return { kind: "path", path: options.path };
    return { kind: "tcp", host: typeof options.host === "string" && options.host !== "" ? options.host : "localhost", port: Number(options.port) };
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) return { kind: "path", path: first };
  return { kind: "tcp", host: typeof args[1] === "string" ? args[1] : "localhost", port: Number(first) };
}

const DNS_FUNCTIONS = [
  "lookup",
  "resolve",
  "resolve4",
  "resolve6",
  "resolveAny",
  "resolveCaa",
  "resolveCname",
  "resolveMx",
  "resolveNaptr",
  "resolveNs",
  "resolvePtr",
  "resolveSoa",
  "resolveSrv",
  "resolveTxt",
] as const;

let installed: (() => void) | undefined;

/**
 * Installs the hooks for this process and returns the function that removes them. Installing twice is a
 * mistake (two policies would both have to agree): it throws.
 */
export function installSocketGate(options: SocketGateOptions): () => void {
  if (installed) throw new Error("the socket gate is already installed in this process");
  const { endpoints, audit } = options;
  const restores: (() => void)[] = [];
  const open = new Map<net.Socket, { purpose: EndpointPurpose; host: string; port: number; started: number; connected: boolean }>();

  const refuse = (layer: "socket" | "dns", method: string, host: string, port: number | undefined, reason: string): void => {
    audit({ at: new Date().toISOString(), purpose: "unknown", layer, method, host, ...(port !== undefined ? { port } : {}), outcome: "refused", bytesOut: 0, bytesIn: 0, reason });
  };
  /** Records a connection once it is over: closed, or still open when the process ends or the gate is removed (`atExit`). */
  const settle = (socket: net.Socket, atExit = false): void => {
    const entry = open.get(socket);
    if (!entry) return;
    open.delete(socket);
    audit({
      at: new Date().toISOString(),
      purpose: entry.purpose,
      layer: "socket",
      method: "CONNECT",
      host: entry.host,
      port: entry.port,
      outcome: entry.connected ? "allowed" : "failed",
      bytesOut: socket.bytesWritten,
      bytesIn: socket.bytesRead,
      ms: Math.round(performance.now() - entry.started),
      // A connection that never opened says why: its error, its owner closing it first (the model downloader's
      // parallel chunk connections can end this way), or Burrow stopping. `errored` is read rather than an
      // "error" listener added, which would change who handles the error.
      ...(entry.connected ? {} : { reason: socket.errored?.message ?? (atExit ? "still connecting when Burrow stopped" : "given up by Burrow before the connection opened") }),
    });
  };

  const originalConnect = net.Socket.prototype.connect;
  const gatedConnect = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const target = connectTarget(args);
    if (target.kind === "path") {
      if (endpoints.allowsSocketPath(resolve(target.path))) return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
      refuse("socket", "CONNECT", `unix:${target.path}`, undefined, "not a unix socket Burrow uses");
      const error = new SocketRefusedError(`the unix socket ${target.path}`, "connect");
      process.nextTick(() => this.destroy(error));
      return this;
    }
    const purpose = endpoints.purposesOf(target.host, target.port)[0];
    if (purpose === undefined) {
      refuse("socket", "CONNECT", target.host, target.port, "no purpose allows this destination");
      const error = new SocketRefusedError(`${target.host}:${target.port}`, "connect");
      process.nextTick(() => this.destroy(error));
      return this;
    }
    settle(this); // a reconnect of the same socket object ends the record of the earlier attempt
    const entry = { purpose, host: target.host, port: target.port, started: performance.now(), connected: false };
    open.set(this, entry);
    this.once("connect", () => (entry.connected = true));
    this.once("close", () => settle(this));
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = gatedConnect as typeof net.Socket.prototype.connect;
  restores.push(() => void (net.Socket.prototype.connect = originalConnect));

  // Nothing in Burrow speaks UDP: every datagram is refused (DNS by getaddrinfo happens in libc, below).
  for (const method of ["send", "connect"] as const) {
    const original = dgram.Socket.prototype[method] as (...a: unknown[]) => unknown;
    dgram.Socket.prototype[method] = function (this: dgram.Socket, ...args: unknown[]): void {
      const port = args.find((arg) => typeof arg === "number" && method === "connect") ?? args.find((arg, i) => i > 0 && typeof arg === "number");
      const address = args.find((arg, i) => i > 0 && typeof arg === "string");
      const where = `${typeof address === "string" ? address : "localhost"}:${String(port ?? "?")}`;
      refuse("socket", method === "send" ? "UDP" : "UDP-CONNECT", typeof address === "string" ? address : "localhost", typeof port === "number" ? port : undefined, "Burrow sends no UDP");
      const error = new SocketRefusedError(`${where} over UDP`, method);
      const callback = args.at(-1);
      if (typeof callback === "function") process.nextTick(() => (callback as (e: Error) => void)(error));
      else process.nextTick(() => this.emit("error", error));
    } as never;
    restores.push(() => void (dgram.Socket.prototype[method] = original as never));
  }

  // A lookup is itself a message to a DNS server that names the host: only names of allowed destinations.
  const allowedName = (hostname: unknown): boolean =>
    typeof hostname !== "string" || net.isIP(hostname) !== 0 || hostname === "localhost" || endpoints.knowsHost(hostname);
  /** Wraps one dns function; `style` says how it reports an error (callback last, or a rejected promise). */
  // Reverse lookups (an address to its name) ask a DNS server about an address; Burrow never needs one.
  const REVERSE = new Set(["reverse", "lookupService"]);
  const gateLookup = (target: Record<string, unknown>, name: string, style: "callback" | "promise"): void => {
    const original = target[name];
    if (typeof original !== "function") return;
    target[name] = function (this: unknown, hostname: unknown, ...rest: unknown[]): unknown {
      if (!REVERSE.has(name) && allowedName(hostname)) return (original as (...a: unknown[]) => unknown).apply(this, [hostname, ...rest]);
      refuse("dns", name, String(hostname), undefined, "not the name of an allowed destination");
      const error = Object.assign(new SocketRefusedError(`${String(hostname)} (DNS ${name})`, name), { hostname });
      if (style === "promise") return Promise.reject(error);
      const callback = rest.at(-1);
      if (typeof callback === "function") process.nextTick(() => (callback as (e: Error) => void)(error));
      return undefined;
    };
    restores.push(() => void (target[name] = original));
  };
  for (const name of [...DNS_FUNCTIONS, ...REVERSE]) {
    gateLookup(dns as unknown as Record<string, unknown>, name, "callback");
    gateLookup(dns.Resolver.prototype as unknown as Record<string, unknown>, name, "callback");
    gateLookup(dns.promises as unknown as Record<string, unknown>, name, "promise");
    gateLookup(dns.promises.Resolver.prototype as unknown as Record<string, unknown>, name, "promise");
  }
  // ES module imports of node:dns (`import { lookup } from "node:dns"`) see the wrapped functions too.
  syncBuiltinESMExports();

  // Connections still open when the process ends are recorded with what they carried so far.
  const onExit = (): void => {
    for (const socket of [...open.keys()]) settle(socket, true);
  };
  process.on("exit", onExit);
  restores.push(() => void process.off("exit", onExit));

  const uninstall = (): void => {
    onExit();
    for (const restore of restores.reverse()) restore();
    syncBuiltinESMExports();
    installed = undefined;
  };
  installed = uninstall;
  return uninstall;
}
