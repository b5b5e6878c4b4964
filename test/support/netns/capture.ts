import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

/** One packet the daemon's namespace sent, as tshark read it from the capture file. */
export interface SentPacket {
  readonly protocol: "tcp" | "udp" | "other";
  readonly destination: string;
  readonly port: number;
  readonly syn: boolean;
  readonly dnsName: string | undefined;
  readonly payload: Buffer;
}

/** tshark capturing on an interface inside a namespace into a pcap file. */
export class PacketCapture {
  private child: ChildProcess | undefined;

  constructor(
    private readonly namespace: string,
    private readonly iface: string,
    readonly file: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn("ip", ["netns", "exec", this.namespace, "tshark", "-q", "-i", this.iface, "-w", this.file], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tshark did not start capturing: ${stderr}`)), 20_000);
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("Capturing on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`tshark exited (${code}): ${stderr}`));
      });
    });
  }

  /** Stops capturing. The last packets take a moment to be written: wait first (FIELD-NOTES). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await sleep(500);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGINT");
    await Promise.race([exited, sleep(5000).then(() => child.kill("SIGKILL"))]);
  }

  /** Every IPv4 packet whose source is `fromAddress`. */
  sentBy(fromAddress: string): SentPacket[] {
    const fields = ["ip.src", "ip.dst", "ip.proto", "tcp.dstport", "udp.dstport", "tcp.flags.syn", "tcp.flags.ack", "dns.qry.name", "dns.flags.response", "tcp.payload", "udp.payload"];
    const output = execFileSync("tshark", ["-r", this.file, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f", ...fields.flatMap((f) => ["-e", f])], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const packets: SentPacket[] = [];
    for (const line of output.split("\n")) {
      if (line.trim() === "") continue;
      const [src, dst, proto, tcpPort, udpPort, syn, ack, dnsName, dnsResponse, tcpPayload, udpPayload] = line.split("\t");
      if (src !== fromAddress) continue;
      const protocol = proto === "6" ? "tcp" : proto === "17" ? "udp" : "other";
      packets.push({
        protocol,
        destination: dst ?? "",
        port: Number(protocol === "tcp" ? tcpPort : udpPort) || 0,
        syn: (syn === "1" || syn === "True") && !(ack === "1" || ack === "True"),
        dnsName: dnsName && !(dnsResponse === "1" || dnsResponse === "True") ? dnsName.toLowerCase() : undefined,
        payload: Buffer.from(((protocol === "tcp" ? tcpPayload : udpPayload) ?? "").replace(/:/g, ""), "hex"),
      });
    }
    return packets;
  }
}

export interface LeakPolicy {
  /** "address:port" (tcp or udp) the daemon may send to. */
  readonly destinations: ReadonlySet<string>;
  /** Names the daemon may look up. */
  readonly names: ReadonlySet<string>;
  /** The canary may only appear in payloads to these "address:port" (the search provider). */
  readonly canaryAllowedTo: ReadonlySet<string>;
  readonly canary: string;
}

/** What the capture shows against the policy: each finding is one way the promise was broken. */
export function findLeaks(packets: readonly SentPacket[], policy: LeakPolicy): string[] {
  const findings = new Set<string>();
  for (const packet of packets) {
    const where = `${packet.destination}:${packet.port}`;
    if (packet.protocol === "other") findings.add(`a non-TCP/UDP packet to ${packet.destination}`);
    else if (!policy.destinations.has(where)) findings.add(`${packet.protocol} to ${where}, which is not an allowed fake`);
    if (packet.dnsName !== undefined && !policy.names.has(packet.dnsName)) findings.add(`a DNS query for ${packet.dnsName}`);
    if (packet.payload.includes(policy.canary) && !policy.canaryAllowedTo.has(where)) findings.add(`the canary in a ${packet.protocol} payload to ${where}`);
  }
  return [...findings];
}

/** Connections opened (TCP SYNs) per destination, for the report. */
export function connectionsByDestination(packets: readonly SentPacket[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const packet of packets) {
    if (packet.protocol === "tcp" && packet.syn) counts[`${packet.destination}:${packet.port}`] = (counts[`${packet.destination}:${packet.port}`] ?? 0) + 1;
  }
  return counts;
}
