import type { LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";

/** What a name resolves to: fixed addresses, or a function called on every lookup (for DNS rebinding). */
export type FakeRecord = string | readonly string[] | (() => string | readonly string[]);

/**
 * A dns.lookup stand-in: maps test host names (news.example) to addresses so the page reader can be
 * pointed at loopback servers, and counts lookups. Unknown names fail with ENOTFOUND, like the real one.
 */
export function fakeDns(records: Record<string, FakeRecord>): { lookup: LookupFunction; lookups: string[] } {
  const lookups: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    lookups.push(hostname);
    const record = records[hostname.toLowerCase()];
    setImmediate(() => {
      if (record === undefined) {
        const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
        callback(error, "", 0);
        return;
      }
      const resolved = typeof record === "function" ? record() : record;
      const all: LookupAddress[] = (typeof resolved === "string" ? [resolved] : [...resolved]).map((address) => ({ address, family: isIP(address) }));
      const wanted = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
      const matching = wanted === 0 ? all : all.filter((entry) => entry.family === wanted);
      if (options.all) callback(null, matching);
      else if (matching[0]) callback(null, matching[0].address, matching[0].family);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 0);
    });
  };
  return { lookup, lookups };
}
