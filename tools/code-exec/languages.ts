/** Languages the sandbox runs. */
export const SANDBOX_LANGUAGES = ["python", "javascript"] as const;
export type SandboxLanguage = (typeof SANDBOX_LANGUAGES)[number];

export const LANGUAGE_NAMES: Readonly<Record<SandboxLanguage, string>> = { python: "Python", javascript: "JavaScript" };

/** Where the program's source lands inside the sandbox (on the private /tmp tmpfs, never on the host's disk). */
export const SOURCE_FILES: Readonly<Record<SandboxLanguage, string>> = { python: "/tmp/main.py", javascript: "/tmp/main.js" };

/**
 * The interpreter command line inside the sandbox.
 *
 * Python: `-I` (isolated: ignores PYTHON* variables, the user site and the script's directory on sys.path),
 * `-B` (no .pyc writes), `-u` (unbuffered, so what was printed before a timeout kill is not lost in a buffer).
 *
 * Node: `--max-old-space-size` makes V8 stop at a heap limit well inside the address-space limit, so a
 * runaway allocation ends with "JavaScript heap out of memory" instead of a random mmap failure;
 * `--experimental-detect-module` lets the model write either CommonJS (`require`) or ES modules
 * (`import`, top-level `await`) in the same `.js` file (the default from Node 22.7, a no-op there).
 * `--disable-wasm-trap-handler` makes V8 bounds-check WebAssembly memory in code instead of reserving
 * ~10 GB of guard pages per instance: under the address-space limit every WebAssembly.instantiate, and
 * so Node's own fetch (undici's llhttp is Wasm), failed with "Cannot allocate Wasm memory" (measured).
 */
export function interpreterArgv(language: SandboxLanguage, interpreter: string, heapBytes: number | undefined): string[] {
  if (language === "python") return [interpreter, "-I", "-B", "-u", SOURCE_FILES.python];
  const heap = heapBytes === undefined ? [] : [`--max-old-space-size=${Math.floor(heapBytes / MIB)}`];
  return [interpreter, ...heap, "--disable-wasm-trap-handler", "--experimental-detect-module", SOURCE_FILES.javascript];
}

const MIB = 1024 * 1024;
