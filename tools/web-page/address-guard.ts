import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";
import type { AddressPolicy } from "./address-policy.js";

/** A connection was not made because the host is (or resolved to) an address the policy refuses. */
export class BlockedAddressError extends Error {
  readonly code = "EBURROW_BLOCKED_ADDRESS";

  constructor(
    readonly host: string,
    readonly ip: string,
    readonly reason: string,
  ) {
    super(host === ip ? reason : `${host} resolves to ${ip}: ${reason}`);
    this.name = "BlockedAddressError";
  }
}

/**
 * Keeps one page read away from private addresses. It checks twice, on purpose:
 *
 * - `preflight()` resolves a hop's host before the hop is allowed at the gate, so a refused hop never
 *   reaches the network and the refusal can be told apart from "the site is down";
 * - `dispatcher` re-checks when the socket is actually opened: its connector refuses IP literals (Node's
 *   net.connect skips `lookup` for them) and its `lookup` checks every address DNS returns right before
 *   connecting. A name that resolved to a public address at preflight and to 127.0.0.1 a moment later
 *   (DNS rebinding) is caught here, because the address checked is the address connected to.
 *
 * One guard (and so one undici Agent) per read: its sockets are closed when the read ends, and
 * `blocked` tells that read — not some other concurrent one — why its request failed.
 */
export class AddressGuard {
  readonly dispatcher: Agent;
  /** Set when the connector refused an address; the request then fails with a generic network error. */
  blocked: BlockedAddressError | undefined;

  constructor(
    private readonly lookup: LookupFunction,
    private readonly policy: AddressPolicy,
    connectTimeoutMs: number,
  ) {
    const connect = buildConnector({ lookup: this.checkedLookup, timeout: connectTimeoutMs });
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        // undici hands IPv6 literals over without brackets.
        const refusal = isIP(options.hostname) ? this.refusal(options.hostname, options.hostname) : undefined;
        if (refusal) {
          callback(refusal, null);
          return;
        }
        connect(options, callback);
      },
    });
  }

  /** Resolves the URL's host and throws BlockedAddressError if any address it has is refused. */
  async preflight(url: URL, signal: AbortSignal): Promise<void> {
    const host = hostOf(url);
    if (isIP(host)) {
      const refusal = this.refusal(host, host);
      if (refusal) throw refusal;
      return;
    }
    const addresses = await this.resolve(host, signal);
    // Every address, not just the first: the connection may use any of them (happy eyeballs, retries).
    for (const { address } of addresses) {
      const refusal = this.refusal(host, address);
      if (refusal) throw refusal;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  private readonly checkedLookup: LookupFunction = (hostname, options, callback) => {
    this.lookup(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const all = Array.isArray(address) ? address : [{ address, family: family ?? isIP(address) }];
      for (const entry of all) {
        const refusal = this.refusal(hostname, entry.address);
        if (refusal) {
          callback(refusal, address, family);
          return;
        }
      }
      callback(null, address, family);
    });
  };

  private refusal(host: string, ip: string): BlockedAddressError | undefined {
    const verdict = this.policy(ip);
    if (verdict === true) return undefined;
    const error = new BlockedAddressError(host, ip, verdict);
    this.blocked ??= error;
    return error;
  }

  private resolve(host: string, signal: AbortSignal): Promise<LookupAddress[]> {
    const options: LookupOptions = { all: true };
    return new Promise((resolve, reject) => {
      // dns.lookup cannot be cancelled; stop waiting for it instead.
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.lookup(host, options, (error, address, family) => {
        signal.removeEventListener("abort", onAbort);
        if (error) return reject(error);
        const all = Array.isArray(address) ? address : [{ address, family: family ?? isIP(address) }];
        if (all.length === 0) return reject(Object.assign(new Error(`${host} has no addresses`), { code: "ENOTFOUND" }));
        resolve(all);
      });
    });
  }
}

/** dns.lookup, typed as the LookupFunction that net.connect (and so undici) accepts. */
export const systemLookup = dnsLookup as unknown as LookupFunction;

/** The host as a resolver or policy wants it: IPv6 literals without their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}
