import { BurrowError } from "../src/errors.js";
import type { DiskUsage } from "./disk-usage.js";

/**
 * Why a pull failed:
 * - `not-found`: the host has no such file (HTTP 404);
 * - `refused`: the host wants credentials or refuses (401/403), or the egress gate refused it;
 * - `host`: the host could not be reached or answered with an error;
 * - `mismatch`: the host offers another file than the catalog names (size or SHA-256), refused before downloading;
 * - `invalid`: the download failed verification (size, GGUF, architecture, SHA-256) and was deleted;
 * - `interrupted` / `stalled`: stopped by the user / no data for too long; the partial file is kept for a resume;
 * - `busy`: another pull of the same model is running.
 */
export type PullFailure = "not-found" | "refused" | "host" | "mismatch" | "invalid" | "interrupted" | "stalled" | "busy";

export class ModelPullError extends BurrowError {
  readonly model: string;
  readonly reason: PullFailure;

  constructor(model: string, reason: PullFailure, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`model_pull_${reason.replace("-", "_")}`, message, options);
    this.model = model;
    this.reason = reason;
  }
}

/** The model would not fit: `limit` says whether the disk budget or the disk itself is the limit. */
export class DiskBudgetError extends BurrowError {
  readonly model: string;
  readonly limit: "budget" | "disk";
  /** Bytes the pull still has to write. */
  readonly neededBytes: number;
  readonly usage: DiskUsage;

  constructor(model: string, limit: "budget" | "disk", neededBytes: number, usage: DiskUsage, message: string, hint: string) {
    super(limit === "budget" ? "disk_budget_exceeded" : "disk_full", message, { hint });
    this.model = model;
    this.limit = limit;
    this.neededBytes = neededBytes;
    this.usage = usage;
  }
}
