import type { DataPaths } from "../src/data-paths.js";
import { describeError } from "../src/errors.js";
import { AdapterRegistry, type AdapterRecord } from "./adapter-registry.js";
import { inspectLoraAdapter, type LoraAdapterInfo } from "./lora-adapter.js";
import type { ModelFileInfo } from "./model-file.js";

/** What the engine is given for the active adapter (EngineOptions.adapter). */
export interface EngineAdapter {
  readonly path: string;
  readonly scale: number;
  /** The file's SHA-256: goes into the KV-state fingerprint, so states of another adapter are never loaded. */
  readonly id: string;
  /** For messages and logs. */
  readonly name?: string;
}

export type ActiveAdapter =
  | { readonly kind: "none" }
  | { readonly kind: "ok"; readonly name: string; readonly scale: number; readonly record: AdapterRecord; readonly info: LoraAdapterInfo; readonly engine: EngineAdapter }
  /** Chosen, but it cannot be used now (gone, changed, or not fitting the base model): Burrow runs without it. */
  | { readonly kind: "unusable"; readonly name: string; readonly scale: number; readonly reason: string };

/**
 * The adapter `burrow adapters use` chose, checked against the base model about to be loaded: the file must
 * still be the one that was added (same SHA-256) and still fit the model (another model may be active now).
 * Never throws for a bad adapter: the daemon reports it and starts without one.
 */
export async function resolveActiveAdapter(paths: Pick<DataPaths, "adaptersDir" | "adapterRegistry" | "activeAdapterFile">, model: ModelFileInfo): Promise<ActiveAdapter> {
  const registry = new AdapterRegistry(paths);
  const choice = registry.active();
  if (!choice) return { kind: "none" };
  const unusable = (reason: string): ActiveAdapter => ({ kind: "unusable", name: choice.name, scale: choice.scale, reason });
  let record: AdapterRecord | undefined;
  try {
    record = registry.get(choice.name);
  } catch (error) {
    return unusable(describeError(error).split("\n")[0] ?? "the adapter registry is damaged");
  }
  if (!record) return unusable(`the adapter "${choice.name}" is not in the registry (${paths.adapterRegistry}).`);
  const path = registry.pathOf(record);
  let info: LoraAdapterInfo;
  try {
    info = await inspectLoraAdapter(path, model);
  } catch (error) {
    return unusable(describeError(error).split("\n")[0] ?? "invalid");
  }
  if (info.sha256 !== record.sha256) return unusable(`${path} has changed since it was added (its SHA-256 is not the recorded ${record.sha256.slice(0, 12)}…).`);
  return { kind: "ok", name: record.name, scale: choice.scale, record, info, engine: { path, scale: choice.scale, id: record.sha256, name: record.name } };
}
