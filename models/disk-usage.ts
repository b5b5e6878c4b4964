import { readdirSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BYTES_PER_GB } from "../src/config.js";
import { dataPaths } from "../src/data-paths.js";

/**
 * What Burrow's data directory holds, by category, against the disk budget (BURROW_DISK_BUDGET). Everything
 * under the data directory counts: models (downloads in progress included), Redis, logs, and "other"
 * (KV states, adapters, anything else), which is itemised by top-level name so a new kind of data shows up
 * without this file knowing about it.
 */

export interface DiskUsage {
  readonly totalBytes: number;
  readonly modelsBytes: number;
  readonly redisBytes: number;
  readonly logsBytes: number;
  readonly otherBytes: number;
  /** The "other" bytes by top-level entry of the data directory (e.g. "kv-states"), largest first. */
  readonly other: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  readonly budgetBytes: number;
  /** Free space for an unprivileged user on the data directory's disk (undefined when it does not exist yet). */
  readonly diskFreeBytes: number | undefined;
}

export function measureDiskUsage(dataDir: string, budgetBytes: number): DiskUsage {
  const paths = dataPaths(dataDir);
  const named = new Map([[paths.modelsDir, "models"], [paths.redisDir, "redis"], [paths.logsDir, "logs"]]);
  const sizes = { models: 0, redis: 0, logs: 0 };
  const other: Array<{ name: string; bytes: number }> = [];
  for (const entry of readEntries(dataDir)) {
    const path = join(dataDir, entry.name);
    const bytes = entry.isDirectory() ? directoryBytes(path) : entry.isFile() ? fileBytes(path) : 0;
    const category = named.get(path) as keyof typeof sizes | undefined;
    if (category) sizes[category] += bytes;
    else if (bytes > 0) other.push({ name: entry.name, bytes });
  }
  other.sort((a, b) => b.bytes - a.bytes);
  const otherBytes = other.reduce((sum, item) => sum + item.bytes, 0);
  let diskFreeBytes: number | undefined;
  try {
    const fs = statfsSync(dataDir);
    diskFreeBytes = fs.bavail * fs.bsize;
  } catch {
    diskFreeBytes = undefined;
  }
  return {
    totalBytes: sizes.models + sizes.redis + sizes.logs + otherBytes,
    modelsBytes: sizes.models,
    redisBytes: sizes.redis,
    logsBytes: sizes.logs,
    otherBytes,
    other,
    budgetBytes,
    diskFreeBytes,
  };
}

/** "models 4.68 GB, redis 1.2 MB, logs 0.3 MB, other 12 MB (kv-states 12 MB)" */
export function describeUsage(usage: DiskUsage): string {
  const items = usage.other.slice(0, 3).map((item) => `${item.name} ${formatSize(item.bytes)}`);
  const otherDetail = items.length > 0 ? ` (${items.join(", ")}${usage.other.length > 3 ? ", …" : ""})` : "";
  return `models ${formatSize(usage.modelsBytes)}, redis ${formatSize(usage.redisBytes)}, logs ${formatSize(usage.logsBytes)}, other ${formatSize(usage.otherBytes)}${otherDetail}`;
}

/** "4.7 GB of 50 GB budget used (9 %)" */
export function describeBudget(usage: DiskUsage): string {
  return `${formatSize(usage.totalBytes)} of ${formatSize(usage.budgetBytes)} budget used (${budgetPercent(usage)} %)`;
}

export function budgetPercent(usage: DiskUsage): number {
  const percent = (usage.totalBytes / usage.budgetBytes) * 100;
  return percent > 0 && percent < 1 ? Math.round(percent * 10) / 10 : Math.round(percent);
}

/** Decimal units, as model hosts publish sizes (Qwen2.5-7B Q4_K_M is "4.68 GB"). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}

/** GB for settings and messages, e.g. "BURROW_DISK_BUDGET (now 50)". */
export function gigabytes(bytes: number): string {
  return String(Number((bytes / BYTES_PER_GB).toFixed(3)));
}

function readEntries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Apparent sizes (what the files will hold), not following symlinks: a model linked in from elsewhere is not Burrow's. */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readEntries(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else if (entry.isFile()) total += fileBytes(path);
  }
  return total;
}
