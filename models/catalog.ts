import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_MODEL_FILE, type Config } from "../src/config.js";
import { ConfigError } from "../src/errors.js";
import { estimateRamBytes } from "./memory-estimate.js";
import type { ModelFileInfo } from "./model-file.js";

/**
 * The models `burrow models` offers: GGUF files that run on a 2-core laptop, each with where it is published,
 * how big it is and how much RAM it needs. Users can add their own entries with BURROW_CATALOG_FILE.
 *
 * Sources. Qwen's own Qwen2.5 GGUF repos publish the 7B Q4_K_M as two split files
 * (`qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf` + part 2), which llama.cpp must load as a set and a
 * mirror must serve as a set; their smaller Q4_K_M files also differ from the published figures Burrow's
 * docs use (Qwen's 1.5B is 1.12 GB). So the Qwen2.5 entries use bartowski's single-file quantisations
 * (one file each, the sizes Burrow documents: 4.68 / 1.93 / 0.99 GB). Qwen publishes Qwen3-8B Q4_K_M as
 * one file, so that entry uses Qwen's own repo.
 *
 * Exact sizes and SHA-256 are only given where several independent published manifests agree; the others
 * are verified against what the host reports (Content-Length, and Hugging Face's X-Linked-Etag, which is the
 * file's SHA-256) plus a full GGUF check. Downloads use `resolve/main`, so a re-upload upstream changes the
 * file: a pinned hash then fails loudly ("the host offers a different file") instead of installing it.
 */

/** Attention shape, enough for the KV-cache part of the RAM estimate before the file is here. */
export interface ModelShape {
  readonly layers: number;
  readonly embeddingLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  /** Trained context length (the GGUF's `<arch>.context_length`). */
  readonly contextLength: number;
}

export interface CatalogEntry {
  /** Short id used on the command line, e.g. `qwen2.5-7b`. */
  readonly name: string;
  /** What it is, e.g. "Qwen2.5-7B-Instruct Q4_K_M". */
  readonly title: string;
  /** File name under <data>/models/. */
  readonly file: string;
  /** Hugging Face repository ("owner/name") and the file's path in it. */
  readonly repo: string;
  readonly path: string;
  /** Exact size in bytes when known; the download must match it. */
  readonly bytes: number | undefined;
  /** Published size, for the disk budget and the RAM estimate before the exact size is known. */
  readonly approxBytes: number;
  /** Lower-case hex SHA-256 when known; the download must match it. */
  readonly sha256: string | undefined;
  /** The GGUF's `general.architecture`; a download of another architecture is refused. */
  readonly architecture: string | undefined;
  readonly shape: ModelShape | undefined;
  /** Qwen3-style thinking model (a `<think>` section before the answer). */
  readonly thinking: boolean;
  /** Tuned for code. */
  readonly coder: boolean;
  readonly notes: string;
}

const QWEN25_7B_SHAPE: ModelShape = { layers: 28, embeddingLength: 3584, headCount: 28, headCountKv: 4, contextLength: 32_768 };

