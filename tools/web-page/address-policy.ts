import { BlockList, isIP } from "node:net";

/**
 * Says whether the page reader may connect to an IP address: `true`, or the reason it may not. Checked on
 * every address a host name resolves to, on every redirect hop, and again when the socket connects.
 */
export type AddressPolicy = (ip: string) => true | string;

type Family = "ipv4" | "ipv6";

/**
 * Ranges that are not "somewhere on the public internet". A page from a search result has no business
 * there: these are the machine itself, the home/office network, cloud metadata endpoints (169.254.169.254)
 * and addresses that are never routed. One BlockList per range so the refusal can name the range.
 *
 * Node's BlockList compares an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against the IPv4 rules itself,
 * so the mapped form needs no rule of its own (and a ::ffff:0:0/96 rule would match every IPv4 address).
 */
const RANGES: readonly (readonly [network: string, prefix: number, family: Family, label: string])[] = [
  ["0.0.0.0", 8, "ipv4", "a 'this network' address"],
  ["10.0.0.0", 8, "ipv4", "a private-network address"],
  ["100.64.0.0", 10, "ipv4", "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "ipv4", "a loopback address (this machine)"],
  ["169.254.0.0", 16, "ipv4", "a link-local address (where cloud metadata endpoints live)"],
  ["172.16.0.0", 12, "ipv4", "a private-network address"],
  ["192.0.0.0", 24, "ipv4", "an IETF protocol-assignment address"],
  ["192.0.2.0", 24, "ipv4", "a documentation address"],
  ["192.168.0.0", 16, "ipv4", "a private-network address"],
  ["198.18.0.0", 15, "ipv4", "a benchmarking address"],
  ["198.51.100.0", 24, "ipv4", "a documentation address"],
  ["203.0.113.0", 24, "ipv4", "a documentation address"],
  ["224.0.0.0", 4, "ipv4", "a multicast address"],
  // 240/4 includes the limited broadcast address 255.255.255.255.
  ["240.0.0.0", 4, "ipv4", "a reserved or broadcast address"],
  ["::", 128, "ipv6", "the unspecified address"],
  ["::1", 128, "ipv6", "a loopback address (this machine)"],
  // Deprecated IPv4-compatible addresses (::a.b.c.d); never routed today.
  ["::", 96, "ipv6", "an IPv4-compatible address (deprecated)"],
  ["64:ff9b:1::", 48, "ipv6", "a local-use NAT64 address"],
  ["100::", 64, "ipv6", "a discard-only address"],
  // Teredo and 6to4 can carry any IPv4 address (private ones too) and are obsolete: refuse them whole.
  ["2001::", 32, "ipv6", "a Teredo tunnel address"],
  ["2001:db8::", 32, "ipv6", "a documentation address"],
  ["2002::", 16, "ipv6", "a 6to4 tunnel address"],
  ["fc00::", 7, "ipv6", "a unique-local (private-network) address"],
  ["fe80::", 10, "ipv6", "a link-local address"],
  ["fec0::", 10, "ipv6", "a site-local address (deprecated)"],
  ["ff00::", 8, "ipv6", "a multicast address"],
];

const BLOCKED = RANGES.map(([network, prefix, family, label]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, label, cidr: `${network}/${prefix}` };
});

/** The well-known NAT64 prefix: public IPv4 sites reached from IPv6-only networks, so only its embedded IPv4 decides. */
const NAT64 = new BlockList();
NAT64.addSubnet("64:ff9b::", 96, "ipv6");

/** The default policy: anything in a private, loopback, link-local, multicast or reserved range is refused. */
export function defaultAddressPolicy(ip: string): true | string {
  // A zone index (fe80::1%eth0) only exists on link-local addresses; BlockList does not understand it.
  const address = ip.split("%")[0]!;
  const version = isIP(address);
  if (version === 0) return `${ip} is not an IP address`;
  const family: Family = version === 4 ? "ipv4" : "ipv6";
  for (const { list, label, cidr } of BLOCKED) {
    if (list.check(address, family)) return `${ip} is ${label}, range ${cidr}`;
  }
  if (family === "ipv6" && NAT64.check(address, "ipv6")) {
    const embedded = lastIPv4Of(address);
    const verdict = defaultAddressPolicy(embedded);
    if (verdict !== true) return `${ip} is the NAT64 form of ${embedded}, and ${verdict}`;
  }
  return true;
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function lastIPv4Of(ipv6: string): string {
  // The URL parser writes the address in canonical hex form (no dotted tail), which keeps the parsing below short.
  const canonical = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);
  const [head = "", tail = ""] = canonical.split("::");
  const groups = canonical.includes("::")
    ? [...split(head), ...new Array<number>(8 - split(head).length - split(tail).length).fill(0), ...split(tail)]
    : split(canonical);
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

function split(part: string): number[] {
  return part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
}
