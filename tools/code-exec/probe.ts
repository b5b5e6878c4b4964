import { execa } from "execa";
import { explainBwrapFailure } from "./bwrap-failure.js";
import { findSystemBinary } from "./host-binaries.js";
import { bareCommand, languageCommand } from "./language-command.js";
import { LANGUAGE_NAMES, SANDBOX_LANGUAGES, type SandboxLanguage } from "./languages.js";
import { resolveSandboxOptions, type ResolvedSandboxOptions, type SandboxOptions } from "./sandbox-options.js";
import { findSandboxHost, INSTALL_BWRAP_HINT, isUnavailable, type SandboxHost, type Unavailable } from "./sandbox-host.js";
import { runSandboxProcess } from "./sandbox-process.js";

export type LanguageProbe = { readonly available: true } | ({ readonly available: false } & Unavailable);

export type SandboxProbe =
  | {
      readonly available: true;
      /** e.g. "0.8.0" */
      readonly bwrapVersion: string;
      /** A language whose interpreter is missing is off on its own; the other still runs. */
      readonly languages: Readonly<Record<SandboxLanguage, LanguageProbe>>;
    }
  | ({ readonly available: false } & Unavailable);

/** A probe that succeeded, with what `Sandbox` needs to build commands. */
export interface ReadyProbe {
  readonly probe: Extract<SandboxProbe, { available: true }>;
  readonly host: SandboxHost;
}

/** Oldest bubblewrap with everything the sandbox uses (`--disable-userns`, `--size` for tmpfs). */
const MIN_BWRAP = [0, 8, 0] as const;
/** Generous: the first run on a cold, busy 2-core machine reads the interpreters from disk. */
const PROBE_TIMEOUT_MS = 15_000;
const PROBE_OUTPUT_BYTES = 16 * 1024;

/**
 * Checks that code can really be sandboxed here by running trivial programs in the real sandbox (the
 * same command lines as real runs), and says exactly what is wrong when it cannot. Nothing is ever run
 * outside the sandbox instead.
 */
export async function probeSandbox(options: SandboxOptions = {}): Promise<SandboxProbe> {
  const result = await probeSandboxHost(resolveSandboxOptions(options));
  return "probe" in result ? result.probe : result;
}

/** probeSandbox, also returning what was found on the host (for `Sandbox`). */
export async function probeSandboxHost(options: ResolvedSandboxOptions): Promise<ReadyProbe | ({ available: false } & Unavailable)> {
  const host = findSandboxHost(options);
  if (isUnavailable(host)) return { available: false, reason: host.reason, hint: host.hint };

  const version = await bwrapVersion(host.tools.bwrap);
  if (version === undefined || compareVersions(version, MIN_BWRAP) < 0) {
    return { available: false, reason: `bubblewrap ${version ?? "of unknown version"} is too old (0.8 or newer is needed)`, hint: INSTALL_BWRAP_HINT };
  }

  const trueBinary = findSystemBinary("true");
  if (!trueBinary) return { available: false, reason: "coreutils' `true` was not found in /usr/bin or /bin", hint: "Install coreutils: sudo apt-get install -y coreutils." };
  const bare = await runProbe(bareCommand(host, options.limits.python, PROBE_TIMEOUT_MS, [trueBinary]), undefined);
  if (bare.exitCode !== 0) return { available: false, ...explainSetupFailure(bare, host) };

  const entries = await Promise.all(SANDBOX_LANGUAGES.map(async (language) => [language, await probeLanguage(host, options, language)] as const));
  return { probe: { available: true, bwrapVersion: version.join("."), languages: Object.fromEntries(entries) as Record<SandboxLanguage, LanguageProbe> }, host };
}

const HELLO: Readonly<Record<SandboxLanguage, string>> = { python: 'print("sandbox-ok")', javascript: 'console.log("sandbox-ok")' };

async function probeLanguage(host: SandboxHost, options: ResolvedSandboxOptions, language: SandboxLanguage): Promise<LanguageProbe> {
  const interpreter = host.interpreters[language];
  if (isUnavailable(interpreter)) return { available: false, reason: interpreter.reason, hint: interpreter.hint };
  const run = await runProbe(languageCommand(host, language, interpreter, options.limits[language], PROBE_TIMEOUT_MS), HELLO[language]);
  if (run.exitCode === 0 && run.stdout.trim() === "sandbox-ok") return { available: true };
  const said = firstLine(run.stderr) || firstLine(run.stdout) || `exit code ${run.exitCode ?? run.signal ?? "none"}`;
  return {
    available: false,
    reason: `${LANGUAGE_NAMES[language]} does not start in the sandbox (${interpreter.path}: ${said})`,
    hint:
      language === "python"
        ? "Install a system Python: sudo apt-get install -y python3-minimal."
        : "Install Node.js 20 or newer system-wide (e.g. /usr/bin/node from your distribution or NodeSource), readable by the sandbox user.",
  };
}

function runProbe(command: { file: string; args: string[] }, source: string | undefined) {
  return runSandboxProcess({
    ...command,
    source: source === undefined ? undefined : Buffer.from(source),
    stdin: new Uint8Array(),
    timeoutMs: PROBE_TIMEOUT_MS,
    maxOutputBytes: PROBE_OUTPUT_BYTES,
    signal: undefined,
  });
}

/** Which link of setpriv → bwrap → prlimit failed, and why. */
function explainSetupFailure(run: { stderr: string; exitCode: number | null; killedFor?: string | undefined }, host: SandboxHost): Unavailable {
  if (run.killedFor === "timeout") {
    return { reason: `a trivial sandboxed command did not finish within ${PROBE_TIMEOUT_MS / 1000} s`, hint: "The machine may be overloaded; try again. If it persists, run `burrow doctor`." };
  }
  const stderr = run.stderr.trim();
  if (stderr.startsWith("setpriv:")) {
    return {
      reason: `setpriv could not switch to the sandbox user ${host.dropTo?.uid ?? ""} (${firstLine(stderr)})`,
      hint: "Set BURROW_SANDBOX_UID to an unprivileged uid that exists on this machine (65534, nobody, on most systems).",
    };
  }
  if (stderr.startsWith("prlimit:")) {
    return { reason: `prlimit could not set the sandbox's limits (${firstLine(stderr)})`, hint: "Install util-linux 2.33 or newer: sudo apt-get install -y util-linux." };
  }
  return explainBwrapFailure(stderr, host.tools.bwrap);
}

async function bwrapVersion(bwrap: string): Promise<number[] | undefined> {
  const result = await execa(bwrap, ["--version"], { reject: false, env: {}, extendEnv: false, timeout: PROBE_TIMEOUT_MS });
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(String(result.stdout));
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function firstLine(text: string): string {
  return (text.trim().split("\n", 1)[0] ?? "").slice(0, 300);
}
