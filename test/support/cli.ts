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

export function spawnCli(args: string[], env: Record<string, string>): ResultPromise<{ env: Record<string, string>; extendEnv: false; reject: false; buffer: true; stdin: "ignore" }> {
  return execa(process.execPath, [CLI_PATH, ...args], { env, extendEnv: false, reject: false, buffer: true, stdin: "ignore" });
}

/** Resolves with the accumulated text once `stream` has printed something matching `pattern`. */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      stream.off("data", onData);
      reject(new Error(`timed out waiting for ${pattern}; saw: ${text.slice(-500)}`));
    }, timeoutMs);
    const onEnd = () => {
      clearTimeout(timer);
      reject(new Error(`output ended before ${pattern}; saw: ${text.slice(-500)}`));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        stream.off("data", onData);
        stream.off("end", onEnd);
        resolvePromise(text);
      }
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
  });
}
