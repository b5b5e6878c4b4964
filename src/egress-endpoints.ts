/**
 * The destinations the egress policy allows right now, at the level a socket sees them: host and port
 * (plus unix-socket directories). The HTTP gate (src/egress.ts) registers what it allows here — an
 * origin for as long as it is granted, a single request's host for as long as that request (and the work
 * before it, such as the page reader resolving the host to check its addresses) runs — and
 * the daemon adds the configured Redis. The socket gate (src/socket-gate.ts) consults it for every
 * connection a library opens, so one policy decides both layers.
 *
 * One registry per process: the socket hooks are process-wide, and so must be what they check against.
 */

/** Why a destination may be contacted: the HTTP purposes, plus Redis (a configured remote server). */
export type EndpointPurpose = "search" | "page" | "chat-platform" | "model-download" | "redis";

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443, "ws:": 80, "wss:": 443, "redis:": 6379, "rediss:": 6379 };

/** Host as sockets name it: lower case, IPv6 without brackets. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith("[") && lower.endsWith("]") ? lower.slice(1, -1) : lower;
}

/** host and port of a URL, with the scheme's default port. */
export function endpointOf(url: URL): { host: string; port: number } {
  return { host: normalizeHost(url.hostname), port: url.port ? Number(url.port) : (DEFAULT_PORTS[url.protocol] ?? 0) };
}

export class EgressEndpoints {
  /** "host:port" → purpose → number of grants (the same endpoint may be granted more than once). */
  private readonly grants = new Map<string, Map<EndpointPurpose, number>>();
  private readonly socketDirs = new Map<string, number>();

  /** Allows host:port for a purpose until the returned function is called (idempotent). */
  allow(purpose: EndpointPurpose, host: string, port: number): () => void {
    const key = `${normalizeHost(host)}:${port}`;
    let purposes = this.grants.get(key);
    if (!purposes) this.grants.set(key, (purposes = new Map()));
    purposes.set(purpose, (purposes.get(purpose) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (purposes.get(purpose) ?? 1) - 1;
      if (count > 0) purposes.set(purpose, count);
      else purposes.delete(purpose);
      if (purposes.size === 0) this.grants.delete(key);
    };
  }

  allowUrl(purpose: EndpointPurpose, url: URL): () => void {
    const { host, port } = endpointOf(url);
    return this.allow(purpose, host, port);
  }

  /** Allows unix sockets in this directory (e.g. the embedded redis-server's) until released. */
  allowSocketDir(dir: string): () => void {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    this.socketDirs.set(prefix, (this.socketDirs.get(prefix) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.socketDirs.get(prefix) ?? 1) - 1;
      if (count > 0) this.socketDirs.set(prefix, count);
      else this.socketDirs.delete(prefix);
    };
  }

  /** The purposes host:port is allowed for (empty: not allowed). */
  purposesOf(host: string, port: number): EndpointPurpose[] {
    return [...(this.grants.get(`${normalizeHost(host)}:${port}`)?.keys() ?? [])];
  }

  /** Whether any grant names this host (for DNS lookups, which carry no port). */
  knowsHost(host: string): boolean {
    const wanted = normalizeHost(host);
    for (const key of this.grants.keys()) if (key.slice(0, key.lastIndexOf(":")) === wanted) return true;
    return false;
  }

  allowsSocketPath(path: string): boolean {
    for (const prefix of this.socketDirs.keys()) if (path.startsWith(prefix) && !path.slice(prefix.length).includes("..")) return true;
    return false;
  }
}

/** The process's registry (see the module comment). */
export const egressEndpoints = new EgressEndpoints();
