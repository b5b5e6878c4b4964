import { existsSync } from "node:fs";
import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Config } from "../src/config.js";
import { dataPaths } from "../src/data-paths.js";
import { describeError } from "../src/errors.js";
import { ADAPTER_NAME, AdapterRegistry, baseModelShape, type AdapterChoice, type AdapterRecord } from "./adapter-registry.js";
import { formatSize, measureDiskUsage } from "./disk-usage.js";
import type { LoraAdapterInfo } from "./lora-adapter.js";
import type { ModelFileInfo } from "./model-file.js";

/**
 * `burrow adapters add|use|off|rollback|list`. Each returns the exit code: 0 done, 1 failed (an adapter that
 * does not fit, with the exact reason; errors thrown as BurrowError are printed by the CLI), 2 bad usage (an
 * unknown name, a bad --scale). Results go to stdout, advice to stderr. Every adapter is checked against the
 * active base model before it is added or chosen, so the daemon is never handed one llama.cpp would refuse;
 * a running Burrow picks up a change at its next start. node-llama-cpp's GGUF reader (about a second to load)
 * is only imported by the commands that read a file, so `off` and `rollback` answer at once.
 */

const inspectModelFile = async (path: string) => (await import("./model-file.js")).inspectModelFile(path);
const lora = () => import("./lora-adapter.js");

export interface AdaptersStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

const MAX_SCALE = 10;
const RESTART_NOTE = "A running Burrow keeps its adapter until restarted (`burrow start`).\n";

export async function addCommand(config: Config, streams: AdaptersStreams, file: string, options: { name?: string }): Promise<number> {
  const paths = dataPaths(config.dataDir);
  const registry = new AdapterRegistry(paths);
  const source = resolve(file);
  const name = options.name ?? defaultName(source);
  if (!ADAPTER_NAME.test(name)) {
    streams.err.write(`burrow: "${name}" cannot be an adapter name: use letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit), e.g. --name my-adapter.\n`);
    return 2;
  }
  const model = await inspectModelFile(config.modelPath);
  // Throws an AdapterFileError with the exact reason when it does not fit (the CLI prints it, exit code 1).
  const { AdapterFileError, inspectLoraAdapter } = await lora();
  const info = await inspectLoraAdapter(source, model);
  const sha256 = info.sha256!;

  const records = registry.records();
  const sameFile = records.find((record) => record.sha256 === sha256 && existsSync(registry.pathOf(record)));
  const existing = records.find((record) => record.name === name);
  if (sameFile && (options.name === undefined || sameFile.name === name)) {
    streams.out.write(`This adapter is already added as ${sameFile.name} (sha256 ${sha256}).\n`);
    return 0;
  }
  if (existing) {
    streams.err.write(`burrow: an adapter named ${name} already exists (another file, sha256 ${existing.sha256.slice(0, 12)}…).\nChoose another name with --name.\n`);
    return 1;
  }
  const usage = measureDiskUsage(config.dataDir, config.models.diskBudgetBytes);
  if (usage.totalBytes + info.sizeBytes > usage.budgetBytes) {
    streams.err.write(`burrow: adding ${name} (${formatSize(info.sizeBytes)}) would go over the disk budget: ${formatSize(usage.totalBytes)} of ${formatSize(usage.budgetBytes)} used.\nRemove models you do not use (\`burrow models rm NAME\`), or raise BURROW_DISK_BUDGET.\n`);
    return 1;
  }

  // Copy under a temporary name and check the copy, so the registry never points at a partial or changed file.
  await mkdir(paths.adaptersDir, { recursive: true });
  const target = join(paths.adaptersDir, `${name}.gguf`);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await copyFile(source, temp);
    const copied = await inspectLoraAdapter(temp, model);
    if (copied.sha256 !== sha256) throw new AdapterFileError(source, `${source} changed while it was being copied.`, { hint: "Run the command again once the file is complete." });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const record: AdapterRecord = {
    name,
    file: basename(target),
    bytes: info.sizeBytes,
    sha256,
    rank: info.rank,
    alpha: info.alpha ?? null,
    architecture: info.architecture,
    baseModel: { name: model.name ?? null, path: model.path, shape: baseModelShape(model) },
    addedAt: new Date().toISOString(),
  };
  registry.put(record);
  streams.out.write(`Added ${name}: LoRA rank ${info.rank}${info.alpha === undefined ? "" : `, alpha ${info.alpha}`}, ${info.baseTensors.length} tensors adapted, ${formatSize(info.sizeBytes)} (sha256 ${sha256}).\n`);
  streams.err.write(`It fits the active model ${model.name ?? model.path}. To use it: burrow adapters use ${name}\n`);
  return 0;
}

export async function useCommand(config: Config, streams: AdaptersStreams, name: string, options: { scale: string }): Promise<number> {
  const scale = Number(options.scale);
  if (options.scale.trim() === "" || !Number.isFinite(scale) || Math.abs(scale) > MAX_SCALE) {
    streams.err.write(`burrow: --scale must be a number from -${MAX_SCALE} to ${MAX_SCALE} (1 applies the adapter as trained), not "${options.scale}".\n`);
    return 2;
  }
  const paths = dataPaths(config.dataDir);
  const registry = new AdapterRegistry(paths);
  const record = lookUp(registry, streams, name);
  if (!record) return 2;
  const model = await inspectModelFile(config.modelPath);
  const problem = await checkRecord(registry, record, model);
  if (problem) {
    streams.err.write(`burrow: ${name} cannot be used with the active model: ${problem}\n`);
    return 1;
  }
  const current = registry.active();
  if (current?.name === name && current.scale === scale) {
    streams.out.write(`Active adapter: ${name} (scale ${scale}), already.\n`);
    return 0;
  }
  registry.setActive({ name, scale });
  streams.out.write(`Active adapter: ${name} (scale ${scale}).\n`);
  streams.err.write(RESTART_NOTE);
  return 0;
}

