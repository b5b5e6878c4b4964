import { createSocket, type Socket } from "node:dgram";

/**
 * A real DNS server over UDP, just enough for getaddrinfo: A queries for the names it knows are answered,
 * AAAA (and anything else) for a known name gets an empty answer, unknown names get NXDOMAIN. Every query's
 * name is recorded. The leak test runs it in the fakes' network namespace and points the daemon's
 * resolv.conf at it, so the daemon resolves names the way it would at home.
 */
export class FakeDnsServer {
  readonly queries: string[] = [];
  private socket: Socket | undefined;

  /** `records`: lower-case name → IPv4 address; a name starting with "*." matches every name under it. */
  constructor(private readonly records: Readonly<Record<string, string>>) {}

  async start(host: string, port = 53): Promise<void> {
    const socket = createSocket("udp4");
    this.socket = socket;
    socket.on("message", (message, remote) => {
      const reply = this.answer(message);
      if (reply) socket.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private lookup(name: string): string | undefined {
    const exact = this.records[name];
    if (exact) return exact;
    for (const [pattern, address] of Object.entries(this.records)) {
      if (pattern.startsWith("*.") && name.endsWith(pattern.slice(1))) return address;
    }
    return undefined;
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 17) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at]!;
      labels.push(query.subarray(at + 1, at + 1 + length).toString("latin1"));
      at += 1 + length;
    }
    const questionEnd = at + 5; // zero byte, type (2), class (2)
    if (questionEnd > query.length) return undefined;
    const type = query.readUInt16BE(at + 1);
    const name = labels.join(".").toLowerCase();
    this.queries.push(name);
    const address = this.lookup(name);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    const recursionDesired = query[2]! & 0x01;
    header[2] = 0x84 | recursionDesired; // response, authoritative
    header[3] = 0x80 | (address === undefined ? 3 : 0); // recursion available; NXDOMAIN for unknown names
    header.writeUInt16BE(1, 4);
    const answers: Buffer[] = [];
    if (address !== undefined && type === 1) {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      record.writeUInt16BE(1, 2); // A
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(60, 6);
      record.writeUInt16BE(4, 10);
      address.split(".").forEach((part, i) => (record[12 + i] = Number(part)));
      answers.push(record);
    }
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}
