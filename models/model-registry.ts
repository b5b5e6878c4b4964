import { rmSync } from "node:fs";
import { z } from "zod";
import type { DataPaths } from "../src/data-paths.js";
import { BurrowError } from "../src/errors.js";
import { readJson, writeJsonAtomically } from "./json-file.js";

/**
 * What `burrow models pull` installed (<data>/models/registry.json) and which model `burrow models use` chose
 * (<data>/models/active.json, read by the config at start-up). Both are small JSON files replaced atomically,
 * so a crash mid-write leaves the previous version, never half a file.
 */

const RecordSchema = z.object({
  name: z.string(),
  file: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  /** ISO time the verified file was moved into place. */
  pulledAt: z.string(),
  /** Where it came from: "<repo>/<path>" and the host's origin. */
  source: z.string(),
  host: z.string(),
});
export type ModelRecord = z.infer<typeof RecordSchema>;

const RegistrySchema = z.object({ version: z.literal(1), models: z.array(RecordSchema) });

const ActiveSchema = z.object({ name: z.string(), file: z.string(), chosenAt: z.string() });
export type ActiveChoice = z.infer<typeof ActiveSchema>;

export class ModelRegistry {
  constructor(private readonly paths: Pick<DataPaths, "modelRegistry" | "activeModelFile">) {}

  records(): ModelRecord[] {
    const raw = readJson(this.paths.modelRegistry);
    if (raw === undefined) return [];
    const parsed = RegistrySchema.safeParse(raw);
    if (!parsed.success) {
      throw new BurrowError("model_registry_invalid", `The model registry ${this.paths.modelRegistry} is damaged.`, {
        hint: "Delete it; `burrow models list` still shows the model files, and `burrow models pull NAME` records them again.",
      });
    }
    return parsed.data.models;
  }

  get(name: string): ModelRecord | undefined {
    return this.records().find((record) => record.name === name);
  }

  put(record: ModelRecord): void {
    const models = [...this.records().filter((known) => known.name !== record.name && known.file !== record.file), record];
    writeJsonAtomically(this.paths.modelRegistry, { version: 1, models });
  }

  remove(name: string): void {
    const records = this.records();
    const models = records.filter((known) => known.name !== name);
    if (models.length !== records.length) writeJsonAtomically(this.paths.modelRegistry, { version: 1, models });
  }

  /** The `burrow models use` choice, or undefined (none, or damaged: the config reports damage at start-up). */
  active(): ActiveChoice | undefined {
    const parsed = ActiveSchema.safeParse(readJson(this.paths.activeModelFile));
    return parsed.success ? parsed.data : undefined;
  }

  setActive(choice: Omit<ActiveChoice, "chosenAt">): void {
    writeJsonAtomically(this.paths.activeModelFile, { ...choice, chosenAt: new Date().toISOString() });
  }

  clearActive(): void {
    rmSync(this.paths.activeModelFile, { force: true });
  }
}
