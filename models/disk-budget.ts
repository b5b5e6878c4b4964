import { describeUsage, formatSize, gigabytes, measureDiskUsage, type DiskUsage } from "./disk-usage.js";
import { DiskBudgetError } from "./model-pull-errors.js";

/** Something the user could delete to make room, with the command that does it. */
export interface Removable {
  readonly command: string;
  readonly bytes: number;
}

export interface RoomRequest {
  readonly model: string;
  readonly dataDir: string;
  readonly budgetBytes: number;
  /** Bytes the finished file will have. */
  readonly fileBytes: number;
  /** Bytes of it already on disk (a partial download being resumed), which already count as used. */
  readonly partialBytes: number;
  readonly removable: readonly Removable[];
  /** Free space on the data directory's disk; default: what statfs says. */
  readonly diskFreeBytes?: number;
}

/**
 * Refuses, before anything is downloaded, a file that would take Burrow's data past BURROW_DISK_BUDGET or
 * not fit on the disk; the message says how much is needed, what uses the space now and what to remove.
 */
export function ensureRoom(request: RoomRequest): DiskUsage {
  const usage = measureDiskUsage(request.dataDir, request.budgetBytes);
  const needed = Math.max(0, request.fileBytes - request.partialBytes);
  const suggestions = request.removable
    .filter((item) => item.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4)
    .map((item) => `\`${item.command}\` frees ${formatSize(item.bytes)}`);
  const removeText = suggestions.length > 0 ? `Remove what you do not need (${suggestions.join("; ")})` : "Free some space in the data directory";

  if (usage.totalBytes + needed > request.budgetBytes) {
    const over = usage.totalBytes + needed - request.budgetBytes;
    throw new DiskBudgetError(
      request.model,
      "budget",
      needed,
      usage,
      `${request.model} (${formatSize(request.fileBytes)}) does not fit in Burrow's disk budget: it needs ${formatSize(needed)} more, ` +
        `and ${formatSize(usage.totalBytes)} of the ${formatSize(request.budgetBytes)} budget is used (${describeUsage(usage)}), ` +
        `so it would go ${formatSize(over)} over. Nothing was downloaded.`,
      `${removeText}, or raise BURROW_DISK_BUDGET (now ${gigabytes(request.budgetBytes)} GB).`,
    );
  }
  const free = request.diskFreeBytes ?? usage.diskFreeBytes;
  if (free !== undefined && needed > free) {
    throw new DiskBudgetError(
      request.model,
      "disk",
      needed,
      usage,
      `${request.model} (${formatSize(request.fileBytes)}) does not fit on the disk: it needs ${formatSize(needed)} more and only ${formatSize(free)} is free ` +
        `(Burrow's data uses ${formatSize(usage.totalBytes)}: ${describeUsage(usage)}). Nothing was downloaded.`,
      `${removeText}, or free space elsewhere on that disk.`,
    );
  }
  return usage;
}
