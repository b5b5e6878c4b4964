/** Reading a process's memory and children from /proc (Linux only; the bench says so elsewhere). */
import { existsSync, readdirSync, readFileSync } from "node:fs";

export interface ProcessMemory {
  /** VmRSS: resident memory, file-backed pages (the mmap'd model) included. */
  readonly rssBytes: number;
  /** RssAnon: heap, stacks, buffers — what the process really allocated. */
  readonly anonBytes: number;
  /** RssFile: resident file-backed pages (shared libraries, mmap'd files). */
  readonly fileBytes: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kb("VmRSS"), anonBytes: kb("RssAnon"), fileBytes: kb("RssFile") };
}

/** Direct children of a process (from every thread's children list). */
export function childPids(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  const children = new Set<number>();
  for (const task of readdirSync(tasks)) {
    const text = readFileSync(`${tasks}/${task}/children`, "utf8").trim();
    for (const child of text.split(/\s+/)) if (child !== "") children.add(Number(child));
  }
  return [...children];
}

export function processName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}
