import { open, stat } from "node:fs/promises";
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import { DEFAULT_MODEL_FILE } from "../src/config.js";
import { ModelFileError } from "../src/errors.js";
import { tensorByteSize } from "./ggml-type-sizes.js";

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

  const stats = await stat(path).catch((error: NodeJS.ErrnoException) =>
    fail(error.code === "ENOENT" ? `Model file not found: ${path}` : `Cannot read model file ${path}: ${error.message}`, SET_MODEL_HINT, error),
  );
  if (!stats.isFile()) fail(`Model path ${path} is not a file.`);

  const head = Buffer.alloc(8);
  const handle = await open(path, "r");
  let headBytes: number;
  try {
    headBytes = (await handle.read(head, 0, 8, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  if (headBytes < 8 || head.toString("latin1", 0, 4) !== "GGUF") {
    fail(`${path} is not a GGUF model file (it does not start with the GGUF signature).`,
      `Burrow runs llama.cpp GGUF models. ${SET_MODEL_HINT}`);
  }
  const version = head.readUInt32LE(4);
  if (version !== 2 && version !== 3) fail(`${path} is GGUF version ${version}; llama.cpp reads versions 2 and 3.`);

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
  } catch (error) {
    return fail(`${path} is a damaged GGUF file: ${(error as Error).message}`,
      DOWNLOAD_AGAIN_HINT, error);
  }

  // node-llama-cpp's reader returns what it could read from a cut-off header instead of throwing.
  const tensorsRead = (info.fullTensorInfo ?? info.tensorInfo ?? []).length;
  if (tensorsRead < Number(info.totalTensorCount) || (info.infoEndOffset ?? 0) > stats.size) {
    fail(`${path} is a damaged GGUF file: its header is cut off (${stats.size} bytes).`,
      DOWNLOAD_AGAIN_HINT);
  }

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

  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  if (tensors.length === 0) fail(`${path} holds no tensors.`);
  let dataEnd = 0;
  for (const tensor of tensors) {
    const bytes = tensorByteSize(tensor.ggmlType, tensor.dimensions);
    if (bytes !== undefined) dataEnd = Math.max(dataEnd, Number(tensor.fileOffset) + bytes);
  }
  if (dataEnd > stats.size) {
    fail(`${path} is truncated: its tensors need ${dataEnd} bytes but the file has ${stats.size}.`,
      DOWNLOAD_AGAIN_HINT);
  }

  const name = meta("general.name");
  return {
    path,
    sizeBytes: stats.size,
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
function metadataValue(info: GgufFileInfo, key: string): unknown {
  let node: unknown = info.metadata;
  for (const part of key.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
