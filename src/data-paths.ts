import { join } from "node:path";

/** Every file Burrow writes lives under the data directory; this is the one map of where. */
export interface DataPaths {
  readonly root: string;
  readonly redisDir: string;
  /** The embedded redis-server's unix socket (no TCP port is opened). */
  readonly redisSocket: string;
  readonly logsDir: string;
  readonly logFile: string;
  /** One JSON line per outbound request (see src/egress.ts). */
  readonly egressLog: string;
  readonly modelsDir: string;
  /** Downloads in progress (`burrow models pull`): nothing here is ever loaded; files move out once verified. */
  readonly modelStagingDir: string;
  /** What `burrow models pull` downloaded and verified: name, file, bytes, sha256, when. */
  readonly modelRegistry: string;
  /** The model chosen with `burrow models use` ({"name", "file"}); read by the config. */
  readonly activeModelFile: string;
  /** LoRA adapters added with `burrow adapters add` (copies of the files), plus their registry. */
  readonly adaptersDir: string;
  /** What `burrow adapters add` validated and copied: name, file, sha256, rank, the base model it fits. */
  readonly adapterRegistry: string;
  /** The adapter chosen with `burrow adapters use` (name, scale) and the earlier choices for `rollback`. */
  readonly activeAdapterFile: string;
  /** Measured best thread counts per model and machine (BURROW_THREADS=auto). */
  readonly tuningFile: string;
  /** Saved KV-cache states (prompt prefix and conversations), one subdirectory per model/prompt fingerprint. */
  readonly kvStatesDir: string;
  /** Written by the process that hosts the queue (daemon or a one-shot `ask`), so others can find it. */
  readonly instanceFile: string;
}

export function dataPaths(root: string): DataPaths {
  const redisDir = join(root, "redis");
  const logsDir = join(root, "logs");
  return {
    root,
    redisDir,
    redisSocket: join(redisDir, "redis.sock"),
    logsDir,
    logFile: join(logsDir, "burrow.log"),
    egressLog: join(logsDir, "egress.log"),
    modelsDir: join(root, "models"),
    modelStagingDir: join(root, "models", ".partial"),
    modelRegistry: join(root, "models", "registry.json"),
    activeModelFile: join(root, "models", "active.json"),
    adaptersDir: join(root, "adapters"),
    adapterRegistry: join(root, "adapters", "registry.json"),
    activeAdapterFile: join(root, "adapters", "active.json"),
    kvStatesDir: join(root, "kv-states"),
    tuningFile: join(root, "tuning.json"),
    instanceFile: join(root, "instance.json"),
  };
}