/** The built-in catalog; the first entry is the default model (its file is DEFAULT_MODEL_FILE). */
export const BUILTIN_CATALOG: readonly CatalogEntry[] = [
  {
    name: "qwen2.5-7b",
    title: "Qwen2.5-7B-Instruct Q4_K_M",
    file: DEFAULT_MODEL_FILE,
    repo: "bartowski/Qwen2.5-7B-Instruct-GGUF",
    path: "Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    bytes: 4_683_074_240,
    approxBytes: 4_683_074_240,
    sha256: "65b8fcd92af6b4fefa935c625d1ac27ea29dcb6ee14589c55a8f115ceaaa1423",
    architecture: "qwen2",
    shape: QWEN25_7B_SHAPE,
    thinking: false,
    coder: false,
    notes: "default; best all-round quality that fits 8 GB of RAM; 3-5 tok/s on 2 cores",
  },
  {
    name: "qwen2.5-coder-7b",
    title: "Qwen2.5-Coder-7B-Instruct Q4_K_M",
    file: "qwen2.5-coder-7b-instruct-q4_k_m.gguf",
    repo: "bartowski/Qwen2.5-Coder-7B-Instruct-GGUF",
    path: "Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf",
    bytes: undefined,
    approxBytes: 4_680_000_000,
    sha256: undefined,
    architecture: "qwen2",
    shape: QWEN25_7B_SHAPE,
    thinking: false,
    coder: true,
    notes: "coder: better at code (HumanEval 88.4 vs 84.8), a little weaker at chat; same speed as the 7B",
  },
  {
    name: "qwen2.5-3b",
    title: "Qwen2.5-3B-Instruct Q4_K_M",
    file: "qwen2.5-3b-instruct-q4_k_m.gguf",
    repo: "bartowski/Qwen2.5-3B-Instruct-GGUF",
    path: "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
    bytes: 1_929_903_264,
    approxBytes: 1_929_903_264,
    sha256: undefined,
    architecture: "qwen2",
    shape: { layers: 36, embeddingLength: 2048, headCount: 16, headCountKv: 2, contextLength: 32_768 },
    thinking: false,
    coder: false,
    notes: "for 4-6 GB of RAM; about twice as fast as the 7B; research licence (not Apache-2.0)",
  },
  {
    name: "qwen2.5-1.5b",
    title: "Qwen2.5-1.5B-Instruct Q4_K_M",
    file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
    repo: "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
    path: "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
    bytes: undefined,
    approxBytes: 990_000_000,
    sha256: undefined,
    architecture: "qwen2",
    shape: { layers: 28, embeddingLength: 1536, headCount: 12, headCountKv: 2, contextLength: 32_768 },
    thinking: false,
    coder: false,
    notes: "smallest and fastest; weak at tool use and long answers",
  },
  {
    name: "qwen3-8b",
    title: "Qwen3-8B Q4_K_M",
    file: "qwen3-8b-q4_k_m.gguf",
    repo: "Qwen/Qwen3-8B-GGUF",
    path: "Qwen3-8B-Q4_K_M.gguf",
    bytes: 5_027_783_488,
    approxBytes: 5_027_783_488,
    sha256: "d98cdcbd03e17ce47681435b5150e34c1417f50b5c0019dd560e4882c5745785",
    architecture: "qwen3",
    shape: { layers: 36, embeddingLength: 4096, headCount: 32, headCountKv: 8, contextLength: 40_960 },
    thinking: true,
    coder: false,
    notes: "thinking model: reasons in <think> first (bounded by BURROW_THOUGHT_TOKENS), so answers take longer",
  },
];

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "lower-case letters, digits, '.', '_' or '-'");
// A plain file name: it becomes a path under <data>/models/, so no directories and no hidden files.
const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.gguf$/, "a plain file name ending in .gguf");
const repo = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, "owner/name");
const repoPath = z
  .string()
  .regex(/^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+\.gguf$/, "a relative path ending in .gguf")
  // node-llama-cpp would fetch every part of a split model, and Burrow installs one file per model.
  .refine((path) => !/-\d{5}-of-\d{5}\.gguf$/.test(path), "a single-file GGUF (split models like -00001-of-00002.gguf are not supported)");

const EntrySchema = z.strictObject({
  name,
  title: z.string().min(1).max(200).optional(),
  file: fileName,
  repo,
  path: repoPath,
  bytes: z.number().int().positive().optional(),
  approxBytes: z.number().int().positive().optional(),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex digits").optional(),
  architecture: z.string().min(1).optional(),
  shape: z.strictObject({
    layers: z.number().int().positive(),
    embeddingLength: z.number().int().positive(),
    headCount: z.number().int().positive(),
    headCountKv: z.number().int().positive(),
    contextLength: z.number().int().positive(),
  }).optional(),
  thinking: z.boolean().optional(),
  coder: z.boolean().optional(),
  notes: z.string().max(500).optional(),
});

