import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** The import rules of ARCHITECTURE.md, checked on the source (import cycles are checked by madge in lint). */
const root = resolve(import.meta.dirname, "../..");
const FOLDERS = ["src", "bots", "queue", "agent", "tools", "models", "training"] as const;
type Folder = (typeof FOLDERS)[number] | "test";

const ALLOWED: Record<Exclude<Folder, "test">, readonly Folder[]> = {
  src: ["src"],
  bots: ["bots", "src", "queue"],
  queue: ["queue", "src"],
  agent: ["agent", "src", "tools", "models"],
  tools: ["tools", "src"],
  models: ["models", "src"],
  training: ["training", "src", "queue"],
};
/** The entry points that wire everything together. */
const WIRING = new Set(["src/cli.ts", "src/daemon.ts", "src/doctor.ts"]);

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith("."));
}

function folderOf(path: string): Folder | undefined {
  const top = path.split("/")[0];
  return top === "test" || (FOLDERS as readonly string[]).includes(top!) ? (top as Folder) : undefined;
}

/** Imports of `file` (a path relative to the root) that break the rules. */
function violationsOf(file: string, specifiers: readonly string[]): string[] {
  const from = folderOf(file) as Exclude<Folder, "test">;
  const found: string[] = [];
  for (const specifier of specifiers) {
    const target = relative(root, resolve(root, dirname(file), specifier));
    const to = folderOf(target);
    if (!to) continue;
    // The command router may load `burrow training …` (lazily); nothing else imports training/.
    const allowed = WIRING.has(file) ? to !== "test" && (to !== "training" || file === "src/cli.ts") : ALLOWED[from].includes(to);
    if (!allowed) found.push(`${file} imports ${target}`);
  }
  return found;
}

describe("architecture", () => {
  const files = FOLDERS.flatMap((folder) => sourceFiles(folder));

  it("finds the project's sources", () => {
    expect(files).toContain("src/cli.ts");
    expect(files.length).toBeGreaterThan(20);
  });

  it("follows the import rules of ARCHITECTURE.md", () => {
    expect(files.flatMap((file) => violationsOf(file, importsOf(file)))).toEqual([]);
  });

  it("would catch a violation (the checker itself works)", () => {
    expect(violationsOf("queue/worker.ts", ["../agent/chat-agent.js", "../src/contracts.js", "./keys.js"])).toEqual(["queue/worker.ts imports agent/chat-agent.js"]);
    expect(violationsOf("src/config.ts", ["../models/engine.js"])).toEqual(["src/config.ts imports models/engine.js"]);
    expect(violationsOf("src/cli.ts", ["../models/engine.js"])).toEqual([]);
    expect(violationsOf("src/daemon.ts", ["../training/export.js"])).toEqual(["src/daemon.ts imports training/export.js"]);
  });
});
