import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

/**
 * Two network namespaces joined by a veth pair, for the leak test: "daemon" (A) runs Burrow, "fakes" (B)
 * runs every fake server. A's default route goes to B, so a connection to ANY address leaves A's interface
 * (where the capture listens) instead of failing inside A; B has no other interface and a fresh namespace
 * does not forward (ip_forward=0), so nothing reaches a real network. A's resolv.conf points at B's DNS.
 *
 * B also holds PAGE_ADDRESS, for the web page the agent reads: the page reader only contacts public
 * addresses, and B's own address is private. A reaches it through its default route, like any address.
 */

/**
 * An address the page reader's policy accepts that is no live service anywhere: 192.88.99.0/24 was the 6to4
 * relay anycast block, deprecated by RFC 7526. Traffic to it never leaves the namespace pair either way.
 */
export const PAGE_ADDRESS = "192.88.99.7";

export interface NamespacePair {
  readonly daemon: string;
  readonly fakes: string;
  readonly daemonIf: string;
  readonly daemonAddress: string;
  readonly fakesAddress: string;
  /** PAGE_ADDRESS, a second address of the fakes' namespace. */
  readonly pageAddress: string;
  /** Runs a command inside a namespace: `["ip", "netns", "exec", ns, ...command]`. */
  exec(ns: string, command: readonly string[]): string[];
  remove(): void;
}

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Whether this process can create network namespaces (root with iproute2). */
export function canUseNetns(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: "not running as root (ip netns needs CAP_SYS_ADMIN)" };
  try {
    ip("-V");
  } catch {
    return { ok: false, reason: "iproute2 (`ip`) is not installed" };
  }
  try {
    execFileSync("tshark", ["--version"], { stdio: "ignore" });
  } catch {
    return { ok: false, reason: "tshark is not installed (sh setup.sh test installs it)" };
  }
  return { ok: true };
}

export function createNamespacePair(): NamespacePair {
  const id = randomBytes(3).toString("hex");
  const daemon = `burrow-a-${id}`;
  const fakes = `burrow-b-${id}`;
  // Interface names: at most 15 bytes.
  const daemonIf = `bwa${id}`;
  const fakesIf = `bwb${id}`;
  // A private /30 chosen per run, so parallel runs on one machine do not collide.
  const [x, y] = [randomBytes(1)[0]! % 200 + 20, (randomBytes(1)[0]! % 63) * 4];
  const daemonAddress = `10.${x}.${y}.1`;
  const fakesAddress = `10.${x}.${y}.2`;
  const etcDir = `/etc/netns/${daemon}`;
  const remove = (): void => {
    for (const ns of [daemon, fakes]) {
      try {
        ip("netns", "del", ns);
      } catch {
        // not created, or already gone
      }
    }
    rmSync(etcDir, { recursive: true, force: true });
  };
  try {
    ip("netns", "add", daemon);
    ip("netns", "add", fakes);
    ip("link", "add", daemonIf, "type", "veth", "peer", "name", fakesIf);
    ip("link", "set", daemonIf, "netns", daemon);
    ip("link", "set", fakesIf, "netns", fakes);
    // No IPv6 in A: its link-local chatter (router solicitations) is not the daemon's and would blur the capture.
    execFileSync("ip", ["netns", "exec", daemon, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
    ip("-n", daemon, "addr", "add", `${daemonAddress}/30`, "dev", daemonIf);
    ip("-n", fakes, "addr", "add", `${fakesAddress}/30`, "dev", fakesIf);
    ip("-n", fakes, "addr", "add", `${PAGE_ADDRESS}/32`, "dev", fakesIf);
    for (const [ns, dev] of [[daemon, daemonIf], [fakes, fakesIf], [daemon, "lo"], [fakes, "lo"]] as const) ip("-n", ns, "link", "set", dev, "up");
    ip("-n", daemon, "route", "add", "default", "via", fakesAddress);
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(`${etcDir}/resolv.conf`, `nameserver ${fakesAddress}\noptions timeout:1 attempts:1\n`);
    writeFileSync(`${etcDir}/hosts`, "127.0.0.1 localhost\n");
  } catch (error) {
    remove();
    throw error;
  }
  return {
    daemon,
    fakes,
    daemonIf,
    daemonAddress,
    fakesAddress,
    pageAddress: PAGE_ADDRESS,
    exec: (ns, command) => ["ip", "netns", "exec", ns, ...command],
    remove,
  };
}
