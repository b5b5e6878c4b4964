import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../src/config.js";
import { dataPaths } from "../src/data-paths.js";
import { configuredAuditSink } from "../src/audit-log.js";
import { EgressGate } from "../src/egress.js";
import { describeError } from "../src/errors.js";
import { catalogRamBytes, loadCatalog, type CatalogEntry, type ModelCatalog } from "./catalog.js";
import { ProgressBar, duration } from "./download-progress.js";
import { budgetPercent, describeBudget, describeUsage, formatSize, measureDiskUsage } from "./disk-usage.js";
import { estimateRamBytes } from "./memory-estimate.js";
import { removeStaged, stagedBytes } from "./model-pull-staging.js";
import { ModelRegistry } from "./model-registry.js";

/**
 * `burrow models pull|list|use|rm`. Each returns the exit code: 0 done, 1 failed (with a message saying what
 * to do), 2 bad usage (an unknown model name), 130 stopped by Ctrl-C (a pull then resumes when run again).
 * Results go to stdout, progress and advice to stderr. node-llama-cpp (about a second to load) is only
 * imported by the commands that read or download a model file.
 */

const inspectModelFile = async (path: string) => (await import("./model-file.js")).inspectModelFile(path);

export interface ModelsStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
}

interface Context {
  readonly config: Config;
  readonly catalog: ModelCatalog;
  readonly streams: ModelsStreams;
}

function context(config: Config, streams: ModelsStreams): Context {
  return { config, catalog: loadCatalog(config), streams };
}

function lookUp(ctx: Context, name: string): CatalogEntry | undefined {
  const entry = ctx.catalog.get(name);
  if (!entry) ctx.streams.err.write(`burrow: unknown model "${name}". Known models: ${ctx.catalog.names().join(", ")} (see \`burrow models list\`).\n`);
  return entry;
}

export async function pullCommand(config: Config, streams: ModelsStreams, name: string, options: { force: boolean }, signal?: AbortSignal): Promise<number> {
  const ctx = context(config, streams);
  const entry = lookUp(ctx, name);
  if (!entry) return 2;
  const gate = new EgressGate(configuredAuditSink(config), { offline: config.offline });
  const bar = new ProgressBar(streams.err, entry.name);
  const { ModelPullError, pullModel } = await import("./model-pull.js");
  let result;
  try {
    result = await pullModel(entry, {
      dataDir: config.dataDir,
      host: config.models.host,
      budgetBytes: config.models.diskBudgetBytes,
      gate,
      force: options.force,
      signal,
      catalog: ctx.catalog,
      activeModelPath: config.modelPath,
      onStage: (stage) => {
        if (stage.kind === "checking") streams.err.write(`Pulling ${entry.name} (${entry.title}) from ${stage.url.origin}\n`);
        if (stage.kind === "downloading") {
          const resumed = stage.resumedFromBytes > 0 ? `; resuming, ${formatSize(stage.resumedFromBytes)} already here` : "";
          if (!stage.resumable) streams.err.write("Note: the host does not accept Range requests, so an interrupted download starts over.\n");
          streams.err.write(`Downloading ${formatSize(stage.totalBytes)}${resumed}\n`);
        }
        if (stage.kind === "verifying") {
          bar.finish();
          streams.err.write(`Verifying the file (size, GGUF, SHA-256)…\n`);
        }
      },
      onProgress: (progress) => bar.update(progress),
    });
  } catch (error) {
    bar.finish();
    if (error instanceof ModelPullError && error.reason === "interrupted") {
      streams.err.write(`${error.toUserText()}\n`);
      return 130;
    }
    throw error;
  }
  if (result.alreadyInstalled) {
    streams.out.write(`${entry.name} is already installed: ${result.path} (${formatSize(result.record.bytes)}, verified ${result.record.pulledAt}). Use --force to download it again.\n`);
  } else {
    const seconds = result.downloadMs / 1000;
    const speed = seconds > 0 ? `, ${formatSize(Math.round(result.fetchedBytes / seconds))}/s` : "";
    streams.err.write(`Downloaded ${formatSize(result.fetchedBytes)} in ${duration(seconds)}${speed}; verified in ${duration(result.verifyMs / 1000)} (sha256 ${result.record.sha256}).\n`);
    streams.out.write(`Installed ${entry.name}: ${result.path} (${formatSize(result.record.bytes)}).\n`);
  }
  if (config.modelPath !== result.path) streams.err.write(`To run it: burrow models use ${entry.name}\n`);
  return 0;
}

