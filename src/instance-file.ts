import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { RedisTarget } from "./redis.js";

/**
 * The process that hosts the queue for a data directory (the daemon, or a one-shot `burrow ask` when no
 * daemon runs) records itself in <data>/instance.json, so other Burrow processes on the same data
 * directory use its queue instead of starting a second Redis and a second model.
 */
export interface InstanceRecord {
  readonly pid: number;
  readonly role: "daemon" | "ask";
  readonly redis: RedisTarget;
  /** The embedded redis-server's pid, so a crashed host's orphan can be cleaned up. */
  readonly redisPid?: number;
  readonly startedAt: number;
}

export type ClaimResult =
  | { readonly claimed: true; readonly stale?: InstanceRecord }
  | { readonly claimed: false; readonly owner: InstanceRecord };

/** Claims the data directory; fails (returns the owner) when another live process holds it. */
export function claimInstance(file: string, record: InstanceRecord): ClaimResult {
  let stale: InstanceRecord | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // "wx": create exclusively, so two processes starting at once cannot both win.
      writeFileSync(file, JSON.stringify(record), { flag: "wx", mode: 0o600 });
      return stale ? { claimed: true, stale } : { claimed: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readInstance(file);
    if (owner && owner.pid !== record.pid && isAlive(owner.pid)) return { claimed: false, owner };
    stale = owner ?? stale;
    rmSync(file, { force: true });
  }
  throw new Error(`Could not claim ${file}: it keeps reappearing`);
}

/** Rewrites our own record (e.g. once the embedded Redis has a pid). */
export function updateInstance(file: string, record: InstanceRecord): void {
  writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
}

/** The live host of this data directory, if there is one. */
export function readLiveInstance(file: string): InstanceRecord | undefined {
  const record = readInstance(file);
  return record && isAlive(record.pid) ? record : undefined;
}

/** Removes the record if it is ours. */
export function releaseInstance(file: string, pid: number): void {
  if (readInstance(file)?.pid === pid) rmSync(file, { force: true });
}

function readInstance(file: string): InstanceRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as InstanceRecord;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
