import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { BurrowError } from "../src/errors.js";
import type { Logger } from "../src/log.js";

/**
 * Loads llama.cpp's CPU binding. `build: "never"` because Burrow must never download or compile
 * llama.cpp at run time (no network, and a surprise 10-minute build on a laptop); the prebuilt CPU
 * binary ships inside the npm package. llama.cpp's own log lines go to Burrow's log, not the terminal.
 */
export async function loadLlamaRuntime(options: { threads: number; logger: Logger }): Promise<Llama> {
  const { logger } = options;
  try {
    return await getLlama({
      gpu: false,
      build: "never",
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trimEnd();
        if (text === "") return;
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logger.error({ llama: true }, text);
        else if (level === LlamaLogLevel.warn) logger.warn({ llama: true }, text);
        else logger.debug({ llama: true }, text);
      },
    });
  } catch (error) {
    throw new BurrowError("llama_unavailable", `llama.cpp could not be loaded on this machine: ${(error as Error).message}`, {
      hint: "Reinstall with `npm ci` on this machine (the prebuilt binaries come with node-llama-cpp); Burrow never builds llama.cpp itself.",
      cause: error,
    });
  }
}
