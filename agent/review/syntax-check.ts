import type { ReviewCheck } from "../../src/review.js";
import type { CodePort } from "../tool-ports.js";
import { tail } from "../agent-functions.js";

/**
 * Deterministic syntax checks in the sandbox: `python -m py_compile` (py_compile.compile, what the module
 * runs) and `node --check`, on a copy of the source inside the sandbox's private /tmp. Cheap (a fraction of a
 * second), and the one thing a review model cannot get wrong about syntax.
 */

export type CheckableLanguage = "python" | "javascript";

export const CHECK_COMMANDS: Readonly<Record<CheckableLanguage, string>> = { python: "python -m py_compile", javascript: "node --check" };

/** Most characters of a check's output kept for the prompt and the user. */
const OUTPUT_CHARS = 1_200;

export function isCheckable(language: string | undefined): language is CheckableLanguage {
  return language === "python" || language === "javascript";
}

export interface SyntaxResult {
  readonly status: "passed" | "failed" | "not-run";
  readonly output: string;
}

/** Checks that `source` parses; `name` is what the error messages call the file. */
export async function checkSyntax(code: CodePort | undefined, unavailable: string | undefined, language: CheckableLanguage, name: string, source: string, signal: AbortSignal): Promise<SyntaxResult> {
  if (!code) return { status: "not-run", output: unavailable ?? "the code sandbox is not available" };
  const base = (name.split("/").at(-1) ?? "code").replace(/[^\w.-]/g, "_") || "code";
  const program = language === "python" ? pythonCheck(base, source) : nodeCheck(base, source);
  try {
    const run = await code.run({ language, code: program, signal });
    if (run.timedOut) return { status: "not-run", output: "the check did not finish in time" };
    const output = tail(cleanOutput(run.stderr.trim() || run.stdout.trim()), OUTPUT_CHARS);
    return run.exitCode === 0 ? { status: "passed", output: "" } : { status: "failed", output: output || `exit code ${run.exitCode ?? "none"}` };
  } catch (error) {
    if (signal.aborted) throw error;
    return { status: "not-run", output: error instanceof Error ? error.message : String(error) };
  }
}

/** The checks of a review's files, before the model writes; one per file whose whole text is known. */
export async function runReviewChecks(
  code: CodePort | undefined,
  unavailable: string | undefined,
  files: readonly { path: string; language: string | undefined; wholeText: string | undefined }[],
  signal: AbortSignal,
): Promise<ReviewCheck[]> {
  const checks: ReviewCheck[] = [];
  for (const file of files) {
    if (!isCheckable(file.language) || file.wholeText === undefined) continue;
    const result = await checkSyntax(code, unavailable, file.language, file.path, file.wholeText, signal);
    checks.push({ file: file.path, command: `${CHECK_COMMANDS[file.language]} ${file.path}`, ...result });
  }
  return checks;
}

/** Without the sandbox's paths, Node's own stack frames and version line, and runs of blank lines. */
function cleanOutput(text: string): string {
  return text
    .replaceAll("/tmp/review/", "")
    .split("\n")
    .filter((line) => !/^\s+at .*\(node:internal\//.test(line) && !/^Node\.js v\d/.test(line))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function pythonCheck(name: string, source: string): string {
  const file = name.endsWith(".py") ? name : `${name}.py`;
  return [
    "import os, py_compile, sys",
    'os.makedirs("/tmp/review", exist_ok=True)',
    `path = "/tmp/review/" + ${JSON.stringify(file)}`,
    `open(path, "w", encoding="utf-8").write(${JSON.stringify(source)})`,
    "try:",
    '    py_compile.compile(path, cfile="/tmp/review/checked.pyc", doraise=True)',
    "except py_compile.PyCompileError as error:",
    "    print(error.msg, file=sys.stderr)",
    "    sys.exit(1)",
  ].join("\n");
}

function nodeCheck(name: string, source: string): string {
  // ES module syntax needs .mjs for --check on Node 20; everything else is checked as CommonJS.
  const esm = /^\s*(import\s[\s\S]*?from\s|import\s*["']|export\s)/m.test(source);
  const file = `${name.replace(/\.(c|m)?js$/, "")}.${esm ? "mjs" : "js"}`;
  return [
    'const fs = require("node:fs");',
    'const { spawnSync } = require("node:child_process");',
    'fs.mkdirSync("/tmp/review", { recursive: true });',
    `const path = "/tmp/review/" + ${JSON.stringify(file)};`,
    `fs.writeFileSync(path, ${JSON.stringify(source)});`,
    'const run = spawnSync(process.execPath, ["--check", path], { encoding: "utf8" });',
    "if (run.error) {",
    // No second process allowed here: vm.Script parses the same way (scripts only).
    '  try { new (require("node:vm").Script)(fs.readFileSync(path, "utf8"), { filename: path }); } catch (error) { console.error(String(error.stack ?? error).split("\\n    at ")[0]); process.exit(1); }',
    "  process.exit(0);",
    "}",
    'process.stderr.write(run.stderr ?? "");',
    "process.exit(run.status ?? 1);",
  ].join("\n");
}
