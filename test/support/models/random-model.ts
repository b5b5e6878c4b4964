// A tiny random-weight qwen2 model: loads in milliseconds and generates plausible-looking noise.
// Use it where a test needs *a* model, not particular words.
import { GGML_TYPE_OF_DTYPE, TokenType, type WeightDtype } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, isUnprintableByteToken, toByteLevel, type BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import { buildQwen2Model, slotType, tensorFromValues, type GgufModelContent, type Qwen2Shape, type Qwen2TensorSlot } from "../gguf/qwen2-model.js";
import { createRng, deriveSeed } from "../gguf/rng.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

export const RANDOM_TINY_SHAPE: Qwen2Shape = {
  layers: 2,
  embedding: 64,
  heads: 4,
  kvHeads: 2,
  feedForward: 128,
  contextLength: 4096,
};

export interface RandomTinyModelOptions {
  /**
   * Output logit offset for control tokens (<|im_end|>, <|endoftext|>, <|im_start|>), in units of the
   * residual "bias" dimension (roughly ×8 in logits). Default -3: rarely stops; -40: never stops on its own.
   */
  readonly eogBias?: number;
  /** Offset for the user-defined tokens such as <tool_call>. Default -3. */
  readonly userDefinedBias?: number;
  /** Matrix precision. Default "f32". */
  readonly dtype?: WeightDtype;
  readonly seed?: number;
}

export interface RandomTinyModelInfo extends ModelFileInfo {
  readonly shape: Qwen2Shape;
}

// Residual dimension 0 is a constant 1 in every token embedding; output weights on it act as a per-token bias.
const BIAS_DIM = 0;

export async function writeRandomTinyModel(path: string, options: RandomTinyModelOptions = {}): Promise<RandomTinyModelInfo> {
  return { ...(await writeModelFile(path, buildRandomTinyModel(options))), shape: RANDOM_TINY_SHAPE };
}

/** The model's content without writing it, so tests can write broken variants of a valid model. */
export function buildRandomTinyModel(options: RandomTinyModelOptions = {}): GgufModelContent {
  const { eogBias = -3, userDefinedBias = -3, dtype = "f32", seed = 1 } = options;
  const shape = RANDOM_TINY_SHAPE;
  const vocabulary = buildBpeVocabulary();
  const matrixType = GGML_TYPE_OF_DTYPE[dtype];
  const e = shape.embedding;

  const values = (slot: Qwen2TensorSlot): Float32Array => {
    const rng = createRng(deriveSeed(seed, slot.name));
    const count = slot.dims.reduce((a, b) => a * b, 1);
    if (slot.role.endsWith("norm")) return new Float32Array(count).fill(1);
    if (slot.role === "token_embd") {
      const embedding = rng.fillGaussian(new Float32Array(count), 0.02);
      for (let token = 0; token < vocabulary.tokens.length; token++) embedding[token * e + BIAS_DIM] = 1;
      return embedding;
    }
    if (slot.role === "output") {
      const output = rng.fillGaussian(new Float32Array(count), 1);
      for (let token = 0; token < vocabulary.tokens.length; token++) {
        output[token * e + BIAS_DIM] = outputBias(vocabulary, token, eogBias, userDefinedBias);
      }
      return output;
    }
    return rng.fillGaussian(new Float32Array(count), 0.02);
  };

  return buildQwen2Model({
    name: "burrow-test-random-tiny",
    shape,
    vocabulary,
    outputTensor: true,
    qkvBias: true,
    weights: (slot) => tensorFromValues(slot, slotType(slot, matrixType), () => values(slot)),
  });
}

// Letters, space and basic punctuation stay neutral; other printable bytes are mildly discouraged so the
// noise reads like words. Unprintable bytes (half UTF-8 characters) are strongly discouraged: node-llama-cpp
// holds them back waiting for a full character, which would leave the response text empty.
const READABLE_BYTE = new RegExp(`^[A-Za-z.,${toByteLevel(" ")}]$`);

function outputBias(vocabulary: BpeVocabulary, token: number, eogBias: number, userDefinedBias: number): number {
  const type = vocabulary.tokenTypes[token];
  if (type === TokenType.Control) return eogBias;
  if (type === TokenType.UserDefined) return userDefinedBias;
  if (isUnprintableByteToken(token)) return -3;
  if (token < 256 && !READABLE_BYTE.test(vocabulary.tokens[token] ?? "")) return -0.3;
  return 0;
}
