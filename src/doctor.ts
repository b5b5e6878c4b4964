import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync, statfsSync } from "node:fs";
import { freemem, totalmem } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { Redis } from "ioredis";
import { resolveActiveAdapter } from "../models/adapter-select.js";
import { BUILTIN_CATALOG } from "../models/catalog.js";
import { budgetPercent, describeBudget, describeUsage, formatSize, measureDiskUsage } from "../models/disk-usage.js";
import { estimateRamBytes } from "../models/memory-estimate.js";
import { inspectModelFile } from "../models/model-file.js";
import { autoContextSize } from "../models/context-size.js";
import { physicalCoreCount } from "../models/physical-cores.js";
import { readThreadChoice, threadCandidates } from "../models/thread-tuning.js";
import type { Config } from "./config.js";
import { dataPaths } from "./data-paths.js";
import { REDIS_INSTALL_HINT } from "./embedded-redis.js";
import { previousLogPath, readAuditLog } from "./audit-log.js";
import { describeError } from "./errors.js";
import { summarizeAuditLog } from "./privacy-report.js";
import { describeRedisTarget } from "./redis.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about it (for warn and fail). */
  readonly fix?: string;
}

const MIN_NODE = [20, 18, 1] as const;

export type Check = () => Promise<CheckResult> | CheckResult;

/**
 * `burrow doctor`: checks what Burrow needs and says what to fix. Never throws; every check reports.
 * `more` are checks from outside src/ (the agent's tools), passed in by the CLI.
 */
export async function runDoctor(config: Config, more: readonly Check[] = []): Promise<CheckResult[]> {
  const checks: Check[] = [
    checkNode,
    () => checkRedis(config),
    () => checkDataDir(config),
    () => checkDiskBudget(config),
    () => checkModel(config),
    () => checkAdapter(config),
    () => checkThreads(config),
    () => checkPrivacy(config),
    ...more,
  ];
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check());
    } catch (error) {
      results.push({ name: check.name || "check", status: "fail", detail: describeError(error) });
    }
  }
  return results;
}

export function formatDoctor(results: readonly CheckResult[]): string {
  const mark: Record<CheckStatus, string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };
  const lines = results.map((r) => `${mark[r.status]}  ${r.name}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ""}`);
  const failed = results.filter((r) => r.status === "fail").length;
  lines.push(failed === 0 ? "Burrow is ready to run." : `${failed} problem${failed === 1 ? "" : "s"} to fix before Burrow can run.`);
  return lines.join("\n");
}

function checkNode(): CheckResult {
  const version = process.versions.node.split(".").map(Number);
  const ok = compareVersions(version, MIN_NODE) >= 0;
  return ok
    ? { name: "Node.js", status: "ok", detail: process.versions.node }
    : { name: "Node.js", status: "fail", detail: `${process.versions.node} is too old`, fix: `Install Node.js ${MIN_NODE.join(".")} or newer (20 LTS).` };
}

async function checkRedis(config: Config): Promise<CheckResult> {
  if (config.redisUrl) {
    const target = { kind: "url" as const, url: config.redisUrl };
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    redis.on("error", () => {});
    try {
      await redis.connect();
      const info = await redis.info("server");
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
      const policy = (await redis.config("GET", "maxmemory-policy").catch(() => [])) as string[];
      if (policy[1] && policy[1] !== "noeviction") {
        return { name: "Redis", status: "warn", detail: `${describeRedisTarget(target)} (${version}) evicts keys (${policy[1]})`, fix: "Set maxmemory-policy noeviction on that server, or queued jobs may be lost." };
      }
      return { name: "Redis", status: "ok", detail: `${describeRedisTarget(target)}, version ${version}` };
    } catch (error) {
      return { name: "Redis", status: "fail", detail: `cannot reach ${describeRedisTarget(target)}: ${(error as Error).message}`, fix: "Start that server, fix REDIS_URL, or unset it to use the embedded Redis." };
    } finally {
      redis.disconnect();
    }
  }
  const result = await execa("redis-server", ["--version"], { reject: false });
  if (result.failed) return { name: "Redis", status: "fail", detail: "redis-server is not installed", fix: REDIS_INSTALL_HINT };
  const version = /v=(\S+)/.exec(result.stdout)?.[1] ?? "unknown";
  const major = Number(version.split(".")[0]);
  if (major < 5) return { name: "Redis", status: "fail", detail: `redis-server ${version} is too old (BullMQ needs 5 or newer)`, fix: REDIS_INSTALL_HINT };
  return { name: "Redis", status: "ok", detail: `embedded redis-server ${version} (unix socket in the data directory)` };
}