export function offCommand(config: Config, streams: AdaptersStreams): Promise<number> {
  const registry = new AdapterRegistry(dataPaths(config.dataDir));
  const current = registry.active();
  if (!current) {
    streams.out.write("No adapter is active.\n");
    return Promise.resolve(0);
  }
  registry.setActive(null);
  streams.out.write(`No adapter is active now (was ${describeChoice(current)}).\n`);
  streams.err.write(RESTART_NOTE);
  return Promise.resolve(0);
}

export async function rollbackCommand(config: Config, streams: AdaptersStreams): Promise<number> {
  const paths = dataPaths(config.dataDir);
  const registry = new AdapterRegistry(paths);
  const result = registry.rollback();
  if (!result) {
    streams.err.write("burrow: there is no earlier adapter choice to go back to.\n");
    return 1;
  }
  const was = result.from ? ` (was ${describeChoice(result.from)})` : " (was none)";
  streams.out.write(result.to ? `Active adapter: ${describeChoice(result.to)}${was}.\n` : `No adapter is active now${was}.\n`);
  if (result.to) {
    const { resolveActiveAdapter } = await import("./adapter-select.js");
    const active = await resolveActiveAdapter(paths, await inspectModelFile(config.modelPath));
    if (active.kind === "unusable") streams.err.write(`Warning: ${active.reason}\nBurrow will start without it; \`burrow adapters off\` or another \`rollback\` changes the choice.\n`);
  }
  streams.err.write(RESTART_NOTE);
  return 0;
}

interface ListedAdapter extends AdapterRecord {
  readonly path: string;
  readonly active: boolean;
  readonly scale: number | null;
  /** Why it cannot be used with the active model now, if it cannot. */
  readonly problem: string | null;
}

export async function listCommand(config: Config, streams: AdaptersStreams, options: { json: boolean }): Promise<number> {
  const registry = new AdapterRegistry(dataPaths(config.dataDir));
  const active = registry.active();
  let model: ModelFileInfo | undefined;
  let modelProblem: string | undefined;
  try {
    model = await inspectModelFile(config.modelPath);
  } catch (error) {
    modelProblem = describeError(error).split("\n")[0];
  }
  const adapters: ListedAdapter[] = [];
  for (const record of registry.records()) {
    const problem = model ? await checkRecord(registry, record, model, { hash: false }) : `the active model cannot be read (${modelProblem ?? "?"})`;
    const isActive = active?.name === record.name;
    adapters.push({ ...record, path: registry.pathOf(record), active: isActive, scale: isActive ? active.scale : null, problem: problem ?? null });
  }
  if (options.json) {
    streams.out.write(`${JSON.stringify({ adapters, active, model: config.modelPath }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (adapters.length === 0) {
    lines.push("No adapters added yet (`burrow adapters add FILE`).");
  } else {
    const rows = adapters.map((adapter) => [
      adapter.name,
      formatSize(adapter.bytes),
      String(adapter.rank),
      [adapter.active ? `active, scale ${adapter.scale}` : "", adapter.problem ? `does not fit: ${adapter.problem}` : "fits the active model"].filter(Boolean).join("; "),
    ]);
    const header = ["NAME", "SIZE", "RANK", "STATE"];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const format = (row: readonly string[]) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ").trimEnd();
    lines.push(format(header), ...rows.map(format));
  }
  lines.push(`Active adapter: ${active ? describeChoice(active) : "none"}.`);
  streams.out.write(`${lines.join("\n")}\n`);
  return 0;
}

function lookUp(registry: AdapterRegistry, streams: AdaptersStreams, name: string): AdapterRecord | undefined {
  const record = registry.get(name);
  if (!record) {
    const names = registry.records().map((known) => known.name);
    streams.err.write(`burrow: unknown adapter "${name}". ${names.length > 0 ? `Added adapters: ${names.join(", ")}.` : "No adapters are added yet (`burrow adapters add FILE`)."}\n`);
  }
  return record;
}

/** Why the added adapter cannot be used with `model` now (file gone or changed, or made for another model). */
async function checkRecord(registry: AdapterRegistry, record: AdapterRecord, model: ModelFileInfo, options: { hash?: boolean } = {}): Promise<string | undefined> {
  const path = registry.pathOf(record);
  let info: LoraAdapterInfo;
  try {
    info = await (await lora()).inspectLoraAdapter(path, model, options);
  } catch (error) {
    return describeError(error).split("\n")[0];
  }
  if (info.sha256 !== undefined && info.sha256 !== record.sha256) return `${path} has changed since it was added (its SHA-256 is not the recorded one).`;
  return undefined;
}

function describeChoice(choice: AdapterChoice): string {
  return `${choice.name} (scale ${choice.scale})`;
}

/** "My Adapter-v2.gguf" → "My-Adapter-v2". */
function defaultName(path: string): string {
  const stem = basename(path).replace(/\.gguf$/i, "");
  return stem.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64) || "adapter";
}
