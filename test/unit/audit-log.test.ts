import { appendFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileAuditSink, previousLogPath, readAuditLog } from "../../src/audit-log.js";
import type { EgressRecord } from "../../src/egress.js";
import { formatPrivacyReport, summarizeAuditLog } from "../../src/privacy-report.js";
import { loadConfig } from "../../src/config.js";
import { dataPaths } from "../../src/data-paths.js";
import { checkPrivacy } from "../../src/doctor.js";
import { makeTempDir } from "../support/temp-dir.js";

const tmp = makeTempDir("burrow-audit-");
afterAll(() => tmp.remove());

let files = 0;
const logPath = () => join(tmp.path, `egress-${++files}.log`);

function record(i: number, extra: Partial<EgressRecord> = {}): EgressRecord {
  return { at: new Date(Date.UTC(2026, 11, 5, 0, 0, i)).toISOString(), purpose: "search", method: "GET", host: "search.example", outcome: "allowed", status: 200, bytesOut: 90, bytesIn: 4000, query: `query number ${i}`, ...extra };
}

describe("audit log", () => {
  it("stays within its size budget over many records, keeping the newest ones in order", () => {
    const path = logPath();
    const budget = 8 * 1024;
    const sink = fileAuditSink(path, budget);
    for (let i = 0; i < 1000; i++) sink(record(i));
    const size = statSync(path).size + statSync(previousLogPath(path)).size;
    expect(size).toBeLessThanOrEqual(budget);
    const kept = readAuditLog(path);
    // The newest record is always there, and what is kept is a contiguous, ordered run ending with it.
    expect(kept.at(-1)!.query).toBe("query number 999");
    const numbers = kept.map((r) => Number(r.query!.split(" ").at(-1)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(kept.length).toBeGreaterThan(20);
    expect(kept.length).toBeLessThan(1000);
  });

  it("never throws into the connection that is being recorded when the log cannot be written", () => {
    const path = logPath();
    mkdirSync(path); // a directory where the file should be: every append fails (EISDIR)
    const errors: unknown[] = [];
    const sink = fileAuditSink(path, undefined, (error) => errors.push(error));
    expect(() => sink(record(1))).not.toThrow();
    expect(() => sink(record(2))).not.toThrow();
    expect(errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(["EISDIR", "EISDIR"]);
  });

  it("skips a torn line from a crash instead of refusing to report", () => {
    const path = logPath();
    const sink = fileAuditSink(path);
    sink(record(1));
    appendFileSync(path, '{"at":"2026-12-05T00:00:02.000Z","purpose":"sea');
    appendFileSync(path, "\n");
    sink(record(3));
    expect(readAuditLog(path).map((r) => r.query)).toEqual(["query number 1", "query number 3"]);
  });

  it("summarises per destination and purpose: HTTP requests, socket connections with their bytes, queries, refusals", () => {
    const records: EgressRecord[] = [
      record(1),
      { at: "2026-12-05T00:00:01.500Z", purpose: "search", layer: "socket", method: "CONNECT", host: "search.example", port: 443, outcome: "allowed", bytesOut: 700, bytesIn: 5000 },
      record(2, { query: "second" }),
      { at: "2026-12-05T00:00:03.000Z", purpose: "chat-platform", method: "POST", host: "api.telegram.org", outcome: "allowed", status: 200, bytesOut: 300, bytesIn: 200 },
      { at: "2026-12-05T00:00:04.000Z", purpose: "unknown", layer: "socket", method: "CONNECT", host: "203.0.113.9", port: 80, outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "no purpose allows this destination" },
      { at: "2026-12-05T00:00:05.000Z", purpose: "unknown", layer: "socket", method: "CONNECT", host: "203.0.113.9", port: 80, outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "no purpose allows this destination" },
      { at: "2026-12-05T00:00:06.000Z", purpose: "unknown", layer: "dns", method: "lookup", host: "telemetry.example", outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "not the name of an allowed destination" },
    ];
    const report = summarizeAuditLog(records);
    expect(report.destinations).toEqual([
      expect.objectContaining({ purpose: "chat-platform", destination: "api.telegram.org:443", requests: 1, connections: 0, bytesOut: 300, bytesIn: 200 }),
      // Where the socket gate saw the connection, its byte counts (what really crossed) win over the HTTP layer's.
      expect.objectContaining({ purpose: "search", destination: "search.example:443", requests: 2, connections: 1, bytesOut: 700, bytesIn: 5000 }),
    ]);
    expect(report.queries.map((q) => q.query)).toEqual(["query number 1", "second"]);
    expect(report.refused).toEqual([
      expect.objectContaining({ layer: "dns", destination: "telemetry.example", count: 1 }),
      expect.objectContaining({ layer: "socket", destination: "203.0.113.9:80", count: 2, last: "2026-12-05T00:00:05.000Z" }),
    ]);
    const text = formatPrivacyReport(report, { maxQueries: 1 });
    expect(text).toContain('Search queries sent (2, the last 1) — the only thing you write that leaves the machine:\n  2026-12-05T00:00:02.000Z  "second" → search.example:443');
    expect(text).toContain("Refused (3):");
    expect(text).toContain("203.0.113.9:80 (unknown, socket) ×2");
    expect(text).toContain("telemetry.example (unknown, dns) ×1");
  });

  it("burrow doctor: offline mode and the log's size; a warning only for refusals outside the HTTP rules", () => {
    const dataDir = join(tmp.path, "doctor");
    const config = loadConfig({ BURROW_DATA_DIR: dataDir, BURROW_OFFLINE: "1", BURROW_AUDIT_LOG_BUDGET: "1" });
    expect(checkPrivacy(config)).toEqual({ name: "Privacy", status: "ok", detail: "offline mode (no search, no pages); audit log 0 records, 0 B of 1.0 MB" });
    const sink = fileAuditSink(dataPaths(dataDir).egressLog, config.auditLogBudgetBytes);
    // The page reader refusing a private address is the policy working: still ok.
    sink({ at: "2026-12-05T00:00:01.000Z", purpose: "page", method: "GET", host: "10.0.0.1", outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "a private-network address" });
    expect(checkPrivacy(config)).toMatchObject({ status: "ok", detail: expect.stringMatching(/audit log 1 record, \d+ B of 1.0 MB$/) });
    // A library trying to reach somewhere Burrow never goes is worth a warning.
    sink({ at: "2026-12-05T00:00:02.000Z", purpose: "unknown", layer: "dns", method: "lookup", host: "telemetry.example", outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "not the name of an allowed destination" });
    const warned = checkPrivacy(config);
    expect(warned).toMatchObject({ status: "warn", fix: expect.stringContaining("burrow privacy report") });
    expect(warned.detail).toContain("1 connection outside the egress policy refused (telemetry.example)");
  });

  it("says plainly when nothing left the machine", () => {
    expect(formatPrivacyReport(summarizeAuditLog([]), { logPath: "/data/logs/egress.log" })).toBe("Nothing has left this machine: the egress audit log in /data/logs/egress.log is empty.");
  });
});