function checkDataDir(config: Config): CheckResult {
  const paths = dataPaths(config.dataDir);
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    accessSync(config.dataDir, constants.W_OK);
  } catch (error) {
    return { name: "Data directory", status: "fail", detail: `${config.dataDir} is not writable: ${(error as Error).message}`, fix: "Set BURROW_DATA_DIR to a directory you can write." };
  }
  const used = directorySize(config.dataDir);
  const fs = statfsSync(config.dataDir);
  const free = fs.bavail * fs.bsize;
  const detail = `${config.dataDir}: ${formatBytes(used)} used, ${formatBytes(free)} free on its disk`;
  if (!config.redisUrl && Buffer.byteLength(paths.redisSocket) > 107) {
    return { name: "Data directory", status: "fail", detail: `${detail}; its path is too long for the Redis socket`, fix: "Choose a shorter BURROW_DATA_DIR." };
  }
  if (free < 1024 ** 3) return { name: "Data directory", status: "warn", detail, fix: "Less than 1 GB free: free some disk space." };
  return { name: "Data directory", status: "ok", detail };
}

/** Everything under the data directory against BURROW_DISK_BUDGET, by category. */
function checkDiskBudget(config: Config): CheckResult {
  const usage = measureDiskUsage(config.dataDir, config.models.diskBudgetBytes);
  const detail = `${describeBudget(usage)}: ${describeUsage(usage)}`;
  const percent = budgetPercent(usage);
  const fix = "Remove models you do not use (`burrow models list`, then `burrow models rm NAME`), or raise BURROW_DISK_BUDGET.";
  if (percent > 100) return { name: "Disk budget", status: "warn", detail: `${detail}; over budget, so \`burrow models pull\` refuses new models`, fix };
  if (percent >= 90) return { name: "Disk budget", status: "warn", detail, fix };
  return { name: "Disk budget", status: "ok", detail };
}

async function checkModel(config: Config): Promise<CheckResult> {
  let model;
  try {
    model = await inspectModelFile(config.modelPath);
  } catch (error) {
    const text = describeError(error).split("\n");
    const catalogName = BUILTIN_CATALOG.find((entry) => join(dataPaths(config.dataDir).modelsDir, entry.file) === config.modelPath)?.name;
    const pull = catalogName && !existsSync(config.modelPath) ? `Download it: \`burrow models pull ${catalogName}\` (\`burrow models list\` shows the others). Or: ` : "";
    return { name: "Model", status: "fail", detail: text[0] ?? "invalid", fix: `${pull}${text.slice(1).join(" ")}` || undefined };
  }
  const contextSize = config.contextSize === "auto" ? autoContextSize(model) : Math.min(config.contextSize, model.trainContextLength);
  const need = estimateRamBytes(model, contextSize);
  const detail = `${model.name ?? model.architecture} (${model.architecture}, ${formatBytes(model.sizeBytes)}), context ${contextSize}: needs about ${formatBytes(need)} RAM; ${formatBytes(freemem())} free of ${formatBytes(totalmem())}`;
  const isQwen = model.architecture.startsWith("qwen");
  if (need > totalmem()) return { name: "Model", status: "fail", detail, fix: "Use a smaller model (e.g. Qwen2.5-3B-Instruct Q4_K_M) or lower BURROW_CONTEXT_SIZE." };
  if (need > freemem()) return { name: "Model", status: "warn", detail, fix: "Close other programs, or lower BURROW_CONTEXT_SIZE; otherwise the system may swap." };
  if (!isQwen) return { name: "Model", status: "warn", detail, fix: "Burrow formats prompts for Qwen models; other models may answer poorly." };
  return { name: "Model", status: "ok", detail };
}

