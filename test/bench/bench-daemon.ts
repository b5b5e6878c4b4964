/**
 * Idle memory of the daemon without a real model: `burrow start --no-chat` on the tiny scripted test model
 * (a few hundred KB; llama.cpp's runtime is loaded all the same), default tools, then VmRSS of the daemon
 * and of its redis-server child, read separately from /proc once it has settled.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cliEnv, spawnCli, waitForOutput } from "../support/cli.js";
import { writeScriptedChatModel } from "../support/models/index.js";
import { childPids, processMemory, processName, type ProcessMemory } from "./bench-proc.js";
import { progress, RUNS, spread, type Spread } from "./bench-stats.js";

const SETTLE_MS = 3000;
const SAMPLE_EVERY_MS = 1000;

export interface DaemonResult {
  readonly settings: { readonly model: string; readonly modelBytes: number; readonly threads: number; readonly contextSize: number; readonly settleMs: number };
  readonly daemon: { readonly rssBytes: Spread; readonly samples: ProcessMemory[] };
  readonly redis: { readonly rssBytes: Spread; readonly samples: ProcessMemory[] };
}

export async function benchDaemon(tmpDir: string): Promise<DaemonResult> {
  const modelPath = join(tmpDir, "tiny-scripted.gguf");
  const model = await writeScriptedChatModel(modelPath);
  const contextSize = 2048;
  const env = cliEnv({ BURROW_DATA_DIR: join(tmpDir, "daemon-data"), BURROW_MODEL: modelPath, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: String(contextSize) });
  progress(`daemon: starting burrow start --no-chat on the ${(model.bytes / 1e3).toFixed(0)} KB test model…`);
  const daemon = spawnCli(["start", "--no-chat"], env);
  try {
    await waitForOutput(daemon.stderr!, /Burrow is running/, 120_000);
    await sleep(SETTLE_MS);
    const pid = daemon.pid!;
    const redisPid = childPids(pid).find((child) => processName(child) === "redis-server");
    if (redisPid === undefined) throw new Error("the daemon has no redis-server child");
    const daemonSamples: ProcessMemory[] = [];
    const redisSamples: ProcessMemory[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i > 0) await sleep(SAMPLE_EVERY_MS);
      daemonSamples.push(processMemory(pid));
      redisSamples.push(processMemory(redisPid));
    }
    const result = {
      settings: { model: "writeScriptedChatModel (tiny test model)", modelBytes: model.bytes, threads: 1, contextSize, settleMs: SETTLE_MS },
      daemon: { rssBytes: spread(daemonSamples.map((s) => s.rssBytes)), samples: daemonSamples },
      redis: { rssBytes: spread(redisSamples.map((s) => s.rssBytes)), samples: redisSamples },
    };
    progress(`daemon: ${(result.daemon.rssBytes.median / 1e6).toFixed(0)} MB, redis-server ${(result.redis.rssBytes.median / 1e6).toFixed(1)} MB`);
    return result;
  } finally {
    daemon.kill("SIGTERM");
    await daemon;
  }
}
