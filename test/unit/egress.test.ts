import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EgressEndpoints } from "../../src/egress-endpoints.js";
import { EgressGate, EgressRefusedError, EgressRequestError, type EgressRecord } from "../../src/egress.js";

/** A real HTTP server on loopback standing in for "the internet". */
let server: Server;
let origin: string;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res): void => {
    seen.push(req);
    if (req.url === "/big") return void res.end("x".repeat(100_000));
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 1_000);
    if (req.url === "/moved") return void res.writeHead(302, { location: "http://169.254.169.254/" }).end();
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(`hello ${body}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let records: EgressRecord[];
let gate: EgressGate;
beforeEach(() => {
  seen.length = 0;
  records = [];
  gate = new EgressGate((record) => records.push(record));
});

describe("EgressGate", () => {
  it("refuses a destination no rule allows, logs the refusal, and never connects", async () => {
    const error = await gate.request("search", `${origin}/q?x=1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EgressRefusedError);
    expect((error as EgressRefusedError).message).toContain("for search: nothing is allowed for search right now");
    expect(seen).toHaveLength(0);
    expect(records).toMatchObject([{ purpose: "search", outcome: "refused", host: new URL(origin).host, bytesIn: 0 }]);
  });

  it("allows an origin only for the purpose it was granted to, until revoked", async () => {
    const revoke = gate.allowOrigins("search", [origin]);
    const response = await gate.request("search", `${origin}/q`, { method: "POST", body: "abc" });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe("hello abc");
    await expect(gate.request("page", `${origin}/q`)).rejects.toBeInstanceOf(EgressRefusedError);
    revoke();
    await expect(gate.request("search", `${origin}/q`)).rejects.toBeInstanceOf(EgressRefusedError);
    expect(seen).toHaveLength(1);
    expect(records.map((r) => `${r.purpose}:${r.outcome}`)).toEqual(["search:allowed", "page:refused", "search:refused"]);
    // Bytes are counted, the path and body are not logged: the audit log must not copy what people asked.
    expect(records[0]).toMatchObject({ method: "POST", status: 200, bytesOut: "/q".length + 3, bytesIn: "hello abc".length });
    expect(JSON.stringify(records)).not.toContain("abc");
  });

  it("registers an endpoint for the socket gate ahead of a request only while a rule allows the URL", () => {
    const endpoints = new EgressEndpoints();
    const withEndpoints = new EgressGate(() => {}, { endpoints });
    const page = new URL("http://news.example/a");
    withEndpoints.allowEndpoint("page", page); // no rule: nothing is registered
    expect(endpoints.knowsHost("news.example")).toBe(false);
    const revoke = withEndpoints.allow("page", (url) => (url.href === page.href ? true : "another page"));
    withEndpoints.allowEndpoint("page", new URL("http://news.example/b")); // the rule refuses this one
    expect(endpoints.knowsHost("news.example")).toBe(false);
    const release = withEndpoints.allowEndpoint("page", page);
    expect(endpoints.purposesOf("news.example", 80)).toEqual(["page"]);
    release();
    revoke();
    expect(endpoints.knowsHost("news.example")).toBe(false);
  });

  it("refuses non-http schemes and URLs with credentials even when a rule would allow them", async () => {
    gate.allow("page", () => true);
    await expect(gate.request("page", "file:///etc/passwd")).rejects.toThrow(/only http and https/);
    await expect(gate.request("page", `http://user:pw@127.0.0.1:1/`)).rejects.toThrow(/credentials/);
  });

  it("cuts the body at maxBytes and says so", async () => {
    gate.allowOrigins("page", [origin]);
    const response = await gate.request("page", `${origin}/big`, { maxBytes: 1_000 });
    expect(response.body.length).toBe(1_000);
    expect(response.truncated).toBe(true);
    expect(records.at(-1)).toMatchObject({ outcome: "allowed", bytesIn: 1_000 });
  });

  it("does not follow redirects: the caller gets the location and decides", async () => {
    gate.allowOrigins("page", [origin]);
    const response = await gate.request("page", `${origin}/moved`);
    expect(response.status).toBe(302);
    expect(response.location).toBe("http://169.254.169.254/");
  });

  it("turns a timeout into an EgressRequestError naming host and purpose, and logs it as failed", async () => {
    gate.allowOrigins("search", [origin]);
    const error = await gate.request("search", `${origin}/slow`, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EgressRequestError);
    expect((error as EgressRequestError).kind).toBe("timeout");
    expect((error as Error).message).toBe(`Request to ${new URL(origin).host} (search) failed: no complete answer within 0.2 s`);
    expect(records.at(-1)).toMatchObject({ outcome: "failed", reason: "no complete answer within 0.2 s" });
  });

  it("rethrows the caller's cancel as-is", async () => {
    gate.allowOrigins("search", [origin]);
    const controller = new AbortController();
    const pending = gate.request("search", `${origin}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 50);
    await expect(pending).rejects.toThrow("user cancelled");
  });
});
