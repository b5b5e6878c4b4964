import { resolve } from "node:path";
import { execa, type ResultPromise } from "execa";

/** Runs the built `burrow` CLI (dist/, built by the global setup) as a user would. */
export const CLI_PATH = resolve(import.meta.dirname, "../../dist/src/cli.js");

/** A clean environment: only what a test passes, so a developer's own BURROW_* settings never leak in. */
export function cliEnv(settings: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: settings.BURROW_DATA_DIR ?? "/nonexistent", ...settings };
}

export function runCli(args: string[], env: Record<string, string>, input?: string) {
  return execa(process.execPath, [CLI_PATH, ...args], { env, extendEnv: false, reject: false, input: input ?? "", timeout: 60_000 });
}

export function spawnCli(args: string[], env: Record<string, string>): ResultPromise<{ env: Record<string, string>; extendEnv: false; reject: false; buffer: true; stdin: "ignore"; forceKillAfterDelay: false }> {
  return execa(process.execPath, [CLI_PATH, ...args], { env, extendEnv: false, reject: false, buffer: true, stdin: "ignore", forceKillAfterDelay: false });
}

/**
 * Collects everything a stream prints from the moment it is watched, so a test can wait for a pattern in
 * the whole output so far (not only in what arrives after it starts waiting).
 */
export function watchOutput(stream: NodeJS.ReadableStream): { text: () => string; waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string> } {
  let text = "";
  let ended = false;
  const listeners = new Set<() => void>();
  stream.on("data", (chunk: Buffer | string) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  });
  stream.once("end", () => {
    ended = true;
    for (const listener of listeners) listener();
  });
  return {
    text: () => text,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolvePromise, reject) => {
        const check = () => {
          if (pattern.test(text)) finish(() => resolvePromise(text));
          else if (ended) finish(() => reject(new Error(`output ended before ${pattern}; saw: ${text.slice(-500)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pattern}; saw: ${text.slice(-500)}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Resolves once `stream` has printed something matching `pattern` (from now on). */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return watchOutput(stream).waitFor(pattern, timeoutMs);
}
