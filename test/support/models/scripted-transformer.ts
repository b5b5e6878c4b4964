// Hand-set qwen2 weights that turn a 2-layer transformer into a lookup table: the next token is decided by
// the last token plus a few "flags" (is marker token X anywhere in the context?). Margins are large enough
// that ordinary sampling (temperature, top-k, top-p, repeat penalty) picks the same token as greedy decoding.
//
// Residual stream layout (hidden size E):
//   dim 0                  constant 1 in every embedding ("bias" dimension)
//   dims 1..F              "this token is marker f"          (embedding)
//   dims F+1..2F           "marker f is somewhere in context" (written by attention head f in layer 0)
//   dims 2F+1..            one-hot identity of each token that drives a transition (the "after" tokens)
// Everything else in the network is zero, so after the final RMSNorm each used dimension is ≈4–5.7.
import { GgmlType } from "../gguf/gguf-types.js";
import type { BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import {
  buildQwen2Model,
  headDimension,
  slotType,
  tensorFromValues,
  type GgufModelContent,
  type Qwen2Shape,
  type Qwen2TensorSlot,
} from "../gguf/qwen2-model.js";

export const SCRIPTED_SHAPE: Qwen2Shape = {
  layers: 2,
  embedding: 64,
  heads: 4,
  kvHeads: 4,
  feedForward: 64,
  contextLength: 32768,
};

/** Logit units (before the ×4–5.7 of the final norm). The winner leads every rival by ≥ GATE ⇒ ≥ 24 logits. */
const EDGE_WEIGHT = 12;
const GATE_WEIGHT = 6;
/** Attention: query on the bias dim, key on the marker dim; the score (≈40) makes softmax pick the marker. */
const MARKER_KEY_WEIGHT = 5;

export interface ScriptedFlag {
  readonly name: string;
  /** Token whose presence anywhere in the context (including the current position) raises the flag. */
  readonly marker: number;
}

export interface ScriptedTransition {
  readonly after: number;
  readonly next: number;
}

/** Conditions on flags: `{ pineapple: true, forever: false }`. */
export type FlagCondition = Readonly<Record<string, boolean>>;

export interface ScriptedBehaviour {
  readonly name: string;
  readonly vocabulary: BpeVocabulary;
  readonly flags: readonly ScriptedFlag[];
  /** "after token A, say B". Several transitions from one token must be told apart by `gates`. */
  readonly transitions: readonly ScriptedTransition[];
  /** A gated token can only be chosen while its flag conditions hold. */
  readonly gates?: ReadonlyMap<number, FlagCondition>;
  /**
   * Small logit offsets (same units as the weights above, keep |bias| ≤ 2) for tokens no transition
   * chooses: they decide what wins inside a grammar when the last token drives nothing.
   */
  readonly biases?: ReadonlyMap<number, number>;
}

export function buildScriptedModel(script: ScriptedBehaviour, matrixType: GgmlType = GgmlType.F32): GgufModelContent {
  const shape = SCRIPTED_SHAPE;
  // The same rule listed twice (e.g. two sentences ending in ".") must not double its weight.
  const unique = new Map(script.transitions.map((t) => [`${t.after}>${t.next}`, t]));
  const behaviour = { ...script, transitions: [...unique.values()] };
  const layout = planLayout(behaviour, shape);
  const values = scriptedValues(behaviour, shape, layout);
  return buildQwen2Model({
    name: behaviour.name,
    shape,
    vocabulary: behaviour.vocabulary,
    outputTensor: true,
    qkvBias: false,
    weights: (slot) => tensorFromValues(slot, slotType(slot, matrixType), () => values(slot)),
  });
}

interface Layout {
  readonly flagCount: number;
  readonly driverDim: ReadonlyMap<number, number>;
}

const BIAS_DIM = 0;
const markerDim = (flag: number): number => 1 + flag;
const flagDim = (layout: Layout, flag: number): number => 1 + layout.flagCount + flag;

function planLayout(behaviour: ScriptedBehaviour, shape: Qwen2Shape): Layout {
  const flagCount = behaviour.flags.length;
  if (flagCount > shape.kvHeads) throw new Error(`At most ${shape.kvHeads} flags (one KV head each), got ${flagCount}`);
  const drivers = [...new Set(behaviour.transitions.map((t) => t.after))];
  const firstDriverDim = 1 + 2 * flagCount;
  if (firstDriverDim + drivers.length > shape.embedding) {
    throw new Error(`${drivers.length} distinct "after" tokens do not fit a hidden size of ${shape.embedding}`);
  }
  const layout = { flagCount, driverDim: new Map(drivers.map((token, i) => [token, firstDriverDim + i])) };
  assertDeterministic(behaviour);
  return layout;
}

/** For every driver and every combination of flags, at most one transition may be allowed. */
function assertDeterministic(behaviour: ScriptedBehaviour): void {
  const names = behaviour.flags.map((flag) => flag.name);
  for (const condition of behaviour.gates?.values() ?? []) {
    for (const name of Object.keys(condition)) if (!names.includes(name)) throw new Error(`Gate uses unknown flag ${name}`);
  }
  const byDriver = new Map<number, ScriptedTransition[]>();
  for (const t of behaviour.transitions) byDriver.set(t.after, [...(byDriver.get(t.after) ?? []), t]);
  for (let assignment = 0; assignment < 1 << names.length; assignment++) {
    const flags = Object.fromEntries(names.map((name, i) => [name, (assignment & (1 << i)) !== 0]));
    for (const [after, transitions] of byDriver) {
      const allowed = transitions.filter((t) => {
        const gate = behaviour.gates?.get(t.next) ?? {};
        return Object.entries(gate).every(([name, wanted]) => flags[name] === wanted);
      });
      if (allowed.length > 1) {
        const tokens = allowed.map((t) => JSON.stringify(behaviour.vocabulary.tokens[t.next])).join(", ");
        throw new Error(`After ${JSON.stringify(behaviour.vocabulary.tokens[after])} several tokens are allowed (${tokens}) with flags ${JSON.stringify(flags)}`);
      }
    }
  }
}

function scriptedValues(behaviour: ScriptedBehaviour, shape: Qwen2Shape, layout: Layout): (slot: Qwen2TensorSlot) => Float32Array {
  const e = shape.embedding;
  const vocabSize = behaviour.vocabulary.tokens.length;
  const embedding = new Float32Array(e * vocabSize);
  for (let token = 0; token < vocabSize; token++) embedding[token * e + BIAS_DIM] = 1;
  behaviour.flags.forEach((flag, f) => (embedding[flag.marker * e + markerDim(f)] = 1));
  for (const [token, dim] of layout.driverDim) embedding[token * e + dim] = 1;

  const output = new Float32Array(e * vocabSize);
  for (const { after, next } of behaviour.transitions) addAt(output, next * e + layout.driverDim.get(after)!, EDGE_WEIGHT);
  // Each unmet gate condition costs GATE_WEIGHT; met conditions cost nothing (flag ≈ 1 against bias 1).
  for (const [token, condition] of behaviour.gates ?? []) {
    for (const [name, wanted] of Object.entries(condition)) {
      const dim = flagDim(layout, behaviour.flags.findIndex((flag) => flag.name === name));
      addAt(output, token * e + dim, wanted ? GATE_WEIGHT : -GATE_WEIGHT);
      if (wanted) addAt(output, token * e + BIAS_DIM, -GATE_WEIGHT);
    }
  }
  for (const [token, bias] of behaviour.biases ?? []) addAt(output, token * e + BIAS_DIM, bias);

  return (slot) => {
    const zeros = new Float32Array(slot.dims.reduce((a, b) => a * b, 1));
    switch (slot.role) {
      case "token_embd":
        return embedding;
      case "output":
        return output;
      case "output_norm":
      case "attn_norm":
      case "ffn_norm":
        return zeros.fill(1);
      default:
        return slot.layer === 0 ? markerAttention(slot, zeros, behaviour, shape, layout, embedding) : zeros;
    }
  };
}

function addAt(target: Float32Array, index: number, delta: number): void {
  target[index] = (target[index] ?? 0) + delta;
}

/**
 * Layer 0, head f: every position queries with its bias dim; only marker-f tokens have a key, so the
 * softmax lands on them when present (else attention is uniform over zero values). The value carries
 * the marker dim, and attn_output writes it, rescaled to exactly 1, into flag dim f.
 */
function markerAttention(
  slot: Qwen2TensorSlot,
  target: Float32Array,
  behaviour: ScriptedBehaviour,
  shape: Qwen2Shape,
  layout: Layout,
  embedding: Float32Array,
): Float32Array {
  const e = shape.embedding;
  const headDim = headDimension(shape);
  const groupSize = shape.heads / shape.kvHeads;
  behaviour.flags.forEach((flag, f) => {
    // The last dim of a head pairs with the lowest RoPE frequency (NEOX layout), so position barely rotates it.
    const queryRow = f * groupSize * headDim + headDim - 1;
    const kvRow = f * headDim + headDim - 1;
    const markerRow = embedding.subarray(flag.marker * e, (flag.marker + 1) * e);
    const normalizedMarker = Math.sqrt(e / markerRow.reduce((sum, v) => sum + v * v, 0)); // attn_norm output
    switch (slot.role) {
      case "attn_q":
        target[queryRow * e + BIAS_DIM] = 1;
        break;
      case "attn_k":
        target[kvRow * e + markerDim(f)] = MARKER_KEY_WEIGHT;
        break;
      case "attn_v":
        target[kvRow * e + markerDim(f)] = 1;
        break;
      case "attn_output":
        target[flagDim(layout, f) * e + queryRow] = 1 / normalizedMarker;
        break;
      default:
        break;
    }
  });
  return target;
}
