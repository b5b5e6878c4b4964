import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "./config.js";
import { dataPaths } from "./data-paths.js";
import type { EgressAuditSink, EgressRecord } from "./egress.js";

/** The audit log's default size budget: room for tens of thousands of records on a laptop. */
export const DEFAULT_AUDIT_BUDGET_BYTES = 10 * 1024 * 1024;

/** The one older file kept when the log is rotated. */
export function previousLogPath(path: string): string {
  return `${path}.1`;
}

/**
 * Appends audit records as JSON lines to `path`, within `budgetBytes` in total: when the file would grow
 * past half the budget it becomes `<path>.1` (replacing the older one) and a new file starts, so the
 * newest records are always kept and the two files together never exceed the budget. Several Burrow
 * processes (the daemon, `burrow models pull`) may append to the same file; each line is one write.
 */
export function fileAuditSink(path: string, budgetBytes: number = DEFAULT_AUDIT_BUDGET_BYTES, onError: (error: unknown) => void = warnOnce(path)): EgressAuditSink {
  mkdirSync(dirname(path), { recursive: true });
  const half = Math.max(1024, Math.floor(budgetBytes / 2));
  // Synchronous so records land in order and are on disk when a request returns (or throws).
  return (record) => {
    const line = `${JSON.stringify(record)}\n`;
    // The sink runs inside socket and request callbacks: a full disk or a log file owned by another user
    // must not throw there (it would take the daemon down), so a failure is reported instead.
    try {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size > 0 && size + Buffer.byteLength(line) > half) rotate(path);
      appendFileSync(path, line, { mode: 0o600 });
    } catch (error) {
      onError(error);
    }
  };
}

/** The audit log of this data directory, within its configured budget: what every Burrow process writes to. */
export function configuredAuditSink(config: Pick<Config, "dataDir" | "auditLogBudgetBytes">): EgressAuditSink {
  return fileAuditSink(dataPaths(config.dataDir).egressLog, config.auditLogBudgetBytes);
}

/** Renames the full log to `.1`; another process may have rotated it a moment earlier, which is fine. */
function rotate(path: string): void {
  try {
    renameSync(path, previousLogPath(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Says once on stderr that the audit log cannot be written (every later failure would say the same). */
function warnOnce(path: string): (error: unknown) => void {
  let warned = false;
  return (error) => {
    if (warned) return;
    warned = true;
    process.stderr.write(`burrow: cannot write the egress audit log ${path}: ${(error as Error).message}. Outbound connections are still gated; fix the file's permissions or free disk space.\n`);
  };
}

/** Every record still in the log (the older file first), skipping lines that are not records (a torn write). */
export function readAuditLog(path: string): EgressRecord[] {
  const records: EgressRecord[] = [];
  for (const file of [previousLogPath(path), path]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const parsed = JSON.parse(line) as EgressRecord;
        if (typeof parsed.at === "string" && typeof parsed.host === "string") records.push(parsed);
      } catch {
        // A half-written line from a crash: skip it rather than refuse to report anything.
      }
    }
  }
  return records;
}
