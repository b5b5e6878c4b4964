import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import type { RedisTarget } from "../../src/redis.js";
import { makeTempDir } from "./temp-dir.js";

/**
 * A real redis-server for one test file: private temp dir, unix socket, no TCP port, append-only like
 * Burrow's embedded one. Independent of src/embedded-redis.ts so queue tests do not rest on it.
 */
export interface RedisFixture {
  readonly target: RedisTarget;
  /** redis://127.0.0.1:PORT when started with `tcp`. */
  readonly url: string | undefined;
  readonly socket: string;
  /** A plain client for assertions. */
  readonly client: Redis;
  stop(): Promise<void>;
}

export async function startRedisFixture(options: { tcp?: boolean } = {}): Promise<RedisFixture> {
  const dir = makeTempDir("burrow-redis-");
  const socket = join(dir.path, "r.sock");
  const port = options.tcp ? await freeLoopbackPort() : 0;
  const child: ResultPromise = execa(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--unixsocket", socket, "--dir", dir.path, "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no"],
    { stdio: "ignore", reject: false, cleanup: true },
  );
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (i > 200) throw new Error(`test redis-server did not start: ${(error as Error).message}`);
      client.disconnect();
      await sleep(25);
    }
  }
  return {
    target: { kind: "socket", path: socket },
    url: options.tcp ? `redis://127.0.0.1:${port}` : undefined,
    socket,
    client,
    async stop() {
      client.disconnect();
      child.kill("SIGTERM");
      await child;
      dir.remove();
    },
  };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
