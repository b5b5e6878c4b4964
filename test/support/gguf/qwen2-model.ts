// Assembles a llama.cpp "qwen2" model: the metadata keys llama.cpp needs (or misbehaves without) and
// the tensor list, with weights supplied by the caller per tensor slot.
import { GgmlType, gguf, metadataEntries, type GgufMetadataEntry, type GgufTensorDescriptor } from "./gguf-types.js";
import { END_OF_TEXT, IM_END, type BpeVocabulary } from "./bpe-tokenizer.js";
import { encodeTensor } from "./tensor-encoding.js";

export interface Qwen2Shape {
  readonly layers: number;
  /** Hidden size E. */
  readonly embedding: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly contextLength: number;
  /** Default 1e6 (Qwen2.5). */
  readonly ropeFreqBase?: number;
  /** Default 1e-6 (Qwen2.5). */
  readonly rmsEpsilon?: number;
}

export type Qwen2TensorRole =
  | "token_embd"
  | "output_norm"
  | "output"
  | "attn_norm"
  | "attn_q"
  | "attn_k"
  | "attn_v"
  | "attn_q.bias"
  | "attn_k.bias"
  | "attn_v.bias"
  | "attn_output"
  | "ffn_norm"
  | "ffn_gate"
  | "ffn_up"
  | "ffn_down";

/** One tensor position in the model; `dims` in ggml order (input size first for matrices). */
export interface Qwen2TensorSlot {
  readonly name: string;
  readonly role: Qwen2TensorRole;
  /** Block index for per-layer tensors. */
  readonly layer: number | undefined;
  readonly dims: readonly number[];
  /** Norm weights and biases: llama.cpp adds/multiplies them in F32, so they must stay F32. */
  readonly isVector: boolean;
}

/** Encoded content for one slot. `data` is lazy so big models can be streamed. */
export interface TensorContent {
  readonly type: GgmlType;
  readonly data: () => Uint8Array | Promise<Uint8Array>;
}

export type Qwen2WeightProvider = (slot: Qwen2TensorSlot) => TensorContent;

export interface Qwen2ModelSpec {
  readonly name: string;
  readonly shape: Qwen2Shape;
  readonly vocabulary: BpeVocabulary;
  readonly weights: Qwen2WeightProvider;
  /** Write a separate `output.weight` (otherwise llama.cpp ties the output to the embedding). */
  readonly outputTensor: boolean;
  /** Qwen2 has q/k/v biases; llama.cpp treats them as optional. */
  readonly qkvBias: boolean;
  readonly chatTemplate?: string;
}

export interface GgufModelContent {
  readonly metadata: GgufMetadataEntry[];
  readonly tensors: GgufTensorDescriptor[];
}

/**
 * Minimal ChatML template (Qwen's, without the tools part). Tests pass QwenChatWrapper explicitly;
 * this only matters for tools that render the template themselves.
 */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}" +
  "{%- if loop.first and message['role'] != 'system' %}" +
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}" +
  "{%- endif %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

export function headDimension(shape: Qwen2Shape): number {
  return shape.embedding / shape.heads;
}

/** K/V projection width (grouped-query attention). */
export function kvEmbedding(shape: Qwen2Shape): number {
  return headDimension(shape) * shape.kvHeads;
}

export function validateQwen2Shape(shape: Qwen2Shape): void {
  const positive = ["layers", "embedding", "heads", "kvHeads", "feedForward", "contextLength"] as const;
  for (const key of positive) {
    if (!Number.isInteger(shape[key]) || shape[key] <= 0) throw new Error(`Qwen2 shape: ${key} must be a positive integer`);
  }
  if (shape.embedding % shape.heads !== 0) throw new Error("Qwen2 shape: embedding must be divisible by heads");
  if (shape.heads % shape.kvHeads !== 0) throw new Error("Qwen2 shape: heads must be divisible by kvHeads");
  if (headDimension(shape) % 2 !== 0) throw new Error("Qwen2 shape: head dimension must be even for RoPE");
}

