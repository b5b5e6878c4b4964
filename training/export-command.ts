import { createWriteStream, existsSync, renameSync } from "node:fs";
import { once } from "node:events";
import { RatingStore } from "../queue/ratings.js";
import type { Config } from "../src/config.js";
import { dataPaths } from "../src/data-paths.js";
import { EmbeddedRedis } from "../src/embedded-redis.js";
import { BurrowError } from "../src/errors.js";
import { claimInstance, readLiveInstance, releaseInstance } from "../src/instance-file.js";
import type { Logger } from "../src/log.js";
import { connectRedis, type RedisTarget } from "../src/redis.js";
import { exportRatings } from "./export.js";

export interface ExportCommandOptions {
  readonly out?: string;
  readonly minRating: number;
  readonly stripIds: boolean;
}

interface Streams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/**
 * `burrow training export`: the well-rated conversations of allowlisted users as JSONL (stdout, or
 * `--out FILE`, written to a temp name and renamed so a failed export leaves no half file).
 */
export async function exportCommand(config: Config, logger: Logger, streams: Streams, options: ExportCommandOptions): Promise<number> {
  if (!Number.isInteger(options.minRating) || options.minRating < -1 || options.minRating > 1) {
    throw new BurrowError("bad_option", `--min-rating must be -1, 0 or 1, got ${options.minRating}.`, { hint: "Ratings are +1 (👍) and -1 (👎); the default 1 exports only 👍." });
  }
  const allowedUsers = new Set([...config.access.allowedUsers, ...config.access.admins]);
  if (allowedUsers.size === 0) streams.err.write("BURROW_ALLOWED_USERS and BURROW_ADMINS are empty: nothing can be exported.\n");
  const redisTarget = await openTarget(config, logger);
  const redis = connectRedis(redisTarget.target, "client", "training-export");
  redis.on("error", (error) => logger.warn({ err: error }, "training export redis error"));
  try {
    const store = new RatingStore(redis);
    const exportOptions = { allowedUsers, minRating: options.minRating, stripIds: options.stripIds };
    let summary;
    if (options.out) {
      const temp = `${options.out}.partial`;
      const file = createWriteStream(temp, { mode: 0o600 });
      summary = await exportRatings(store, exportOptions, async (line) => {
        if (!file.write(line)) await once(file, "drain");
      });
      file.end();
      await once(file, "finish");
      renameSync(temp, options.out);
    } else {
      summary = await exportRatings(store, exportOptions, (line) => void streams.out.write(line));
    }
    streams.err.write(
      `Exported ${summary.exported} example(s)${options.out ? ` to ${options.out}` : ""}; left out ${summary.skippedRating} rated below ${options.minRating} and ${summary.skippedUser} from users not on the allowlist.\n`,
    );
    return 0;
  } finally {
    await redis.quit().catch(() => {});
    await redisTarget.close();
  }
}

/** The running Burrow's Redis, BURROW_REDIS_URL, or the embedded one started just for the export. */
async function openTarget(config: Config, logger: Logger): Promise<{ target: RedisTarget; close: () => Promise<void> }> {
  if (config.redisUrl) return { target: { kind: "url", url: config.redisUrl }, close: async () => {} };
  const paths = dataPaths(config.dataDir);
  const live = readLiveInstance(paths.instanceFile);
  if (live) return { target: live.redis, close: async () => {} };
  if (!existsSync(paths.redisDir)) throw new BurrowError("no_data", `There is no Burrow data in ${config.dataDir} yet, so there is nothing to export.`, { hint: "Chat with Burrow and rate some answers first (👍)." });
  const target: RedisTarget = { kind: "socket", path: paths.redisSocket };
  const claim = claimInstance(paths.instanceFile, { pid: process.pid, role: "ask", redis: target, startedAt: Date.now() });
  if (!claim.claimed) return openTarget(config, logger);
  const embedded = new EmbeddedRedis({ dir: paths.redisDir, socketPath: paths.redisSocket, logger });
  try {
    return {
      target: await embedded.start(),
      close: async () => {
        await embedded.stop();
        releaseInstance(paths.instanceFile, process.pid);
      },
    };
  } catch (error) {
    releaseInstance(paths.instanceFile, process.pid);
    throw error;
  }
}
