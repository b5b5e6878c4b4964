import { SandboxInputError, SandboxUnavailableError } from "./errors.js";
import { languageCommand } from "./language-command.js";
import { LANGUAGE_NAMES, SANDBOX_LANGUAGES, type SandboxLanguage } from "./languages.js";
import { MAX_CODE_BYTES, MAX_STDIN_BYTES } from "./limits.js";
import { classifyOutcome, decodeExit, type SandboxOutcome } from "./outcome.js";
import { probeSandboxHost, type ReadyProbe, type SandboxProbe } from "./probe.js";
import { checkedTimeout, resolveSandboxOptions, type ResolvedSandboxOptions, type SandboxOptions } from "./sandbox-options.js";
import { isUnavailable } from "./sandbox-host.js";
import { runSandboxProcess } from "./sandbox-process.js";

export interface SandboxRunRequest {
  readonly language: SandboxLanguage;
  readonly code: string;
  /** Given to the program on stdin; without it stdin is empty (reads get end-of-file at once). */
  readonly stdin?: string;
  /** Wall-clock limit of this run, ms; default the sandbox's `timeoutMs` (10 s). */
  readonly timeoutMs?: number;
  /** Cancels the run: its whole process tree is killed and run() rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface SandboxRunResult {
  readonly outcome: SandboxOutcome;
  /** The program's exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended the program ("SIGKILL" for the host's own kills: timeout, output cap). */
  readonly signal: NodeJS.Signals | null;
  /** At most `maxOutputBytes` of stdout and stderr together. */
  readonly stdout: string;
  readonly stderr: string;
  /** The program printed more than the budget; it was killed and the rest discarded. */
  readonly outputTruncated: boolean;
  /** The wall-clock or CPU limit ended it. */
  readonly timedOut: boolean;
  /** Wall-clock time of the whole run, sandbox set-up and teardown included. */
  readonly durationMs: number;
}

/**
 * Runs untrusted Python and JavaScript (the model's code) in a bubblewrap sandbox: no network, a
 * read-only view of /usr only, a private size-limited /tmp, an unprivileged uid with no capabilities,
 * process/memory/file/CPU limits, a wall-clock limit and an output cap, and nothing left running
 * afterwards. See bwrap-command.ts for the exact isolation and why it is built that way.
 *
 * The first run (or `probe()`) checks that the sandbox works here; when it does not, runs throw
 * SandboxUnavailableError with the fix. There is no unsandboxed fallback.
 */
export class Sandbox {
  private readonly options: ResolvedSandboxOptions;
  private ready: Promise<ReadyProbe | SandboxUnavailableError> | undefined;

  constructor(options: SandboxOptions = {}) {
    this.options = resolveSandboxOptions(options);
  }

  /** Whether code can run here, per language. Cached once it succeeds; a failure is checked again next time. */
  async probe(): Promise<SandboxProbe> {
    const ready = await this.whenReady();
    return ready instanceof SandboxUnavailableError ? { available: false, reason: ready.reason, hint: ready.hint ?? "" } : ready.probe;
  }

  async run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    const { language } = request;
    if (!(SANDBOX_LANGUAGES as readonly string[]).includes(language)) {
      throw new SandboxInputError(`The sandbox cannot run ${String(language)} code`, `Use one of: ${SANDBOX_LANGUAGES.join(", ")}.`);
    }
    const source = Buffer.from(request.code, "utf8");
    if (source.length > MAX_CODE_BYTES) {
      throw new SandboxInputError(`The code is ${source.length} bytes; the sandbox takes at most ${MAX_CODE_BYTES}`, "Shorten the program, or read large data from stdin.");
    }
    const stdin = Buffer.from(request.stdin ?? "", "utf8");
    if (stdin.length > MAX_STDIN_BYTES) {
      throw new SandboxInputError(`stdin is ${stdin.length} bytes; the sandbox takes at most ${MAX_STDIN_BYTES}`, "Give the program less input.");
    }
    const timeoutMs = request.timeoutMs === undefined ? this.options.timeoutMs : checkedTimeout(request.timeoutMs);
    request.signal?.throwIfAborted();

    const ready = await this.whenReady();
    if (ready instanceof SandboxUnavailableError) throw ready;
    const languageProbe = ready.probe.languages[language];
    const interpreter = ready.host.interpreters[language];
    if (!languageProbe.available || isUnavailable(interpreter)) {
      const why = languageProbe.available ? (interpreter as { reason: string; hint: string }) : languageProbe;
      throw new SandboxUnavailableError(why.reason, why.hint, { language });
    }
    request.signal?.throwIfAborted();

    const limits = this.options.limits[language];
    const raw = await runSandboxProcess({
      ...languageCommand(ready.host, language, interpreter, limits, timeoutMs),
      source,
      stdin,
      timeoutMs,
      maxOutputBytes: this.options.maxOutputBytes,
      signal: request.signal,
    });
    if (raw.killedFor === "cancelled") throw request.signal?.reason ?? new Error(`${LANGUAGE_NAMES[language]} run cancelled`);
    const exit = decodeExit(raw);
    const outcome = classifyOutcome({ killedFor: raw.killedFor, exit, stderr: raw.stderr });
    return {
      outcome,
      exitCode: exit.exitCode,
      signal: exit.signal,
      stdout: raw.stdout,
      stderr: raw.stderr,
      outputTruncated: raw.outputTruncated,
      timedOut: outcome === "timeout",
      durationMs: raw.durationMs,
    };
  }

  private whenReady(): Promise<ReadyProbe | SandboxUnavailableError> {
    this.ready ??= probeSandboxHost(this.options).then((result) => {
      if ("probe" in result) return result;
      this.ready = undefined;
      return new SandboxUnavailableError(result.reason, result.hint);
    });
    return this.ready;
  }
}
