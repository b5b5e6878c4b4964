// A tiny LoRA adapter GGUF for a qwen2 test model: the layout llama.cpp's llama_adapter_lora_init reads
// (general.type "adapter", adapter.type "lora", adapter.lora.alpha, one <base>.lora_a / <base>.lora_b pair per
// adapted tensor). Built for a shape, so a variant with other dimensions is one option away.
import { GGML_TYPE_OF_DTYPE, gguf, metadataEntries, type GgufTensorDescriptor, type WeightDtype } from "../gguf/gguf-types.js";
import { writeGgufFile } from "../gguf/gguf-writer.js";
import { qwen2TensorSlots, type Qwen2Shape, type Qwen2TensorRole } from "../gguf/qwen2-model.js";
import { createRng, deriveSeed } from "../gguf/rng.js";
import { encodeTensor } from "../gguf/tensor-encoding.js";

export type LoraTarget = Extract<Qwen2TensorRole, "attn_q" | "attn_k" | "attn_v" | "attn_output" | "ffn_gate" | "ffn_up" | "ffn_down">;

export interface LoraAdapterOptions {
  /** The base model's shape the adapter is for (use another shape to make an adapter for other dimensions). */
  readonly shape: Qwen2Shape;
  /** Default 4. */
  readonly rank?: number;
  /** adapter.lora.alpha; the effective scale is scale·alpha/rank. Default = rank (factor 1). */
  readonly alpha?: number;
  /** Which matrices of every block get an A/B pair. Default attn_q, attn_v, ffn_up, ffn_down. */
  readonly targets?: readonly LoraTarget[];
  /** Standard deviation of A and B entries. Default 0.1: strong enough to move a tiny model's output. */
  readonly std?: number;
  readonly dtype?: Extract<WeightDtype, "f32" | "f16">;
  readonly seed?: number;
  /** Default "qwen2"; another value makes an adapter for another architecture. */
  readonly architecture?: string;
  /** Default "adapter"; "model" makes a file llama.cpp refuses as an adapter. */
  readonly generalType?: string;
}

export interface LoraAdapterFileInfo {
  readonly path: string;
  readonly bytes: number;
  readonly rank: number;
  readonly alpha: number;
  /** The adapted base tensor names, e.g. "blk.0.attn_q.weight". */
  readonly baseTensors: readonly string[];
}

export const DEFAULT_LORA_TARGETS: readonly LoraTarget[] = ["attn_q", "attn_v", "ffn_up", "ffn_down"];

export async function writeLoraAdapter(path: string, options: LoraAdapterOptions): Promise<LoraAdapterFileInfo> {
  const { shape, rank = 4, targets = DEFAULT_LORA_TARGETS, std = 0.1, dtype = "f32", seed = 7 } = options;
  const alpha = options.alpha ?? rank;
  const type = GGML_TYPE_OF_DTYPE[dtype];
  // Vocabulary size only shapes token_embd/output, which are never adapted here.
  const slots = qwen2TensorSlots(shape, 1, { outputTensor: false, qkvBias: false }).filter((slot) => (targets as readonly string[]).includes(slot.role));
  const tensors: GgufTensorDescriptor[] = [];
  for (const slot of slots) {
    const [inputs, outputs] = slot.dims as [number, number];
    // ggml order: lora_a is [n_in, r], lora_b is [r, n_out]; B·A has the base tensor's shape.
    for (const [suffix, dims] of [["lora_a", [inputs, rank]], ["lora_b", [rank, outputs]]] as const) {
      const name = `${slot.name}.${suffix}`;
      tensors.push({
        name,
        dims,
        type,
        data: () => encodeTensor(createRng(deriveSeed(seed, name)).fillGaussian(new Float32Array(dims[0] * dims[1]), std), type, dims, name),
      });
    }
  }
  const metadata = metadataEntries([
    ["general.architecture", gguf.str(options.architecture ?? "qwen2")],
    ["general.type", gguf.str(options.generalType ?? "adapter")],
    ["general.name", gguf.str("burrow-test-lora")],
    ["adapter.type", gguf.str("lora")],
    ["adapter.lora.alpha", gguf.f32(alpha)],
  ]);
  const { bytes } = await writeGgufFile(path, { metadata, tensors });
  return { path, bytes, rank, alpha, baseTensors: slots.map((slot) => slot.name) };
}
