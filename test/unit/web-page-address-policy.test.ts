import { describe, expect, it } from "vitest";
import { defaultAddressPolicy } from "../../tools/web-page/index.js";
import { loopbackTestPolicy } from "../support/fake-web/index.js";

/** [address, the range it falls in (undefined: public, allowed)] */
const TABLE: readonly (readonly [string, string | undefined])[] = [
  // Public IPv4, including neighbours of blocked ranges.
  ["8.8.8.8", undefined],
  ["93.184.216.34", undefined],
  ["1.0.0.1", undefined],
  ["9.255.255.255", undefined],
  ["11.0.0.0", undefined],
  ["100.63.255.255", undefined],
  ["100.128.0.0", undefined],
  ["126.255.255.255", undefined],
  ["128.0.0.0", undefined],
  ["169.253.255.255", undefined],
  ["172.15.255.255", undefined],
  ["172.32.0.0", undefined],
  ["192.0.1.1", undefined],
  ["192.167.255.255", undefined],
  ["198.17.255.255", undefined],
  ["198.20.0.0", undefined],
  ["223.255.255.255", undefined],
  // Refused IPv4.
  ["0.0.0.0", "0.0.0.0/8"],
  ["0.255.255.255", "0.0.0.0/8"],
  ["10.0.0.5", "10.0.0.0/8"],
  ["10.255.255.255", "10.0.0.0/8"],
  ["100.64.0.1", "100.64.0.0/10"],
  ["100.127.255.255", "100.64.0.0/10"],
  ["127.0.0.1", "127.0.0.0/8"],
  ["127.0.0.2", "127.0.0.0/8"],
  ["127.255.255.254", "127.0.0.0/8"],
  ["169.254.169.254", "169.254.0.0/16"],
  ["172.16.0.1", "172.16.0.0/12"],
  ["172.31.255.255", "172.16.0.0/12"],
  ["192.0.0.8", "192.0.0.0/24"],
  ["192.0.2.10", "192.0.2.0/24"],
  ["192.168.1.1", "192.168.0.0/16"],
  ["198.18.0.1", "198.18.0.0/15"],
  ["198.19.255.255", "198.18.0.0/15"],
  ["198.51.100.7", "198.51.100.0/24"],
  ["203.0.113.9", "203.0.113.0/24"],
  ["224.0.0.1", "224.0.0.0/4"],
  ["239.255.255.250", "224.0.0.0/4"],
  ["240.0.0.1", "240.0.0.0/4"],
  ["255.255.255.255", "240.0.0.0/4"],
  // Public IPv6.
  ["2606:4700:4700::1111", undefined],
  ["2001:4860:4860::8888", undefined],
  ["2a00:1450:4001:80b::200e", undefined],
  ["::ffff:8.8.8.8", undefined],
  ["64:ff9b::8.8.8.8", undefined],
  ["64:ff9b::808:808", undefined],
  // Refused IPv6.
  ["::", "::/128"],
  ["::1", "::1/128"],
  ["0:0:0:0:0:0:0:1", "::1/128"],
  ["::127.0.0.1", "::/96"],
  ["fc00::1", "fc00::/7"],
  ["fd12:3456:789a::1", "fc00::/7"],
  ["fe80::1", "fe80::/10"],
  ["fe80::1%eth0", "fe80::/10"],
  ["febf:ffff::1", "fe80::/10"],
  ["fec0::1", "fec0::/10"],
  ["ff02::1", "ff00::/8"],
  ["2001:db8::1", "2001:db8::/32"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"],
  ["2002:a00:1::1", "2002::/16"],
  ["100::1", "100::/64"],
  ["64:ff9b:1::a00:1", "64:ff9b:1::/48"],
  // IPv4-mapped and NAT64 forms of private IPv4 addresses.
  ["::ffff:127.0.0.1", "127.0.0.0/8"],
  ["::ffff:7f00:1", "127.0.0.0/8"],
  ["::ffff:10.0.0.1", "10.0.0.0/8"],
  ["::ffff:169.254.169.254", "169.254.0.0/16"],
  ["64:ff9b::10.0.0.1", "10.0.0.0/8"],
  ["64:ff9b::a9fe:a9fe", "169.254.0.0/16"],
  ["64:ff9b::7f00:1", "127.0.0.0/8"],
];

describe("defaultAddressPolicy", () => {
  it.each(TABLE)("%s -> %s", (ip, range) => {
    const verdict = defaultAddressPolicy(ip);
    if (range === undefined) expect(verdict).toBe(true);
    else expect(verdict).toEqual(expect.stringContaining(`range ${range}`));
  });

  it("names the address and what it is", () => {
    expect(defaultAddressPolicy("169.254.169.254")).toBe("169.254.169.254 is a link-local address (where cloud metadata endpoints live), range 169.254.0.0/16");
    expect(defaultAddressPolicy("64:ff9b::10.0.0.1")).toBe("64:ff9b::10.0.0.1 is the NAT64 form of 10.0.0.1, and 10.0.0.1 is a private-network address, range 10.0.0.0/8");
  });

  it.each(["localhost", "news.example", "1.2.3", "", "256.0.0.1", "::g"])("refuses %j, which is not an IP address", (value) => {
    expect(defaultAddressPolicy(value)).toMatch(/is not an IP address$/);
  });
});

describe("the tests' loopback policy", () => {
  it("lets exactly 127.0.0.1 through and refuses everything else the real policy refuses", () => {
    expect(loopbackTestPolicy("127.0.0.1")).toBe(true);
    for (const [ip, range] of TABLE) {
      if (ip !== "127.0.0.1") expect(loopbackTestPolicy(ip)).toBe(range === undefined ? true : defaultAddressPolicy(ip));
    }
    expect(loopbackTestPolicy("::ffff:127.0.0.1")).not.toBe(true);
  });
});
