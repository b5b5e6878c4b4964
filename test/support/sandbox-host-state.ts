import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Host-side observations for the sandbox conformance suite: what the code left behind, who it reached. */

/** The names in the system temp dir right now. */
export function tempEntries(): Set<string> {
  return new Set(readdirSync(tmpdir()));
}

/** Files (two levels deep, up to 1 MB each) under temp-dir entries created since `before` whose content includes `text`. */
export function newTempFilesContaining(before: ReadonlySet<string>, text: string): string[] {
  const found: string[] = [];
  const visit = (path: string, depth: number): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isDirectory() && depth < 2) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) visit(join(path, name), depth + 1);
    } else if (stat.isFile() && stat.size < 1024 * 1024) {
      try {
        if (readFileSync(path, "utf8").includes(text)) found.push(path);
      } catch {
        // Unreadable or gone: not ours.
      }
    }
  };
  for (const name of readdirSync(tmpdir())) if (!before.has(name)) visit(join(tmpdir(), name), 0);
  return found;
}

/** A TCP server on 127.0.0.1 that counts the connections it accepts. */
export async function countingServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    port: address.port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Live (non-zombie) descendants of `root`, from one pass over /proc. The sandbox's processes are all
 * descendants of the test process (bwrap → its init → the code), so this counts this suite's runs only,
 * even when other suites run sandboxes as the same uid at the same time.
 */
export function liveDescendants(root: number): number[] {
  const children = new Map<number, number[]>();
  const live = new Set<number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(name);
      const parent = Number(fields[1]);
      if (fields[0] !== "Z") live.add(pid);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    for (const child of children.get(frontier.pop()!) ?? []) {
      if (live.has(child)) found.push(child);
      frontier.push(child);
    }
  }
  return found;
}
