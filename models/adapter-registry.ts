import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import type { DataPaths } from "../src/data-paths.js";
import { BurrowError } from "../src/errors.js";
import type { ModelFileInfo } from "./model-file.js";
import { readJson, writeJsonAtomically } from "./json-file.js";

/**
 * The LoRA adapters `burrow adapters add` installed (<data>/adapters/registry.json) and which one is active
 * (<data>/adapters/active.json: the active adapter and scale, plus the earlier choices `rollback` returns to).
 * Small JSON files replaced atomically, like the model registry.
 */

const RecordSchema = z.object({
  name: z.string(),
  /** File name inside <data>/adapters/. */
  file: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  rank: z.number(),
  alpha: z.number().nullable(),
  architecture: z.string(),
  /** The base model it was validated against when added: its name, path and shape fingerprint. */
  baseModel: z.object({ name: z.string().nullable(), path: z.string(), shape: z.string() }),
  addedAt: z.string(),
});
export type AdapterRecord = z.infer<typeof RecordSchema>;

const RegistrySchema = z.object({ version: z.literal(1), adapters: z.array(RecordSchema) });

const ChoiceSchema = z.object({ name: z.string(), scale: z.number() });
export type AdapterChoice = z.infer<typeof ChoiceSchema>;

const ActiveSchema = z.object({
  version: z.literal(1),
  /** null: no adapter (`adapters off`). */
  active: ChoiceSchema.nullable(),
  /** Earlier states, oldest first; `rollback` pops the last one. */
  previous: z.array(ChoiceSchema.nullable()),
  changedAt: z.string(),
});
type ActiveState = z.infer<typeof ActiveSchema>;

/** How many earlier choices `rollback` can go back through. */
const HISTORY_LIMIT = 20;

export const ADAPTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class AdapterRegistry {
  constructor(private readonly paths: Pick<DataPaths, "adaptersDir" | "adapterRegistry" | "activeAdapterFile">) {}

  pathOf(record: Pick<AdapterRecord, "file">): string {
    return join(this.paths.adaptersDir, record.file);
  }

  records(): AdapterRecord[] {
    const raw = readJson(this.paths.adapterRegistry);
    if (raw === undefined) return [];
    const parsed = RegistrySchema.safeParse(raw);
    if (!parsed.success) {
      throw new BurrowError("adapter_registry_invalid", `The adapter registry ${this.paths.adapterRegistry} is damaged.`, {
        hint: `Delete it and add the adapters again (\`burrow adapters add FILE\`); the files are in ${this.paths.adaptersDir}.`,
      });
    }
    return parsed.data.adapters;
  }

  get(name: string): AdapterRecord | undefined {
    return this.records().find((record) => record.name === name);
  }

  put(record: AdapterRecord): void {
    const adapters = [...this.records().filter((known) => known.name !== record.name), record];
    writeJsonAtomically(this.paths.adapterRegistry, { version: 1, adapters });
  }

  /** The active adapter, or null (none chosen, or `adapters off`). A damaged file reads as none. */
  active(): AdapterChoice | null {
    return this.state().active;
  }

  /** Makes `choice` active (null: off), remembering the current one for `rollback`. */
  setActive(choice: AdapterChoice | null): void {
    const state = this.state();
    const previous = [...state.previous, state.active].slice(-HISTORY_LIMIT);
    this.write({ active: choice, previous });
  }

  /** Goes back to the choice before the current one; undefined when there is none to go back to. */
  rollback(): { from: AdapterChoice | null; to: AdapterChoice | null } | undefined {
    const state = this.state();
    if (state.previous.length === 0) return undefined;
    const previous = [...state.previous];
    const to = previous.pop() ?? null;
    this.write({ active: to, previous });
    return { from: state.active, to };
  }

  private state(): ActiveState {
    const parsed = ActiveSchema.safeParse(readJson(this.paths.activeAdapterFile));
    return parsed.success ? parsed.data : { version: 1, active: null, previous: [], changedAt: "" };
  }

  private write(state: Pick<ActiveState, "active" | "previous">): void {
    writeJsonAtomically(this.paths.activeAdapterFile, { version: 1, ...state, changedAt: new Date().toISOString() });
  }
}

/**
 * What an adapter has to fit: the architecture and every tensor's name and dimensions. Two files of the same
 * model (another quantization, a copy) share it; this is what `adapters add` records as the base model.
 */
export function baseModelShape(model: ModelFileInfo): string {
  const tensors = (model.ggufInfo.fullTensorInfo ?? model.ggufInfo.tensorInfo ?? []).map((tensor) => `${tensor.name}:${tensor.dimensions.map(Number).join("x")}`).sort();
  return createHash("sha256").update(JSON.stringify({ architecture: model.architecture, tensors })).digest("hex").slice(0, 16);
}
