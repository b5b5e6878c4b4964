import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../../src/config.js";
import { dataPaths } from "../../src/data-paths.js";
import { BurrowError } from "../../src/errors.js";
import { AdapterRegistry } from "../../models/adapter-registry.js";
import { resolveActiveAdapter, type EngineAdapter } from "../../models/adapter-select.js";
import { inspectLoraAdapter } from "../../models/lora-adapter.js";
import { inspectModelFile, type ModelFileInfo } from "../../models/model-file.js";
import { ModelRegistry } from "../../models/model-registry.js";

/**
 * Which model and adapter `burrow eval` runs: `--model` (a GGUF path or an installed model's name) or the
 * configured one; `--adapter NAME` (added with `burrow adapters add`), `--adapter none` for the base
 * model, or by default the active adapter — so "base vs adapter" is two runs with different flags.
 */

export interface EvalSetup {
  readonly model: ModelFileInfo;
  readonly adapter: EngineAdapter | undefined;
}

export async function resolveEvalSetup(config: Config, options: { model?: string; adapter?: string; adapterScale?: number }): Promise<EvalSetup> {
  const paths = dataPaths(config.dataDir);
  const model = await inspectModelFile(options.model === undefined ? config.modelPath : modelPathFor(options.model, paths));
  const choice = options.adapter?.trim();
  if (choice === "none" || choice === "off") return { model, adapter: undefined };
  if (choice === undefined) {
    const active = await resolveActiveAdapter(paths, model);
    if (active.kind === "unusable") {
      throw new BurrowError("adapter_unusable", `The active LoRA adapter "${active.name}" cannot be used with ${model.path}: ${active.reason}`, {
        hint: "Pass --adapter none to evaluate the base model, or --adapter NAME for another adapter (`burrow adapters list`).",
      });
    }
    return { model, adapter: active.kind === "ok" ? { ...active.engine, scale: options.adapterScale ?? active.scale } : undefined };
  }
  const registry = new AdapterRegistry(paths);
  const record = registry.get(choice);
  if (!record) {
    const known = registry.records().map((r) => r.name);
    throw new BurrowError("adapter_unknown", `No adapter named "${choice}" has been added.`, {
      hint: known.length > 0 ? `Added adapters: ${known.join(", ")}. Or pass --adapter none for the base model.` : "Add one first with `burrow adapters add FILE`, or pass --adapter none.",
    });
  }
  const path = registry.pathOf(record);
  const info = await inspectLoraAdapter(path, model);
  return { model, adapter: { path, scale: options.adapterScale ?? 1, id: info.sha256 ?? record.sha256, name: record.name } };
}

function modelPathFor(value: string, paths: ReturnType<typeof dataPaths>): string {
  const asPath = resolve(value);
  if (existsSync(asPath)) return asPath;
  const record = new ModelRegistry(paths).get(value);
  if (record) return join(paths.modelsDir, record.file);
  throw new BurrowError("model_unknown", `--model ${value} is neither a file nor an installed model.`, {
    hint: "Give the path of a GGUF file, or the name of a model installed with `burrow models pull` (`burrow models list`).",
  });
}
