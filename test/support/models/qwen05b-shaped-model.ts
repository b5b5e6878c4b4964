// Random weights in the exact layer shapes of Qwen2.5-0.5B (Q8_0), with the tiny test vocabulary.
// Per-token decode cost matches a real 0.5B model's transformer blocks, so it stands in for speed
// benchmarks. It never ends its turn on its own: decode always runs to maxTokens.
import { GgmlType, TokenType } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, isUnprintableByteToken, type BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import { createQ8_0BlockPool, type Q8_0BlockPool } from "../gguf/q8-block-pool.js";
import { buildQwen2Model, tensorFromValues, type GgufModelContent, type Qwen2Shape, type Qwen2TensorSlot, type TensorContent } from "../gguf/qwen2-model.js";
import { createRng, deriveSeed } from "../gguf/rng.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

export const QWEN05B_SHAPE: Qwen2Shape = {
  layers: 24,
  embedding: 896,
  heads: 14,
  kvHeads: 2,
  feedForward: 4864,
  contextLength: 32768,
  ropeFreqBase: 1_000_000,
  rmsEpsilon: 1e-6,
};

export interface Qwen05bShapedModelOptions {
  readonly seed?: number;
}

export interface Qwen05bShapedModelInfo extends ModelFileInfo {
  readonly shape: Qwen2Shape;
}

const WEIGHT_STD = 0.02;
/**
 * Residual dim 0 is an anchor: 1 in every embedding, and no layer writes to it (row 0 of attn_output and
 * ffn_down is zero). Output rows of suppressed tokens read only this dim with a large negative weight, so
 * their logits sit far below the rest whatever the random layers do. Suppressed: special tokens (so the
 * turn never ends) and unprintable bytes (so node-llama-cpp has text to stream instead of holding back
 * half UTF-8 characters).
 */
const ANCHOR_DIM = 0;
const SUPPRESSED_OUTPUT = -1000;
const NORMAL_OUTPUT_STD = 0.05;

/** Cheap: tensor data is generated only when the writer asks for it. */
export function buildQwen05bShapedModel(options: Qwen05bShapedModelOptions = {}): GgufModelContent {
  const seed = options.seed ?? 1;
  const vocabulary = buildBpeVocabulary();
  let pool: Q8_0BlockPool | undefined; // created on first use so describing the model stays instant
  const weights = (slot: Qwen2TensorSlot): TensorContent => {
    if (slot.isVector) return tensorFromValues(slot, GgmlType.F32, () => vectorValues(slot, seed));
    if (slot.role === "token_embd" || slot.role === "output") {
      return tensorFromValues(slot, GgmlType.Q8_0, () => vocabularyMatrix(slot, vocabulary, seed));
    }
    return {
      type: GgmlType.Q8_0,
      data: () => {
        pool ??= createQ8_0BlockPool(seed, WEIGHT_STD);
        const writesResidual = slot.role === "attn_output" || slot.role === "ffn_down";
        return pool.matrix(slot.dims, deriveSeed(seed, slot.name), writesResidual ? [ANCHOR_DIM] : []);
      },
    };
  };
  return buildQwen2Model({
    name: "burrow-bench-qwen2.5-0.5b-shaped-random",
    shape: QWEN05B_SHAPE,
    vocabulary,
    outputTensor: true, // the real model ties output to the embedding; a separate one carries the anchor weights
    qkvBias: true,
    weights,
  });
}

export async function writeQwen05bShapedModel(path: string, options: Qwen05bShapedModelOptions = {}): Promise<Qwen05bShapedModelInfo> {
  return { ...(await writeModelFile(path, buildQwen05bShapedModel(options))), shape: QWEN05B_SHAPE };
}

function vectorValues(slot: Qwen2TensorSlot, seed: number): Float32Array {
  const values = new Float32Array(slot.dims[0]!);
  if (slot.role.endsWith("norm")) return values.fill(1);
  return createRng(deriveSeed(seed, slot.name)).fillGaussian(values, WEIGHT_STD); // q/k/v biases
}

function vocabularyMatrix(slot: Qwen2TensorSlot, vocabulary: BpeVocabulary, seed: number): Float32Array {
  const e = slot.dims[0]!;
  const rng = createRng(deriveSeed(seed, slot.name));
  const values = rng.fillGaussian(new Float32Array(e * vocabulary.tokens.length), slot.role === "output" ? NORMAL_OUTPUT_STD : WEIGHT_STD);
  vocabulary.tokenTypes.forEach((type, token) => {
    const row = values.subarray(token * e, (token + 1) * e);
    if (slot.role === "token_embd") {
      row[ANCHOR_DIM] = 1;
    } else if (type === TokenType.Normal && !isUnprintableByteToken(token)) {
      row[ANCHOR_DIM] = 0;
    } else {
      row.fill(0);
      row[ANCHOR_DIM] = SUPPRESSED_OUTPUT;
    }
  });
  return values;
}