const REFERENCE_CONTEXT = 8192;

interface ListedModel {
  readonly name: string;
  readonly title: string;
  readonly file: string;
  readonly path: string;
  readonly source: string;
  /** The file's size when installed, else the catalog's (undefined: the catalog does not know it). */
  readonly sizeBytes: number | undefined;
  readonly ramBytes: number | undefined;
  readonly installed: boolean;
  /** Recorded by `burrow models pull` (verified), as opposed to a file put there by hand. */
  readonly pulled: boolean;
  readonly active: boolean;
  readonly partialBytes: number;
  readonly thinking: boolean;
  readonly coder: boolean;
  readonly notes: string;
  /** Why an installed file cannot be used, if it cannot. */
  readonly problem: string | undefined;
}

export async function listCommand(config: Config, streams: ModelsStreams, options: { json: boolean }): Promise<number> {
  const ctx = context(config, streams);
  const paths = dataPaths(config.dataDir);
  const registry = new ModelRegistry(paths);
  const records = registry.records();
  // With BURROW_CONTEXT_SIZE=auto the context follows free RAM; a fixed reference keeps the column comparable.
  const contextSize = config.contextSize === "auto" ? REFERENCE_CONTEXT : config.contextSize;
  const models: ListedModel[] = [];
  for (const entry of ctx.catalog.entries) {
    const path = join(paths.modelsDir, entry.file);
    const installed = existsSync(path);
    let ramBytes = catalogRamBytes(entry, contextSize);
    let sizeBytes: number | undefined = entry.bytes ?? (entry.approxBytes || undefined);
    let problem: string | undefined;
    if (installed) {
      try {
        const info = await inspectModelFile(path);
        sizeBytes = info.sizeBytes;
        ramBytes = estimateRamBytes(info, Math.min(contextSize, info.trainContextLength));
      } catch (error) {
        problem = describeError(error).split("\n")[0];
        sizeBytes = statSync(path).size;
      }
    }
    models.push({
      name: entry.name,
      title: entry.title,
      file: entry.file,
      path,
      source: `${entry.repo}/${entry.path}`,
      sizeBytes,
      ramBytes,
      installed,
      pulled: records.some((record) => record.name === entry.name && record.file === entry.file),
      active: config.modelPath === path,
      partialBytes: stagedBytes(paths.modelStagingDir, entry.file),
      thinking: entry.thinking,
      coder: entry.coder,
      notes: entry.notes,
      problem,
    });
  }
  const otherFiles = listGguf(paths.modelsDir).filter((file) => !ctx.catalog.byFile(file));
  const usage = measureDiskUsage(config.dataDir, config.models.diskBudgetBytes);
  const activeModel = models.find((model) => model.active);

  if (options.json) {
    streams.out.write(`${JSON.stringify({
      models,
      otherFiles: otherFiles.map((file) => ({ file, path: join(paths.modelsDir, file), sizeBytes: statSync(join(paths.modelsDir, file)).size })),
      active: { path: config.modelPath, source: config.modelSource, name: activeModel?.name, installed: existsSync(config.modelPath) },
      disk: { ...usage, budgetPercent: budgetPercent(usage) },
    }, null, 2)}\n`);
    return 0;
  }

  const rows = models.map((model) => [
    model.name,
    model.sizeBytes === undefined ? "?" : formatSize(model.sizeBytes),
    model.ramBytes === undefined ? "?" : formatSize(model.ramBytes),
    stateOf(model),
    model.notes,
  ]);
  const header = ["NAME", "SIZE", "RAM*", "STATE", "NOTES"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: readonly string[]) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ").trimEnd();
  const lines = [format(header), ...rows.map(format)];
  lines.push(config.contextSize === "auto"
    ? `* RAM needed at context ${contextSize} (BURROW_CONTEXT_SIZE=auto fits the context to the free RAM, from 2048 tokens).`
    : `* RAM needed at context ${contextSize} (BURROW_CONTEXT_SIZE).`);
  for (const file of otherFiles) lines.push(`Also in ${paths.modelsDir}: ${file} (${formatSize(statSync(join(paths.modelsDir, file)).size)}), not in the catalog.`);
  const how = config.modelSource === "BURROW_MODEL" ? "set by BURROW_MODEL" : config.modelSource === "active" ? "chosen with `burrow models use`" : "the default";
  const present = existsSync(config.modelPath) ? "" : " — not downloaded yet";
  lines.push(`Active model: ${activeModel ? activeModel.name : config.modelPath} (${how})${present}.`);
  lines.push(`Disk: ${describeBudget(usage)}: ${describeUsage(usage)}.`);
  streams.out.write(`${lines.join("\n")}\n`);
  return 0;
}

