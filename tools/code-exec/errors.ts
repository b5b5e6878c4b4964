import { BurrowError } from "../../src/errors.js";
import type { SandboxLanguage } from "./languages.js";

/**
 * Code cannot be run because the sandbox (or one language's interpreter) is not usable on this machine.
 * Burrow never falls back to running code without the sandbox, so this is the whole answer: `reason` says
 * what is missing, the hint says exactly how to fix it. `language` is set when only that language is off.
 */
export class SandboxUnavailableError extends BurrowError {
  readonly reason: string;
  readonly language: SandboxLanguage | undefined;

  constructor(reason: string, hint: string, options: { language?: SandboxLanguage; cause?: unknown } = {}) {
    const what = options.language ? `${options.language === "python" ? "Python" : "JavaScript"} code cannot be run` : "Code cannot be run";
    super("sandbox_unavailable", `${what}: ${reason}`, { hint, cause: options.cause });
    this.reason = reason;
    this.language = options.language;
  }
}

/** A run request that cannot be accepted as given (unknown language, code or input too large, bad limit). */
export class SandboxInputError extends BurrowError {
  constructor(message: string, hint: string) {
    super("sandbox_input_invalid", message, { hint });
  }
}
