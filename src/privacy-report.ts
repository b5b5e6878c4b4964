import type { AuditPurpose, EgressRecord } from "./egress.js";

/**
 * What left the machine, from the egress audit log: one line per destination and purpose (requests made
 * through the HTTP gate, connections seen by the socket gate, bytes each way), the search queries sent,
 * and everything that was refused. `burrow privacy report` prints it; the bots' /privacy shows it to admins.
 */

export interface DestinationSummary {
  readonly purpose: AuditPurpose;
  /** host:port */
  readonly destination: string;
  /** Requests through the HTTP gate (or recorded by a library's own transport). */
  readonly requests: number;
  /** TCP connections the socket gate let through. */
  readonly connections: number;
  /** Bytes on the connections (what the socket saw), else what the HTTP layer counted. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly first: string;
  readonly last: string;
}

export interface RefusalSummary {
  readonly purpose: AuditPurpose;
  readonly layer: "http" | "socket" | "dns";
  readonly destination: string;
  readonly reason: string;
  readonly count: number;
  readonly last: string;
}

export interface PrivacyReport {
  readonly records: number;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly destinations: readonly DestinationSummary[];
  /** Every search query sent, oldest first. */
  readonly queries: readonly { readonly at: string; readonly query: string; readonly destination: string }[];
  readonly refused: readonly RefusalSummary[];
}

const DEFAULT_PORT_FOR_HTTP = 443;

/** host:port for a record; HTTP records carry url.host, which omits a default port. */
function destinationOf(record: EgressRecord): string {
  // A lookup has no port; unix sockets are paths.
  if (record.host.startsWith("unix:") || record.layer === "dns") return record.host;
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(record.host);
  if (match) return `${match[1]}:${match[2]}`;
  const host = record.host.includes(":") && !record.host.startsWith("[") ? `[${record.host}]` : record.host;
  return `${host}:${record.port ?? DEFAULT_PORT_FOR_HTTP}`;
}

export function summarizeAuditLog(records: readonly EgressRecord[]): PrivacyReport {
  type Mutable = { -readonly [K in keyof DestinationSummary]: DestinationSummary[K] } & { socketOut: number; socketIn: number };
  const destinations = new Map<string, Mutable>();
  const refused = new Map<string, { -readonly [K in keyof RefusalSummary]: RefusalSummary[K] }>();
  const queries: { at: string; query: string; destination: string }[] = [];
  for (const record of records) {
    const destination = destinationOf(record);
    const layer = record.layer ?? "http";
    if (record.outcome === "refused") {
      const reason = record.reason ?? "refused";
      const key = `${record.purpose}|${layer}|${destination}|${reason}`;
      const entry = refused.get(key);
      if (entry) {
        entry.count += 1;
        entry.last = record.at;
      } else refused.set(key, { purpose: record.purpose, layer, destination, reason, count: 1, last: record.at });
      continue;
    }
    if (layer === "dns") continue;
    const key = `${record.purpose}|${destination}`;
    let entry = destinations.get(key);
    if (!entry) {
      entry = { purpose: record.purpose, destination, requests: 0, connections: 0, bytesOut: 0, bytesIn: 0, socketOut: 0, socketIn: 0, first: record.at, last: record.at };
      destinations.set(key, entry);
    }
    entry.last = record.at;
    if (layer === "socket") {
      entry.connections += 1;
      entry.socketOut += record.bytesOut;
      entry.socketIn += record.bytesIn;
    } else {
      entry.requests += 1;
      entry.bytesOut += record.bytesOut;
      entry.bytesIn += record.bytesIn;
      if (record.purpose === "search" && record.query !== undefined) queries.push({ at: record.at, query: record.query, destination });
    }
  }
  const ordered = [...destinations.values()]
    .map(({ socketOut, socketIn, ...entry }): DestinationSummary => (entry.connections > 0 ? { ...entry, bytesOut: socketOut, bytesIn: socketIn } : entry))
    .sort((a, b) => a.purpose.localeCompare(b.purpose) || a.destination.localeCompare(b.destination));
  return {
    records: records.length,
    from: records[0]?.at,
    to: records.at(-1)?.at,
    destinations: ordered,
    queries,
    refused: [...refused.values()].sort((a, b) => b.last.localeCompare(a.last)),
  };
}

function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()}`);
}

/** The report as text. `maxQueries` limits how many of the latest queries are listed (the chat bots show few). */
export function formatPrivacyReport(report: PrivacyReport, options: { logPath?: string; maxQueries?: number; maxRefused?: number } = {}): string {
  const lines: string[] = [];
  const where = options.logPath ? ` in ${options.logPath}` : "";
  if (report.records === 0) return `Nothing has left this machine: the egress audit log${where} is empty.`;
  lines.push(`Egress audit log${where}: ${report.records} records, ${report.from} to ${report.to}.`, "");
  if (report.destinations.length === 0) lines.push("No destination was contacted.");
  else {
    lines.push("Contacted:");
    lines.push(
      ...table([
        ["purpose", "destination", "requests", "connections", "sent", "received"],
        ...report.destinations.map((d) => [d.purpose, d.destination, String(d.requests), String(d.connections), bytes(d.bytesOut), bytes(d.bytesIn)]),
      ]),
    );
  }
  lines.push("");
  const maxQueries = options.maxQueries ?? 20;
  if (report.queries.length === 0) lines.push("No search query was sent.");
  else {
    const shown = report.queries.slice(-maxQueries);
    lines.push(`Search queries sent (${report.queries.length}${shown.length < report.queries.length ? `, the last ${shown.length}` : ""}) — the only thing you write that leaves the machine:`);
    for (const q of shown) lines.push(`  ${q.at}  ${JSON.stringify(q.query)} → ${q.destination}`);
  }
  lines.push("");
  const maxRefused = options.maxRefused ?? 50;
  if (report.refused.length === 0) lines.push("Nothing was refused.");
  else {
    lines.push(`Refused (${report.refused.reduce((n, r) => n + r.count, 0)}):`);
    for (const r of report.refused.slice(0, maxRefused)) lines.push(`  ${r.destination} (${r.purpose}, ${r.layer}) ×${r.count}, last ${r.last}: ${r.reason}`);
  }
  return lines.join("\n");
}
