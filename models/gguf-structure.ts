import { open, stat } from "node:fs/promises";
import { readGgufFileInfo, type GgufFileInfo, type GgufTensorInfo } from "node-llama-cpp";
import { tensorByteSize } from "./ggml-type-sizes.js";

/**
 * The structural checks every GGUF file gets before llama.cpp sees it (model or adapter): it exists, starts
 * with the GGUF signature, has a version llama.cpp reads, a complete header and tensor data that fits in
 * the file. llama.cpp aborts the whole process on some of these instead of throwing.
 */
export interface GgufStructure {
  readonly sizeBytes: number;
  readonly info: GgufFileInfo;
  readonly tensors: readonly GgufTensorInfo[];
}

/** What is wrong: "file" problems mean the path is wrong, "damaged" ones that the file should be fetched again. */
export interface GgufProblem {
  readonly kind: "file" | "not-gguf" | "damaged";
  readonly message: string;
  readonly cause?: unknown;
}

export class GgufStructureError extends Error {
  constructor(readonly problem: GgufProblem) {
    super(problem.message, problem.cause === undefined ? undefined : { cause: problem.cause });
  }
}

/**
 * Reads and checks a GGUF file's structure; throws GgufStructureError. `noun` names the file in messages
 * ("Model" / "Adapter"), `notGguf` says what it should have been ("a GGUF model file").
 */
export async function readGgufStructure(path: string, noun: string, notGguf: string): Promise<GgufStructure> {
  const problem = (kind: GgufProblem["kind"], message: string, cause?: unknown): never => {
    throw new GgufStructureError({ kind, message, cause });
  };
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) =>
    problem("file", error.code === "ENOENT" ? `${noun} file not found: ${path}` : `Cannot read ${noun.toLowerCase()} file ${path}: ${error.message}`, error),
  );
  if (!stats.isFile()) problem("file", `${noun} path ${path} is not a file.`);

  const head = Buffer.alloc(8);
  const handle = await open(path, "r");
  let headBytes: number;
  try {
    headBytes = (await handle.read(head, 0, 8, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  if (headBytes < 8 || head.toString("latin1", 0, 4) !== "GGUF") problem("not-gguf", `${path} is not ${notGguf} (it does not start with the GGUF signature).`);
  const version = head.readUInt32LE(4);
  if (version !== 2 && version !== 3) problem("not-gguf", `${path} is GGUF version ${version}; llama.cpp reads versions 2 and 3.`);

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
  } catch (error) {
    return problem("damaged", `${path} is a damaged GGUF file: ${(error as Error).message}`, error);
  }
  // node-llama-cpp's reader returns what it could read from a cut-off header instead of throwing.
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  if (tensors.length < Number(info.totalTensorCount) || (info.infoEndOffset ?? 0) > stats.size) {
    problem("damaged", `${path} is a damaged GGUF file: its header is cut off (${stats.size} bytes).`);
  }
  let dataEnd = 0;
  for (const tensor of tensors) {
    const bytes = tensorByteSize(tensor.ggmlType, tensor.dimensions);
    if (bytes !== undefined) dataEnd = Math.max(dataEnd, Number(tensor.fileOffset) + bytes);
  }
  if (dataEnd > stats.size) problem("damaged", `${path} is truncated: its tensors need ${dataEnd} bytes but the file has ${stats.size}.`);
  return { sizeBytes: stats.size, info, tensors };
}

/** A metadata value by its dotted GGUF key ("general.architecture"), or undefined. */
export function metadataValue(info: GgufFileInfo, key: string): unknown {
  let node: unknown = info.metadata;
  for (const part of key.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
