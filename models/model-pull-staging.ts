import { rmSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The staging directory (<data>/models/.partial/) holds downloads until they are verified. These helpers
 * are kept apart from the downloader so `models list` and `models rm` need not load node-llama-cpp.
 */

/** ipull's name for a file while it is being written: the bytes at their offsets, then its progress JSON. */
export const TEMP_SUFFIX = ".ipull";

/** Bytes of a partial or unverified download of `file` (they count as used disk). */
export function stagedBytes(stagingDir: string, file: string): number {
  let total = 0;
  for (const name of [file, `${file}${TEMP_SUFFIX}`]) {
    try {
      total += statSync(join(stagingDir, name)).size;
    } catch {
      // not there
    }
  }
  return total;
}

/** Deletes a partial or unverified download of `file`; returns the bytes freed. */
export function removeStaged(stagingDir: string, file: string): number {
  const freed = stagedBytes(stagingDir, file);
  for (const name of [file, `${file}${TEMP_SUFFIX}`]) rmSync(join(stagingDir, name), { force: true });
  return freed;
}
