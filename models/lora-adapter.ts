import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { GgufTensorInfo } from "node-llama-cpp";
import { BurrowError } from "../src/errors.js";
import { GgufStructureError, metadataValue, readGgufStructure } from "./gguf-structure.js";
import type { ModelFileInfo } from "./model-file.js";

/**
 * Validates a GGUF LoRA adapter against a base model without llama.cpp. llama.cpp only throws
 * `Failed to initialize LoRA adapter` for a wrong adapter (the reason goes to its log), and a malformed GGUF
 * can abort the process outright; so everything llama_adapter_lora_init checks is checked here first —
 * general.type, adapter.type, the architecture, that every `<tensor>.lora_a`/`.lora_b` pair is complete, that
 * its base tensor exists and that the shapes fit — and a mismatch becomes an AdapterFileError with the exact
 * reason. Adapters from convert_lora_to_gguf.py do not record the hidden size, so the tensor dimensions are
 * what is compared.
 */

export interface LoraAdapterInfo {
  readonly path: string;
  readonly sizeBytes: number;
  /** SHA-256 of the file (hex); undefined when inspected without hashing. */
  readonly sha256: string | undefined;
  readonly architecture: string;
  readonly name: string | undefined;
  /** adapter.lora.alpha, or undefined when absent (llama.cpp then applies the scale unchanged). */
  readonly alpha: number | undefined;
  /** The rank r (lora_a's second dimension); the largest one if the pairs differ. */
  readonly rank: number;
  /** The base tensors the adapter changes, e.g. "blk.0.attn_q.weight". */
  readonly baseTensors: readonly string[];
}

/** The adapter file is missing, not a LoRA adapter, or made for another model. */
export class AdapterFileError extends BurrowError {
  readonly path: string;

  constructor(path: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("adapter_invalid", message, options);
    this.path = path;
  }
}

const OTHER_MODEL_HINT = "Use an adapter trained for the active base model (`burrow models list` shows which one that is), or switch the model first.";
const NOT_ADAPTER_HINT = "`burrow adapters add` takes a GGUF LoRA adapter, e.g. one made by llama.cpp's convert_lora_to_gguf.py.";
const DAMAGED_HINT = "Copy or download the adapter again (an interrupted copy is the usual cause).";

export interface InspectAdapterOptions {
  /** Compute the file's SHA-256 (reads the whole file). Default true. */
  readonly hash?: boolean;
}

