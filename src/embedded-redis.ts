import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { RedisError } from "./errors.js";
import type { Logger } from "./log.js";
import type { RedisTarget } from "./redis.js";

/** Linux caps a unix socket path at 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export const REDIS_INSTALL_HINT =
  "Install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu), or point Burrow at an existing server with REDIS_URL=redis://host:6379.";

export interface EmbeddedRedisOptions {
  /** Directory for the append-only file and the log. */
  readonly dir: string;
  readonly socketPath: string;
  readonly logger: Logger;
  /** The redis-server executable; overridable so tests can point at a missing one. */
  readonly binary?: string;
  /** How long to wait for the server to answer PING. */
  readonly startTimeoutMs?: number;
}

/**
 * A private redis-server child process on a unix socket (no TCP port), with append-only persistence so
 * queued jobs survive a restart. `start()` resolves once it answers PING; `stop()` asks it to shut down
 * cleanly (SIGTERM flushes the AOF) and waits for it to exit.
 */
export class EmbeddedRedis {
  private child: ResultPromise | undefined;
  private exited = false;
  private stopping = false;

  constructor(private readonly options: EmbeddedRedisOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get target(): RedisTarget {
    return { kind: "socket", path: this.options.socketPath };
  }

  async start(): Promise<RedisTarget> {
    const { dir, socketPath, logger } = this.options;
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new RedisError(
        `The Redis socket path ${socketPath} is ${Buffer.byteLength(socketPath)} bytes; unix sockets allow ${MAX_SOCKET_PATH_BYTES}.`,
        { hint: "Choose a shorter BURROW_DATA_DIR, or set REDIS_URL to use an existing Redis server." },
      );
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const logFile = join(dir, "redis.log");
    const args = [
      "--port", "0",
      "--unixsocket", socketPath,
      "--unixsocketperm", "700",
      "--dir", dir,
      "--appendonly", "yes",
      "--appendfsync", "everysec",
      "--save", "",
      "--daemonize", "no",
      // BullMQ must never lose keys to eviction.
      "--maxmemory-policy", "noeviction",
      "--logfile", logFile,
    ];
    const binary = this.options.binary ?? "redis-server";
    this.exited = false;
    this.stopping = false;
    const child = execa(binary, args, { stdio: "ignore", reject: false, cleanup: true });
    this.child = child;
    const spawnError = new Promise<Error>((resolve) => {
      child.on("error", resolve);
    });
    void child.then((result) => {
      this.exited = true;
      if (!this.stopping) {
        logger.warn({ exitCode: result.exitCode, signal: result.signal }, "redis-server exited");
      }
    });

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      const failed = await Promise.race([spawnError, sleep(50).then(() => undefined)]);
      if (failed) {
        this.child = undefined;
        const missing = (failed as NodeJS.ErrnoException).code === "ENOENT";
        throw new RedisError(
          missing ? `redis-server is not installed (could not run "${binary}").` : `Could not start redis-server: ${failed.message}`,
          { hint: REDIS_INSTALL_HINT, cause: failed, code: missing ? "redis_missing" : "redis_start_failed" },
        );
      }
      if (this.exited) {
        this.child = undefined;
        throw new RedisError(`redis-server exited during start-up: ${lastLines(logFile)}`, {
          hint: `See ${logFile}. Another Burrow may be using ${dir}; or set REDIS_URL to use an existing server.`,
          code: "redis_start_failed",
        });
      }
      if (existsSync(socketPath) && (await answersPing(socketPath))) {
        logger.info({ redisPid: child.pid, socketPath }, "embedded redis-server ready");
        return this.target;
      }
    }
    await this.stop();
    throw new RedisError(`redis-server did not answer within ${this.options.startTimeoutMs ?? 10_000} ms.`, {
      hint: `See ${logFile}.`,
      code: "redis_start_failed",
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.stopping = true;
    if (!this.exited) {
      child.kill("SIGTERM");
      const stopped = await Promise.race([child.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        this.options.logger.error({ redisPid: child.pid }, "redis-server ignored SIGTERM for 10 s; killing it");
        child.kill("SIGKILL");
        await child;
      }
    }
    rmSync(this.options.socketPath, { force: true });
    this.options.logger.info("embedded redis-server stopped");
  }
}

async function answersPing(socketPath: string): Promise<boolean> {
  const probe = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "(no log)";
  }
}
