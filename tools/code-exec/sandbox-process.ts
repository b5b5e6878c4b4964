import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { SandboxUnavailableError } from "./errors.js";
import { OutputCapture } from "./output-capture.js";

/** The fds bwrap reads the source from and writes its status to (0–2 are the program's stdio). */
export const SOURCE_FD = 3;
export const STATUS_FD = 4;

export interface SandboxProcessRequest {
  /** The command from buildSandboxCommand (setpriv … bwrap … prlimit … interpreter). */
  readonly file: string;
  readonly args: readonly string[];
  /** Written to SOURCE_FD for bwrap's `--ro-bind-data`; undefined when the command reads no source. */
  readonly source: Uint8Array | undefined;
  readonly stdin: Uint8Array;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal | undefined;
}

export interface SandboxProcessResult {
  /** As bwrap reported it; bwrap turns a signal death of the program into 128 + the signal number. */
  readonly exitCode: number | null;
  /** Set when bwrap itself was killed (by us: timeout, output cap or cancellation). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputTruncated: boolean;
  /** Why the host killed the run, if it did. */
  readonly killedFor: "timeout" | "output-limit" | "cancelled" | undefined;
  readonly durationMs: number;
}

const SANDBOX_TOOLS_HINT = "Check that util-linux (setpriv, prlimit) and bubblewrap are installed: sudo apt-get install -y util-linux bubblewrap";

/** How long to wait, after bwrap exited, for the sandbox's pid namespace to be torn down. */
const TEARDOWN_WAIT_MS = 2_000;

/**
 * Runs one sandbox command and waits until nothing of it is left.
 *
 * The command starts in its own process group (`detached`), and the wall-clock limit, the output cap and
 * cancellation all SIGKILL that group. The group holds only bwrap (setpriv execs into it); bwrap's
 * `--die-with-parent` then kills the sandbox's init, and the kernel kills every process in its pid
 * namespace, including ones the code started in a new session or detached. The environment given to
 * setpriv/bwrap is empty: bwrap's init inside the sandbox keeps the environment bwrap started with, and
 * the code can read it from /proc/1/environ, so Burrow's own environment (tokens) must never reach it.
 */
export async function runSandboxProcess(request: SandboxProcessRequest): Promise<SandboxProcessResult> {
  const started = performance.now();
  let killedFor: SandboxProcessResult["killedFor"];
  const subprocess = execa(request.file, [...request.args], {
    stdio: [request.stdin, "pipe", "pipe", request.source ?? "ignore", "pipe"],
    env: {},
    extendEnv: false,
    cwd: "/",
    detached: true,
    buffer: false,
    reject: false,
    stripFinalNewline: false,
  });
  const kill = (reason: NonNullable<SandboxProcessResult["killedFor"]>): void => {
    killedFor ??= reason;
    if (subprocess.pid === undefined) return;
    try {
      process.kill(-subprocess.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };

  const output = new OutputCapture(request.maxOutputBytes, () => kill("output-limit"));
  subprocess.stdout.on("data", (chunk: Buffer) => output.push("stdout", chunk));
  subprocess.stderr.on("data", (chunk: Buffer) => output.push("stderr", chunk));
  const status: Buffer[] = [];
  const statusStream = subprocess.stdio[STATUS_FD] as Readable | undefined;
  statusStream?.on("data", (chunk: Buffer) => status.push(chunk));

  const timer = setTimeout(() => kill("timeout"), request.timeoutMs);
  const onAbort = (): void => kill("cancelled");
  request.signal?.addEventListener("abort", onAbort, { once: true });
  if (request.signal?.aborted) onAbort();

  try {
    const result = await subprocess;
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      // setpriv could not be started at all (missing, not executable): not something the code did.
      throw new SandboxUnavailableError(`${request.file} could not be started (${result.shortMessage})`, SANDBOX_TOOLS_HINT, { cause: result });
    }
    await waitForTeardown(sandboxInitPid(Buffer.concat(status).toString("utf8")));
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout: output.text("stdout"),
      stderr: output.text("stderr"),
      outputTruncated: output.truncated,
      killedFor,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onAbort);
  }
}

/** The host pid of the sandbox's init, from bwrap's first JSON status line. */
function sandboxInitPid(status: string): number | undefined {
  const first = status.split("\n", 1)[0];
  if (!first) return undefined;
  try {
    const pid = (JSON.parse(first) as { "child-pid"?: unknown })["child-pid"];
    return typeof pid === "number" && Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When bwrap is SIGKILLed, the sandbox's init gets its own SIGKILL a moment later (parent-death signal),
 * and a pid namespace's init only finishes exiting after every other process in it is gone. So once
 * init is gone or a zombie, nothing of the run is left; this waits for that (bounded), so callers can
 * rely on "after run() returns, no process of it remains".
 */
async function waitForTeardown(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const startTime = startTimeOf(pid);
  if (startTime === undefined) return;
  const deadline = performance.now() + TEARDOWN_WAIT_MS;
  while (performance.now() < deadline) {
    const stat = readStat(pid);
    // Gone, a zombie, or the pid was reused by an unrelated process (different start time).
    if (stat === undefined || stat.state === "Z" || stat.startTime !== startTime) return;
    await sleep(10);
  }
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses; the fields after the last ")" are fixed.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

function startTimeOf(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}
