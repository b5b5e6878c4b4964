import { writeFileSync } from "node:fs";

/** An entry of a BURROW_CATALOG_FILE, as a user would write it. */
export interface TestCatalogEntry {
  readonly name: string;
  readonly file: string;
  readonly repo: string;
  readonly path: string;
  readonly bytes?: number;
  readonly approxBytes?: number;
  readonly sha256?: string;
  readonly architecture?: string;
  readonly notes?: string;
}

/** Writes a catalog file (the BURROW_CATALOG_FILE format) and returns its path. */
export function writeTestCatalog(path: string, models: readonly TestCatalogEntry[]): string {
  writeFileSync(path, JSON.stringify({ models }, null, 2));
  return path;
}
