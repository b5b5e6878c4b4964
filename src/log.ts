import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

/**
 * Paths that may hold secrets anywhere in a log record. Bot tokens arrive in config and in request URLs
 * (Telegram puts the token in the path), so they are censored wherever they appear.
 */
const REDACT = [
  "token", "*.token", "*.*.token",
  "password", "*.password",
  "authorization", "*.authorization", "*.headers.authorization",
  "apiKey", "*.apiKey",
];

/**
 * The process logger: JSON lines to <data>/logs/burrow.log. Nothing goes to the terminal, which belongs
 * to the chat; the CLI prints its own human lines.
 */
export function createLogger(file: string, level: LogLevel): Logger {
  mkdirSync(dirname(file), { recursive: true });
  return pino(
    { level, redact: { paths: REDACT, censor: "[redacted]" }, base: { pid: process.pid } },
    pino.destination({ dest: file, mkdir: true, sync: false }),
  );
}

/** For library code under test: a logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
