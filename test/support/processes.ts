import { readdirSync, readFileSync } from "node:fs";

/** Linux /proc helpers for asserting that nothing is left running. */

function pids(): number[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces; fields after the closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** All live descendants of a process. */
export function descendantsOf(root: number): number[] {
  const all = pids();
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const pid of all) {
      if (parentOf(pid) === parent && !found.includes(pid)) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** Live processes whose command line mentions `text` (e.g. a redis socket path). Zombies excluded. */
export function processesMentioning(text: string): number[] {
  return pids().filter((pid) => {
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) return false;
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false;
    }
  });
}

export function isRunning(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}
