import { constants } from "node:os";

/**
 * How a run ended, in one word the agent can branch on:
 * - "ok": exit code 0.
 * - "error": a non-zero exit code (an exception, a failed assertion, `sys.exit(3)`).
 * - "timeout": the wall-clock limit killed it, or the CPU limit did (SIGXCPU).
 * - "killed": a signal ended it that is not one of our limits (SIGSEGV, SIGABRT, a SIGKILL it sent itself).
 * - "output-limit": it printed more than the output budget and was killed for it.
 * - "memory-limit": it failed because the address-space or heap limit refused memory (Python
 *   MemoryError, V8 "heap out of memory", "Array buffer allocation failed", ENOMEM).
 */
export const SANDBOX_OUTCOMES = ["ok", "error", "timeout", "killed", "output-limit", "memory-limit"] as const;
export type SandboxOutcome = (typeof SANDBOX_OUTCOMES)[number];

export interface ExitStatus {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Number → name; the first name wins, so 6 is SIGABRT rather than its alias SIGIOT. */
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(constants.signals)) {
  if (!SIGNAL_NAMES.has(number)) SIGNAL_NAMES.set(number, name as NodeJS.Signals);
}

/**
 * The program's own exit status. bwrap turns "killed by signal N" into exit code 128 + N, so those codes
 * are read back as signals; a program that calls `exit(137)` itself is therefore reported as SIGKILL
 * (there is no way to tell the two apart through bwrap). A signal on bwrap itself means the host killed it.
 */
export function decodeExit(raw: ExitStatus): ExitStatus {
  if (raw.signal !== null) return { exitCode: null, signal: raw.signal };
  const code = raw.exitCode;
  if (code !== null && code > 128) {
    const signal = SIGNAL_NAMES.get(code - 128);
    if (signal) return { exitCode: null, signal };
  }
  return { exitCode: code, signal: null };
}

/** Messages interpreters print when a memory limit refused an allocation. */
const MEMORY_FAILURES: readonly RegExp[] = [
  /^MemoryError\b/m,
  /\[Errno 12\] Cannot allocate memory/,
  /JavaScript heap out of memory/,
  /Fatal process (?:out of memory|OOM)/,
  /RangeError: Array buffer allocation failed/,
  /std::bad_alloc/,
];

/** Only the end of stderr is searched: that is where the fatal error is, and it keeps this cheap. */
const STDERR_TAIL_CHARS = 4096;

export function classifyOutcome(input: {
  readonly killedFor: "timeout" | "output-limit" | "cancelled" | undefined;
  readonly exit: ExitStatus;
  readonly stderr: string;
}): SandboxOutcome {
  if (input.killedFor === "output-limit") return "output-limit";
  if (input.killedFor === "timeout" || input.exit.signal === "SIGXCPU") return "timeout";
  if (input.killedFor === "cancelled") return "killed";
  if (input.exit.exitCode === 0) return "ok";
  const tail = input.stderr.slice(-STDERR_TAIL_CHARS);
  if (MEMORY_FAILURES.some((pattern) => pattern.test(tail))) return "memory-limit";
  if (input.exit.signal !== null) return "killed";
  return "error";
}