function stateOf(model: ListedModel): string {
  const parts: string[] = [];
  if (model.installed) parts.push(model.problem ? "damaged" : model.pulled ? "installed" : "installed (by hand)");
  else if (model.partialBytes > 0) parts.push(`partial ${formatSize(model.partialBytes)}`);
  if (model.active) parts.push(model.installed ? "active" : "active, missing");
  return parts.length > 0 ? parts.join(", ") : "-";
}

export async function useCommand(config: Config, streams: ModelsStreams, name: string): Promise<number> {
  const ctx = context(config, streams);
  const entry = lookUp(ctx, name);
  if (!entry) return 2;
  const paths = dataPaths(config.dataDir);
  const path = join(paths.modelsDir, entry.file);
  if (!existsSync(path)) {
    streams.err.write(`burrow: ${entry.name} is not downloaded.\nRun \`burrow models pull ${entry.name}\` first.\n`);
    return 1;
  }
  // Never make a file the daemon would choke on the active model.
  try {
    await inspectModelFile(path);
  } catch (error) {
    streams.err.write(`burrow: ${describeError(error).split("\n")[0]}\nDownload it again: burrow models pull ${entry.name} --force\n`);
    return 1;
  }
  new ModelRegistry(paths).setActive({ name: entry.name, file: entry.file });
  streams.out.write(`Active model: ${entry.name} (${path}).\n`);
  if (config.modelSource === "BURROW_MODEL") {
    streams.err.write(`Note: BURROW_MODEL=${config.modelPath} is set and overrides this choice until you unset it.\n`);
  } else {
    streams.err.write("A running Burrow keeps its model until restarted (`burrow start`).\n");
  }
  return 0;
}

export async function rmCommand(config: Config, streams: ModelsStreams, name: string, options: { force: boolean }): Promise<number> {
  const ctx = context(config, streams);
  const entry = lookUp(ctx, name);
  if (!entry) return 2;
  const paths = dataPaths(config.dataDir);
  const registry = new ModelRegistry(paths);
  const path = join(paths.modelsDir, entry.file);
  const installed = existsSync(path);
  const partial = stagedBytes(paths.modelStagingDir, entry.file);
  if (!installed && partial === 0) {
    streams.err.write(`burrow: ${entry.name} is not downloaded; nothing to remove.\n`);
    return 1;
  }
  const isActive = installed && config.modelPath === path;
  if (isActive && !options.force) {
    const how = config.modelSource === "BURROW_MODEL" ? "BURROW_MODEL points at it" : config.modelSource === "active" ? "chosen with `burrow models use`" : "the default model";
    streams.err.write(`burrow: ${entry.name} is the active model (${how}); Burrow could not start without it.\nChoose another first (\`burrow models use NAME\`), or add --force to remove it anyway.\n`);
    return 1;
  }
  let freed = removeStaged(paths.modelStagingDir, entry.file);
  if (installed) {
    freed += statSync(path).size;
    rmSync(path, { force: true });
  }
  registry.remove(entry.name);
  const wasChosen = registry.active()?.file === entry.file;
  if (wasChosen) registry.clearActive();
  streams.out.write(`Removed ${entry.name}: freed ${formatSize(freed)}.\n`);
  if (isActive) {
    streams.err.write(wasChosen
      ? "No model is chosen now: Burrow falls back to the default model (`burrow models list` shows what is installed).\n"
      : `Burrow has no model to run until you pull one or choose another (\`burrow models use NAME\`).\n`);
  }
  return 0;
}

function listGguf(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile() && entry.name.endsWith(".gguf")).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}
