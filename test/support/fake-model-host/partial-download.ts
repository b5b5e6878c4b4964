import { closeSync, openSync, readSync, statSync } from "node:fs";

/**
 * How many chunks a partial download (`<file>.ipull` in <data>/models/.partial/) records as finished: ipull
 * appends its progress as JSON after the file's bytes ({"chunks": [0 | 1 | 2, …], …}, 2 = complete) and
 * rewrites it after each chunk. Tests wait on it before interrupting a pull, so that what they expect the
 * next pull to skip has really been recorded (the client writes it a moment after the host has sent it).
 */
export function finishedChunks(partialPath: string, fileBytes: number): number {
  try {
    const size = statSync(partialPath).size;
    if (size <= fileBytes) return 0;
    const tail = Buffer.alloc(size - fileBytes);
    const fd = openSync(partialPath, "r");
    try {
      readSync(fd, tail, 0, tail.length, fileBytes);
    } finally {
      closeSync(fd);
    }
    const progress = JSON.parse(tail.toString("utf8")) as { chunks?: unknown };
    return Array.isArray(progress.chunks) ? progress.chunks.filter((status) => status === 2).length : 0;
  } catch {
    return 0;
  }
}
