import type { GgufFileInfo } from "node-llama-cpp";
import { DEFAULT_MODEL_FILE } from "../src/config.js";
import { ModelFileError } from "../src/errors.js";
import { GgufStructureError, metadataValue, readGgufStructure } from "./gguf-structure.js";

/** What Burrow needs to know about a model file before llama.cpp touches it. */
export interface ModelFileInfo {
  readonly path: string;
  readonly sizeBytes: number;
  readonly architecture: string;
  readonly name: string | undefined;
  readonly trainContextLength: number;
  readonly layers: number;
  readonly embeddingLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly ggufInfo: GgufFileInfo;
}

const DOWNLOAD_AGAIN_HINT = "Download the model again (an interrupted download is the usual cause).";

const SET_MODEL_HINT =
  `Set BURROW_MODEL=/path/to/model.gguf (the default model is Qwen2.5-7B-Instruct Q4_K_M, file ${DEFAULT_MODEL_FILE}).`;

/**
 * Validates a GGUF model file without loading it: llama.cpp aborts the whole process (GGML_ASSERT) on some
 * malformed files instead of throwing, so everything it would trip over is checked here first and reported
 * as a ModelFileError that says what is wrong and what to do.
 */
export async function inspectModelFile(path: string): Promise<ModelFileInfo> {
  const fail = (message: string, hint = SET_MODEL_HINT, cause?: unknown): never => {
    throw new ModelFileError(path, message, { hint, cause });
  };

  const { sizeBytes, info, tensors } = await readGgufStructure(path, "Model", "a GGUF model file").catch((error: unknown) => {
    if (!(error instanceof GgufStructureError)) throw error;
    const { kind, message, cause } = error.problem;
    const hint = kind === "damaged" ? DOWNLOAD_AGAIN_HINT : kind === "not-gguf" ? `Burrow runs llama.cpp GGUF models. ${SET_MODEL_HINT}` : SET_MODEL_HINT;
    return fail(message, hint, cause);
  });

  const meta = (key: string): unknown => metadataValue(info, key);
  if (meta("general.type") === "adapter") {
    fail(`${path} is a LoRA adapter, not a model.`, `Point BURROW_MODEL at the base model; adapters are added with \`burrow adapters add\`.`);
  }
  const architecture = meta("general.architecture");
  if (typeof architecture !== "string" || architecture === "") fail(`${path} does not say which model architecture it is (general.architecture).`);
  const arch = architecture as string;

  const required = (key: string): number => {
    const value = meta(key);
    if (typeof value !== "number" && typeof value !== "bigint") {
      return fail(`${path} lacks the metadata key ${key}, which llama.cpp needs to load a ${arch} model.`);
    }
    return Number(value);
  };
  const layers = required(`${arch}.block_count`);
  const embeddingLength = required(`${arch}.embedding_length`);
  required(`${arch}.feed_forward_length`);
  const headCount = required(`${arch}.attention.head_count`);
  const trainContextLength = required(`${arch}.context_length`);
  const kvValue = meta(`${arch}.attention.head_count_kv`);
  const headCountKv = typeof kvValue === "number" ? kvValue : headCount;
  if (typeof meta("tokenizer.ggml.model") !== "string" || !Array.isArray(meta("tokenizer.ggml.tokens"))) {
    fail(`${path} has no tokenizer (tokenizer.ggml.model / tokenizer.ggml.tokens).`);
  }

  if (tensors.length === 0) fail(`${path} holds no tensors.`);

  const name = meta("general.name");
  return {
    path,
    sizeBytes,
    architecture: arch,
    name: typeof name === "string" ? name : undefined,
    trainContextLength,
    layers,
    embeddingLength,
    headCount,
    headCountKv,
    ggufInfo: info,
  };
}

/** Reads a dotted key ("qwen2.attention.head_count") from node-llama-cpp's nested metadata object. */
