import { buildSandboxCommand } from "./bwrap-command.js";
import { interpreterArgv, SOURCE_FILES, type SandboxLanguage } from "./languages.js";
import { cpuSecondsFor, type SandboxLimits } from "./limits.js";
import { SOURCE_FD, STATUS_FD } from "./sandbox-process.js";
import type { InterpreterSetup, SandboxHost } from "./sandbox-host.js";

/** The command that runs a program in `language`, whose source the host writes to SOURCE_FD. */
export function languageCommand(
  host: SandboxHost,
  language: SandboxLanguage,
  interpreter: InterpreterSetup,
  limits: SandboxLimits,
  timeoutMs: number,
): { file: string; args: string[] } {
  return buildSandboxCommand({
    tools: host.tools,
    dropTo: host.dropTo,
    topDirs: host.topDirs,
    extraBinds: interpreter.extraBinds,
    limits,
    cpuSeconds: cpuSecondsFor(timeoutMs),
    source: { fd: SOURCE_FD, path: SOURCE_FILES[language] },
    statusFd: STATUS_FD,
    argv: interpreterArgv(language, interpreter.path, limits.heapBytes),
  });
}

/** A command with no source and no interpreter, to check the sandbox machinery on its own. */
export function bareCommand(host: SandboxHost, limits: SandboxLimits, timeoutMs: number, argv: readonly string[]): { file: string; args: string[] } {
  return buildSandboxCommand({
    tools: host.tools,
    dropTo: host.dropTo,
    topDirs: host.topDirs,
    extraBinds: [],
    limits,
    cpuSeconds: cpuSecondsFor(timeoutMs),
    source: undefined,
    statusFd: STATUS_FD,
    argv,
  });
}
