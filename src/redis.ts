import { Redis, type RedisOptions } from "ioredis";

/** Where Redis is: the embedded server's unix socket, or a URL the user configured. */
export type RedisTarget = { readonly kind: "socket"; readonly path: string } | { readonly kind: "url"; readonly url: string };

export type ConnectionRole =
  /** BullMQ workers and blocking readers: must never give up on a command (BullMQ requires null). */
  | "blocking"
  /** Producers and one-shot commands: fail a command after a few reconnect attempts instead of hanging. */
  | "client";

/**
 * Opens an ioredis connection to `target`. `name` shows in `CLIENT LIST`, which makes a stuck connection
 * easy to attribute. The caller owns the connection and must `quit()` it.
 */
export function connectRedis(target: RedisTarget, role: ConnectionRole, name: string): Redis {
  const options: RedisOptions = {
    connectionName: `burrow:${name}`,
    maxRetriesPerRequest: role === "blocking" ? null : 3,
    // Reconnect quickly at first, then every 2 s: a local Redis that restarts is back within seconds.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
  };
  return target.kind === "socket" ? new Redis({ ...options, path: target.path }) : new Redis(target.url, options);
}

/** A description safe for logs and messages: never includes a password. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === "socket") return `unix socket ${target.path}`;
  try {
    const url = new URL(target.url);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "a configured Redis URL";
  }
}
