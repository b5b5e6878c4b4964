import dgram from "node:dgram";
import dns from "node:dns";
import { lookup as importedLookup } from "node:dns";
import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { createDiscordBot } from "../../bots/discord/index.js";
import { loadConfig } from "../../src/config.js";
import { EgressEndpoints } from "../../src/egress-endpoints.js";
import { EgressGate, type EgressRecord } from "../../src/egress.js";
import { silentLogger } from "../../src/log.js";
import { installSocketGate, SocketRefusedError } from "../../src/socket-gate.js";
import { FakeDiscord } from "../support/fake-discord/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The socket gate in a real process: raw net and tls sockets, a ws WebSocket, UDP, DNS and unix sockets,
 * opened the way a dependency would open them (not through the HTTP gate), against real servers on
 * loopback. Refused means: the server never sees a connection, the caller gets an error, the audit log
 * has the refusal. Allowed connections are recorded with their bytes.
 */
const endpoints = new EgressEndpoints();
const records: EgressRecord[] = [];
let uninstall: () => void;
let tcp: net.Server;
let tcpPort: number;
let accepted = 0;
const dir = makeTempDir("burrow-socket-gate-");

beforeAll(async () => {
  tcp = net.createServer((socket) => {
    accepted += 1;
    socket.end("hello");
  });
  tcp.listen(0, "127.0.0.1");
  await once(tcp, "listening");
  tcpPort = (tcp.address() as AddressInfo).port;
  uninstall = installSocketGate({ endpoints, audit: (record) => records.push(record) });
});
afterAll(async () => {
  uninstall();
  tcp.close();
  dir.remove();
});
beforeEach(() => {
  records.length = 0;
  accepted = 0;
});

const failure = (emitter: { once(event: "error", listener: (error: Error) => void): unknown }): Promise<Error> =>
  new Promise((resolve) => emitter.once("error", resolve));