/** The LoRA adapter chosen with `burrow adapters use`, checked against the model the way the daemon does. */
async function checkAdapter(config: Config): Promise<CheckResult> {
  const name = "LoRA adapter";
  let model;
  try {
    model = await inspectModelFile(config.modelPath);
  } catch {
    return { name, status: "ok", detail: "not checked: the model file has a problem (see Model)" };
  }
  const active = await resolveActiveAdapter(dataPaths(config.dataDir), model);
  if (active.kind === "none") return { name, status: "ok", detail: "none" };
  if (active.kind === "unusable") {
    return {
      name,
      status: "warn",
      detail: `${active.name} (scale ${active.scale}) is active but Burrow starts without it: ${active.reason}`,
      fix: "Add a fitting adapter (`burrow adapters add FILE`), go back to the previous one (`burrow adapters rollback`) or turn it off (`burrow adapters off`).",
    };
  }
  const alpha = active.info.alpha === undefined ? "" : `, alpha ${active.info.alpha}`;
  return { name, status: "ok", detail: `${active.name} (scale ${active.scale}; LoRA rank ${active.info.rank}${alpha}, ${formatSize(active.info.sizeBytes)}), fits ${model.name ?? model.path}` };
}

function checkThreads(config: Config): CheckResult {
  const cores = physicalCoreCount();
  const plural = (n: number) => `${n} inference thread${n === 1 ? "" : "s"}`;
  if (config.threads === "auto") {
    const choice = readThreadChoice(dataPaths(config.dataDir).tuningFile, config.modelPath);
    if (!choice) {
      return { name: "Threads", status: "ok", detail: `auto: measured at the next start among ${threadCandidates(cores).join(", ")} (${cores} physical core${cores === 1 ? "" : "s"})` };
    }
    const measured = choice.samples.map((s) => `${s.threads}: ${s.tokensPerSecond.toFixed(1)} tok/s`).join(", ");
    return { name: "Threads", status: "ok", detail: `${plural(choice.threads)} (auto, measured for this model: ${measured}); ${cores} physical core${cores === 1 ? "" : "s"}` };
  }
  const threads = config.threads;
  const detail = `${plural(threads)} (BURROW_THREADS); ${cores} physical core${cores === 1 ? "" : "s"}`;
  if (threads > cores) return { name: "Threads", status: "warn", detail, fix: "More threads than physical cores slows llama.cpp down a lot; set BURROW_THREADS=auto." };
  return { name: "Threads", status: "ok", detail };
}

/**
 * What the egress audit log says: offline mode, how much of its budget it uses, and whether anything
 * tried to leave outside the policy. A page refused by the reader's rules (a private address, a URL not in
 * the results) is the policy working; a connection or lookup refused by the socket gate means a library
 * tried to go somewhere Burrow never sends anything, which is worth a look.
 */
export function checkPrivacy(config: Config): CheckResult {
  const log = dataPaths(config.dataDir).egressLog;
  const records = readAuditLog(log);
  const used = [log, previousLogPath(log)].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
  const report = summarizeAuditLog(records);
  const mode = config.offline ? "offline mode (no search, no pages)" : "online: search queries and pages from results may leave";
  const detail = `${mode}; audit log ${records.length} record${records.length === 1 ? "" : "s"}, ${formatBytes(used)} of ${formatBytes(config.auditLogBudgetBytes)}`;
  const stray = report.refused.filter((refusal) => refusal.layer !== "http");
  if (stray.length > 0) {
    const count = stray.reduce((sum, refusal) => sum + refusal.count, 0);
    const where = [...new Set(stray.map((refusal) => refusal.destination))].slice(0, 3).join(", ");
    return { name: "Privacy", status: "warn", detail: `${detail}; ${count} connection${count === 1 ? "" : "s"} outside the egress policy refused (${where})`, fix: "`burrow privacy report` lists them: something in this process tried to contact a destination Burrow never uses." };
  }
  return { name: "Privacy", status: "ok", detail };
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    try {
      if (entry.isDirectory()) total += directorySize(path);
      else if (entry.isFile()) total += statSync(path).size;
    } catch {
      // Vanished or unreadable while walking: not worth failing the check.
    }
  }
  return total;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