export function qwen2TensorSlots(
  shape: Qwen2Shape,
  vocabSize: number,
  options: { readonly outputTensor: boolean; readonly qkvBias: boolean },
): Qwen2TensorSlot[] {
  validateQwen2Shape(shape);
  const e = shape.embedding;
  const kv = kvEmbedding(shape);
  const ff = shape.feedForward;
  const slot = (role: Qwen2TensorRole, dims: number[], layer?: number): Qwen2TensorSlot => ({
    name: layer === undefined ? `${role}.weight` : role.endsWith(".bias") ? `blk.${layer}.${role}` : `blk.${layer}.${role}.weight`,
    role,
    layer,
    dims,
    isVector: dims.length === 1,
  });
  const slots = [slot("token_embd", [e, vocabSize]), slot("output_norm", [e])];
  if (options.outputTensor) slots.push(slot("output", [e, vocabSize]));
  for (let layer = 0; layer < shape.layers; layer++) {
    slots.push(slot("attn_norm", [e], layer), slot("attn_q", [e, e], layer), slot("attn_k", [e, kv], layer), slot("attn_v", [e, kv], layer));
    if (options.qkvBias) slots.push(slot("attn_q.bias", [e], layer), slot("attn_k.bias", [kv], layer), slot("attn_v.bias", [kv], layer));
    slots.push(
      slot("attn_output", [e, e], layer),
      slot("ffn_norm", [e], layer),
      slot("ffn_gate", [e, ff], layer),
      slot("ffn_up", [e, ff], layer),
      slot("ffn_down", [ff, e], layer),
    );
  }
  return slots;
}

export function qwen2Metadata(spec: Pick<Qwen2ModelSpec, "name" | "shape" | "vocabulary" | "chatTemplate">): GgufMetadataEntry[] {
  const { shape, vocabulary } = spec;
  const endOfText = vocabulary.idOf(END_OF_TEXT);
  return metadataEntries([
    ["general.architecture", gguf.str("qwen2")],
    ["general.name", gguf.str(spec.name)],
    // A missing feed_forward_length or head_count aborts llama.cpp (GGML_ASSERT), so all are always written.
    ["qwen2.context_length", gguf.u32(shape.contextLength)],
    ["qwen2.embedding_length", gguf.u32(shape.embedding)],
    ["qwen2.block_count", gguf.u32(shape.layers)],
    ["qwen2.feed_forward_length", gguf.u32(shape.feedForward)],
    ["qwen2.attention.head_count", gguf.u32(shape.heads)],
    ["qwen2.attention.head_count_kv", gguf.u32(shape.kvHeads)],
    ["qwen2.attention.layer_norm_rms_epsilon", gguf.f32(shape.rmsEpsilon ?? 1e-6)],
    ["qwen2.rope.freq_base", gguf.f32(shape.ropeFreqBase ?? 1_000_000)],
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    // Without "qwen2" llama.cpp falls back to the default pre-tokenizer and warns.
    ["tokenizer.ggml.pre", gguf.str("qwen2")],
    ["tokenizer.ggml.tokens", gguf.strArray(vocabulary.tokens)],
    ["tokenizer.ggml.token_type", gguf.i32Array(vocabulary.tokenTypes)],
    ["tokenizer.ggml.merges", gguf.strArray(vocabulary.merges)],
    // Qwen instruct models end a turn with <|im_end|>; that is what generation must stop on.
    ["tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.idOf(IM_END))],
    ["tokenizer.ggml.padding_token_id", gguf.u32(endOfText)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(endOfText)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(false)],
    ["tokenizer.chat_template", gguf.str(spec.chatTemplate ?? CHATML_TEMPLATE)],
  ]);
}

export function buildQwen2Model(spec: Qwen2ModelSpec): GgufModelContent {
  const slots = qwen2TensorSlots(spec.shape, spec.vocabulary.tokens.length, spec);
  const tensors = slots.map((slot): GgufTensorDescriptor => {
    const content = spec.weights(slot);
    if (slot.isVector && content.type !== GgmlType.F32) throw new Error(`${slot.name}: norms and biases must be F32`);
    return { name: slot.name, dims: slot.dims, type: content.type, data: content.data };
  });
  return { metadata: qwen2Metadata(spec), tensors };
}

/** Wraps plain values as lazily encoded content of the given type. */
export function tensorFromValues(slot: Qwen2TensorSlot, type: GgmlType, values: () => Float32Array): TensorContent {
  return { type, data: () => encodeTensor(values(), type, slot.dims, slot.name) };
}

/** Norms and biases stay F32 whatever precision the matrices use. */
export function slotType(slot: Qwen2TensorSlot, matrixType: GgmlType): GgmlType {
  return slot.isVector ? GgmlType.F32 : matrixType;
}