describe("the socket gate", () => {
  it("destroys a raw net socket to a destination no purpose allows before it connects, and logs it", async () => {
    const socket = net.connect(tcpPort, "127.0.0.1");
    const error = await failure(socket);
    expect(error).toBeInstanceOf(SocketRefusedError);
    expect(error.message).toContain(`127.0.0.1:${tcpPort}`);
    await sleep(50);
    expect(accepted).toBe(0);
    expect(records).toEqual([expect.objectContaining({ purpose: "unknown", layer: "socket", host: "127.0.0.1", port: tcpPort, outcome: "refused" })]);
  });

  it("lets an allowed destination through and records the connection's bytes when it closes", async () => {
    const release = endpoints.allow("redis", "127.0.0.1", tcpPort);
    const socket = net.connect({ host: "127.0.0.1", port: tcpPort });
    socket.write("ping");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    await once(socket, "close");
    release();
    expect(received).toBe("hello");
    expect(accepted).toBe(1);
    expect(records).toEqual([expect.objectContaining({ purpose: "redis", layer: "socket", outcome: "allowed", port: tcpPort, bytesOut: 4, bytesIn: 5 })]);
    // Released: the same destination is refused again.
    expect(await failure(net.connect(tcpPort, "127.0.0.1"))).toBeInstanceOf(SocketRefusedError);
  });

  it("records an allowed connection that never opened as failed, with why: the error, or given up first", async () => {
    // A port nothing listens on: the connection is refused by the kernel.
    const closed = net.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const release = endpoints.allow("redis", "127.0.0.1", closedPort);
    const refused = net.connect(closedPort, "127.0.0.1");
    expect((await failure(refused)).message).toContain("ECONNREFUSED");
    await once(refused, "close");
    // An allowed connection destroyed by its owner before it opened (as a downloader drops a spare one).
    const abandoned = net.connect(closedPort, "127.0.0.1");
    abandoned.destroy();
    await once(abandoned, "close");
    // Still connecting when Burrow stops (the gate removed, as at exit): recorded then, not lost.
    const pending = net.connect(closedPort, "127.0.0.1");
    pending.on("error", () => {});
    uninstall();
    uninstall = installSocketGate({ endpoints, audit: (record) => records.push(record) });
    pending.destroy();
    release();
    expect(records).toEqual([
      expect.objectContaining({ purpose: "redis", layer: "socket", port: closedPort, outcome: "failed", bytesOut: 0, reason: expect.stringContaining("ECONNREFUSED") }),
      expect.objectContaining({ purpose: "redis", layer: "socket", port: closedPort, outcome: "failed", bytesOut: 0, reason: "given up by Burrow before the connection opened" }),
      expect.objectContaining({ purpose: "redis", layer: "socket", port: closedPort, outcome: "failed", bytesOut: 0, reason: "still connecting when Burrow stopped" }),
    ]);
  });

  it("refuses tls.connect and a ws WebSocket the same way (they end in the same connect)", async () => {
    expect(await failure(tls.connect({ host: "127.0.0.1", port: tcpPort, rejectUnauthorized: false }))).toBeInstanceOf(SocketRefusedError);
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await once(wss, "listening");
    const wsPort = (wss.address() as AddressInfo).port;
    let wsConnections = 0;
    wss.on("connection", (client) => {
      wsConnections += 1;
      client.send("welcome");
    });
    const refused = new WebSocket(`ws://127.0.0.1:${wsPort}/gateway`);
    expect(await failure(refused)).toBeInstanceOf(SocketRefusedError);
    const release = endpoints.allowUrl("chat-platform", new URL(`ws://127.0.0.1:${wsPort}`));
    const allowed = new WebSocket(`ws://127.0.0.1:${wsPort}/gateway`);
    const [message] = (await once(allowed, "message")) as [Buffer];
    expect(message.toString()).toBe("welcome");
    allowed.close();
    await once(allowed, "close");
    release();
    wss.close();
    expect(wsConnections).toBe(1);
    expect(records.map((r) => `${r.purpose}:${r.outcome}:${r.port}`)).toEqual([`unknown:refused:${tcpPort}`, `unknown:refused:${wsPort}`, `chat-platform:allowed:${wsPort}`]);
  });

  it("refuses every UDP datagram: nothing arrives", async () => {
    const server = dgram.createSocket("udp4");
    let received = 0;
    server.on("message", () => (received += 1));
    server.bind(0, "127.0.0.1");
    await once(server, "listening");
    const client = dgram.createSocket("udp4");
    const error = await new Promise<Error | null>((resolve) => client.send("secret", (server.address() as AddressInfo).port, "127.0.0.1", resolve));
    expect(error).toBeInstanceOf(SocketRefusedError);
    await sleep(50);
    expect(received).toBe(0);
    client.close();
    server.close();
    expect(records).toEqual([expect.objectContaining({ layer: "socket", method: "UDP", outcome: "refused" })]);
  });

  it("fails DNS lookups of names no destination has, in every API, before a query is sent", async () => {
    const callback = await new Promise<Error | null>((resolve) => dns.lookup("secret-data.example.com", (error) => resolve(error)));
    expect(callback).toBeInstanceOf(SocketRefusedError);
    const imported = await new Promise<Error | null>((resolve) => importedLookup("secret-data.example.com", (error) => resolve(error)));
    expect(imported).toBeInstanceOf(SocketRefusedError);
    await expect(dns.promises.resolve4("secret-data.example.com")).rejects.toBeInstanceOf(SocketRefusedError);
    await expect(new dns.promises.Resolver().resolveTxt("secret-data.example.com")).rejects.toBeInstanceOf(SocketRefusedError);
    // A connection by name is refused before its lookup.
    expect(await failure(net.connect(80, "secret-data.example.com"))).toBeInstanceOf(SocketRefusedError);
    // Reverse lookups ask a DNS server about an address: refused whatever the address.
    await expect(dns.promises.reverse("203.0.113.5")).rejects.toBeInstanceOf(SocketRefusedError);
    await expect(dns.promises.lookupService("127.0.0.1", 22)).rejects.toBeInstanceOf(SocketRefusedError);
    expect(records.filter((r) => r.layer === "dns").map((r) => r.method)).toEqual(["lookup", "lookup", "resolve4", "resolveTxt", "reverse", "lookupService"]);
    // localhost and names of allowed destinations resolve.
    await expect(dns.promises.lookup("localhost")).resolves.toMatchObject({ address: expect.any(String) });
  });

  it("allows unix sockets only in registered directories", async () => {
    const inside = join(dir.path, "data", "redis.sock");
    const outside = join(dir.path, "elsewhere.sock");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir.path, "data"));
    const servers = [inside, outside].map((path) => net.createServer((socket) => socket.end("ok")).listen(path));
    await Promise.all(servers.map((server) => once(server, "listening")));
    const release = endpoints.allowSocketDir(join(dir.path, "data"));
    const ok = net.connect(inside);
    ok.resume();
    await once(ok, "close");
    expect(await failure(net.connect(outside))).toBeInstanceOf(SocketRefusedError);
    expect(await failure(net.connect(join(dir.path, "data", "..", "elsewhere.sock")))).toBeInstanceOf(SocketRefusedError);
    release();
    for (const server of servers) server.close();
  });

  it("lets the HTTP gate's requests through only while they run, for rules that allow one URL", async () => {
    const http: HttpServer = createHttpServer((_req, res) => res.end("page"));
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const gate = new EgressGate((record) => records.push(record), { endpoints });
    const revoke = gate.allow("page", (url) => (url.pathname === "/one" ? true : "not this page"));
    const response = await gate.request("page", `${origin}/one`);
    expect(response.body.toString()).toBe("page");
    revoke();
    expect(await failure(net.connect(Number(new URL(origin).port), "127.0.0.1"))).toBeInstanceOf(SocketRefusedError);
    http.closeAllConnections();
    http.close();
  });

  it("offline, the HTTP gate registers no search destination, so even a direct socket is refused", async () => {
    const gate = new EgressGate((record) => records.push(record), { endpoints, offline: true });
    const release = gate.allowOrigins("search", [`http://127.0.0.1:${tcpPort}`]);
    expect(gate.check("search", new URL(`http://127.0.0.1:${tcpPort}/`))).toContain("offline mode");
    expect(await failure(net.connect(tcpPort, "127.0.0.1"))).toBeInstanceOf(SocketRefusedError);
    release();
  });

  it("lets the real discord.js reach the gateway URL its REST API returned, and nothing else", async () => {
    const TOKEN = "fake-discord-bot-token-0123456789";
    const fake = await new FakeDiscord({ token: TOKEN }).start();
    const config = loadConfig({ HOME: dir.path, XDG_CONFIG_HOME: join(dir.path, "config"), BURROW_DISCORD_TOKEN: TOKEN, BURROW_DISCORD_API: fake.apiUrl });
    const gate = new EgressGate((record) => records.push(record), { endpoints });
    const queue = {} as never; // no message is sent in this test
    const bot = createDiscordBot({ config, queue, gate, logger: silentLogger(), status: () => ({ model: undefined, uptimeSeconds: 0 }) });
    await bot.start();
    expect(fake.connections).toBe(1);
    await bot.stop();
    await fake.close();
    const port = Number(new URL(fake.apiUrl).port);
    expect(records.filter((r) => r.outcome === "refused")).toEqual([]);
    expect(records).toEqual(expect.arrayContaining([expect.objectContaining({ purpose: "chat-platform", layer: "socket", port, outcome: "allowed" })]));
  });
});
