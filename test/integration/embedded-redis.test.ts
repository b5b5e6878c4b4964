import { existsSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EmbeddedRedis } from "../../src/embedded-redis.js";
import { RedisError } from "../../src/errors.js";
import { isAlive } from "../../src/instance-file.js";
import { silentLogger } from "../../src/log.js";
import { makeTempDir } from "../support/temp-dir.js";

const dir = makeTempDir();
afterAll(() => dir.remove());
const running: EmbeddedRedis[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

function server(name: string, binary?: string): EmbeddedRedis {
  const redisDir = join(dir.path, name);
  const instance = new EmbeddedRedis({ dir: redisDir, socketPath: join(redisDir, "redis.sock"), logger: silentLogger(), binary });
  running.push(instance);
  return instance;
}

async function withClient<T>(socket: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ path: socket });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe("embedded redis-server", () => {
  it("listens only on a unix socket, append-only, never evicting", async () => {
    const redis = server("a");
    const target = await redis.start();
    expect(target).toEqual({ kind: "socket", path: join(dir.path, "a", "redis.sock") });
    const config = await withClient(join(dir.path, "a", "redis.sock"), async (client) => ({
      port: await client.config("GET", "port"),
      aof: await client.config("GET", "appendonly"),
      policy: await client.config("GET", "maxmemory-policy"),
    }));
    expect(config).toEqual({ port: ["port", "0"], aof: ["appendonly", "yes"], policy: ["maxmemory-policy", "noeviction"] });
  });

  it("keeps data across a stop and a start (append-only file)", async () => {
    const redis = server("b");
    await redis.start();
    const socket = join(dir.path, "b", "redis.sock");
    await withClient(socket, (client) => client.set("kept", "yes"));
    await redis.stop();
    await redis.start();
    expect(await withClient(socket, (client) => client.get("kept"))).toBe("yes");
  });

  it("stop() ends the process and removes the socket", async () => {
    const redis = server("c");
    await redis.start();
    const pid = redis.pid!;
    expect(isAlive(pid)).toBe(true);
    await redis.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(dir.path, "c", "redis.sock"))).toBe(false);
  });

  it("says how to install redis-server when it is missing", async () => {
    const error = await server("d", "/nonexistent/redis-server").start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisError);
    expect((error as RedisError).code).toBe("redis_missing");
    expect((error as RedisError).toUserText()).toMatch(/apt-get install -y redis-server[\s\S]*REDIS_URL/);
  });

  it("refuses a socket path longer than unix sockets allow, naming the fix", async () => {
    const long = join(dir.path, "x".repeat(120));
    const redis = new EmbeddedRedis({ dir: long, socketPath: join(long, "redis.sock"), logger: silentLogger() });
    await expect(redis.start()).rejects.toThrow(/unix sockets allow 107/);
  });
});