const CatalogFileSchema = z.union([z.array(EntrySchema), z.strictObject({ models: z.array(EntrySchema) })]);

export class ModelCatalog {
  private readonly byName: ReadonlyMap<string, CatalogEntry>;

  constructor(readonly entries: readonly CatalogEntry[]) {
    this.byName = new Map(entries.map((entry) => [entry.name, entry]));
  }

  get(modelName: string): CatalogEntry | undefined {
    return this.byName.get(modelName);
  }

  /** The entry whose file is `file` (a file name under <data>/models/). */
  byFile(file: string): CatalogEntry | undefined {
    return this.entries.find((entry) => entry.file === file);
  }

  names(): string[] {
    return this.entries.map((entry) => entry.name);
  }
}

/** The built-in catalog plus the entries of BURROW_CATALOG_FILE (a ConfigError says what is wrong with it). */
export function loadCatalog(config: Pick<Config, "models">): ModelCatalog {
  const extra = config.models.catalogFile ? readCatalogFile(config.models.catalogFile) : [];
  const entries = [...BUILTIN_CATALOG];
  for (const entry of extra) {
    const clash = entries.find((known) => known.name === entry.name || known.file === entry.file);
    if (clash) {
      const what = clash.name === entry.name ? `name ${entry.name}` : `file ${entry.file}`;
      throw new ConfigError("BURROW_CATALOG_FILE", `Catalog file ${config.models.catalogFile}: the ${what} is already used by ${clash.name}; choose another.`);
    }
    entries.push(entry);
  }
  return new ModelCatalog(entries);
}

export function readCatalogFile(path: string): CatalogEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError("BURROW_CATALOG_FILE", `Cannot read catalog file ${path}: ${(error as Error).message}.`, { cause: error });
  }
  const parsed = CatalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new ConfigError("BURROW_CATALOG_FILE", `Catalog file ${path} is not valid${where}: ${issue?.message ?? "unexpected shape"}.`, {
      hint: 'Expected {"models": [{"name", "file", "repo", "path", optional "bytes", "approxBytes", "sha256", "architecture", "notes"}]}.',
    });
  }
  const models = Array.isArray(parsed.data) ? parsed.data : parsed.data.models;
  return models.map((entry) => ({
    name: entry.name,
    title: entry.title ?? entry.name,
    file: entry.file,
    repo: entry.repo,
    path: entry.path,
    bytes: entry.bytes,
    approxBytes: entry.approxBytes ?? entry.bytes ?? 0,
    sha256: entry.sha256?.toLowerCase(),
    architecture: entry.architecture,
    shape: entry.shape,
    thinking: entry.thinking ?? false,
    coder: entry.coder ?? false,
    notes: entry.notes ?? "",
  }));
}

/** `${host}/${repo}/resolve/main/${path}`: Hugging Face's download URL, which mirrors serve under their own host. */
export function downloadUrl(entry: Pick<CatalogEntry, "repo" | "path">, host: string): URL {
  const encodedPath = entry.path.split("/").map(encodeURIComponent).join("/");
  return new URL(`${host.replace(/\/+$/, "")}/${entry.repo}/resolve/main/${encodedPath}`);
}

/**
 * RAM the entry needs at `contextSize` (capped at its trained context), from its published size and attention
 * shape, with the same formula as for a file on disk; undefined when the catalog does not know the shape.
 */
export function catalogRamBytes(entry: CatalogEntry, contextSize: number): number | undefined {
  if (!entry.shape || entry.approxBytes <= 0) return undefined;
  const { contextLength, ...shape } = entry.shape;
  // estimateRamBytes reads only the size and the attention shape; the catalog knows those without the file.
  const model = { ...shape, sizeBytes: entry.bytes ?? entry.approxBytes, trainContextLength: contextLength } as ModelFileInfo;
  return estimateRamBytes(model, Math.min(contextSize, contextLength));
}