export async function inspectLoraAdapter(path: string, base: ModelFileInfo, options: InspectAdapterOptions = {}): Promise<LoraAdapterInfo> {
  const fail = (message: string, hint = OTHER_MODEL_HINT, cause?: unknown): never => {
    throw new AdapterFileError(path, message, { hint, cause });
  };

  const { sizeBytes, info, tensors } = await readGgufStructure(path, "Adapter", "a GGUF file").catch((error: unknown) => {
    if (!(error instanceof GgufStructureError)) throw error;
    const { kind, message, cause } = error.problem;
    return fail(message, kind === "damaged" ? DAMAGED_HINT : NOT_ADAPTER_HINT, cause);
  });

  const meta = (key: string): unknown => metadataValue(info, key);
  const generalType = meta("general.type");
  if (generalType !== "adapter") {
    fail(generalType === undefined
      ? `${path} is not a LoRA adapter: it has no general.type (a model file, or an adapter from an old converter).`
      : `${path} is not a LoRA adapter: its general.type is "${String(generalType)}", not "adapter".`, NOT_ADAPTER_HINT);
  }
  const adapterType = meta("adapter.type");
  if (adapterType !== "lora") fail(`${path} is a "${String(adapterType)}" adapter; Burrow loads LoRA adapters (adapter.type "lora").`, NOT_ADAPTER_HINT);
  const architecture = meta("general.architecture");
  if (typeof architecture !== "string" || architecture === "") fail(`${path} does not say which model architecture it is for (general.architecture).`, NOT_ADAPTER_HINT);
  if (architecture !== base.architecture) {
    fail(`${path} is an adapter for the ${String(architecture)} architecture, but the base model ${base.name ?? base.path} is ${base.architecture}: this adapter was trained for another model.`);
  }
  const alphaValue = meta("adapter.lora.alpha");
  const alpha = typeof alphaValue === "number" ? alphaValue : undefined;

  const baseTensors = new Map((base.ggufInfo.fullTensorInfo ?? base.ggufInfo.tensorInfo ?? []).map((tensor) => [tensor.name, tensor]));
  const pairs = new Map<string, { a?: GgufTensorInfo; b?: GgufTensorInfo }>();
  for (const tensor of tensors) {
    const match = /^(.+)\.lora_(a|b)$/.exec(tensor.name);
    if (!match) fail(`${path} holds the tensor ${tensor.name}, which is not a LoRA A/B tensor (<name>.lora_a / <name>.lora_b).`, NOT_ADAPTER_HINT);
    const [, baseName, part] = match as RegExpExecArray & [string, string, "a" | "b"];
    const pair = pairs.get(baseName) ?? {};
    pair[part] = tensor;
    pairs.set(baseName, pair);
  }
  if (pairs.size === 0) fail(`${path} holds no LoRA tensors.`, NOT_ADAPTER_HINT);

  let rank = 0;
  for (const [name, { a, b }] of pairs) {
    if (!a || !b) fail(`${path} is incomplete: ${name} has a lora_${a ? "a" : "b"} tensor but no lora_${a ? "b" : "a"}.`, DAMAGED_HINT);
    const lora = { a: dims(a!), b: dims(b!) };
    if (lora.a.length !== 2 || lora.b.length !== 2) fail(`${name}.lora_a/.lora_b must be matrices, but they are ${shapeText(lora.a)} and ${shapeText(lora.b)}.`, NOT_ADAPTER_HINT);
    const baseTensor = baseTensors.get(name);
    if (!baseTensor) fail(`${name}.lora_a adapts ${name}, which does not exist in the base model ${base.name ?? base.path}: this adapter was trained for another model.`);
    const model = dims(baseTensor!);
    const [a0, a1] = lora.a as [number, number];
    const [b0, b1] = lora.b as [number, number];
    const [m0, m1] = [model[0] ?? 0, model[1] ?? 1];
    const sizes = `(lora_a ${shapeText(lora.a)}, lora_b ${shapeText(lora.b)}, base tensor ${shapeText(model)}, in ggml order)`;
    if (name === "token_embd.weight") {
      // llama.cpp's transposed exception: the embedding lookup uses B's rows and A's columns.
      if (m0 !== b1 || m1 !== a1) fail(`${name}.lora_a/.lora_b do not fit the base model's ${name} ${sizes}: this adapter was trained for another model.`);
      rank = Math.max(rank, a0);
      continue;
    }
    if (a0 !== m0) fail(`${name}.lora_a takes ${a0} inputs but the base model's ${name} takes ${m0} ${sizes}: this adapter was trained for another model.`);
    if (b1 !== m1) fail(`${name}.lora_b gives ${b1} outputs but the base model's ${name} has ${m1} ${sizes}: this adapter was trained for another model.`);
    if (a1 !== b0) fail(`${name}.lora_a has rank ${a1} but ${name}.lora_b has rank ${b0} ${sizes}: the pair does not fit together (is lora_a transposed?).`, NOT_ADAPTER_HINT);
    rank = Math.max(rank, a1);
  }

  const name = meta("general.name");
  return {
    path,
    sizeBytes,
    sha256: options.hash === false ? undefined : await fileSha256(path),
    architecture: architecture as string,
    name: typeof name === "string" ? name : undefined,
    alpha,
    rank,
    baseTensors: [...pairs.keys()],
  };
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function dims(tensor: GgufTensorInfo): number[] {
  return tensor.dimensions.map(Number);
}

function shapeText(shape: readonly number[]): string {
  return shape.join("×");
}

/** Reads a dotted key ("adapter.lora.alpha") from node-llama-cpp's nested metadata object. */
