export { Sandbox, type SandboxRunRequest, type SandboxRunResult } from "./sandbox.js";
export { probeSandbox, type LanguageProbe, type SandboxProbe } from "./probe.js";
export { SandboxInputError, SandboxUnavailableError } from "./errors.js";
export { SANDBOX_LANGUAGES, type SandboxLanguage } from "./languages.js";
export { SANDBOX_OUTCOMES, type SandboxOutcome } from "./outcome.js";
export { DEFAULT_LIMITS, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, type SandboxLimits } from "./limits.js";
export type { SandboxOptions } from "./sandbox-options.js";
