import { SandboxInputError } from "./errors.js";
import { SANDBOX_LANGUAGES, type SandboxLanguage } from "./languages.js";
import { DEFAULT_LIMITS, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, type SandboxLimits } from "./limits.js";

export interface SandboxOptions {
  /**
   * Host uid the code runs as when Burrow runs as root. Default 65534 (nobody). Must not be 0: bwrap as
   * root would map the sandbox to host root, and the kernel does not apply the process limit to root.
   * When Burrow is not root the code runs as Burrow's own uid (no switch is possible), still inside a
   * user namespace with no capabilities.
   */
  readonly uid?: number;
  /** Host gid, as `uid`. Default: the same number as `uid`. */
  readonly gid?: number;
  /** Default wall-clock limit of a run, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Shared budget of stdout + stderr per run, bytes. Default 64 KiB. */
  readonly maxOutputBytes?: number;
  /** Per-language overrides of DEFAULT_LIMITS. */
  readonly limits?: { readonly [L in SandboxLanguage]?: Partial<SandboxLimits> };
  /** Python interpreter. Default: python3 from /usr/bin, /bin or /usr/local/bin (never from PATH). */
  readonly pythonPath?: string;
  /** Node binary. Default: the one running Burrow (process.execPath). */
  readonly nodePath?: string;
}

export interface ResolvedSandboxOptions {
  readonly uid: number;
  readonly gid: number;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly limits: Readonly<Record<SandboxLanguage, SandboxLimits>>;
  readonly pythonPath: string | undefined;
  readonly nodePath: string;
}

const NOBODY = 65_534;

/** Fills in the defaults and refuses values that would weaken or break the sandbox. */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  const uid = options.uid ?? NOBODY;
  const gid = options.gid ?? uid;
  for (const [name, id] of [["uid", uid], ["gid", gid]] as const) {
    if (!Number.isInteger(id) || id <= 0 || id > 4_294_967_294) {
      throw new SandboxInputError(`Sandbox ${name} ${id} is not allowed`, `Use an unprivileged id (not 0), e.g. 65534 (nobody); set BURROW_SANDBOX_UID.`);
    }
  }
  const limits = Object.fromEntries(
    SANDBOX_LANGUAGES.map((language) => [language, checkedLimits(language, { ...DEFAULT_LIMITS[language], ...options.limits?.[language] })]),
  ) as Record<SandboxLanguage, SandboxLimits>;
  return {
    uid,
    gid,
    timeoutMs: checkedTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    maxOutputBytes: checkedPositive("maxOutputBytes", options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES),
    limits,
    pythonPath: options.pythonPath,
    nodePath: options.nodePath ?? process.execPath,
  };
}

export function checkedTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new SandboxInputError(`A code run's time limit must be between 1 ms and ${MAX_TIMEOUT_MS / 1000} s, not ${timeoutMs} ms`, "Set BURROW_CODE_TIMEOUT to a number of seconds from 1 to 600.");
  }
  return Math.ceil(timeoutMs);
}

function checkedLimits(language: SandboxLanguage, limits: SandboxLimits): SandboxLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined) checkedPositive(`${language} limit ${name}`, value as number);
  }
  return Object.freeze(limits);
}

function checkedPositive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SandboxInputError(`Sandbox ${name} must be a positive whole number, not ${value}`, "Leave it unset to use the default.");
  }
  return value;
}
