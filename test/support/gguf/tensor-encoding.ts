// Float32 values -> the byte layouts ggml expects for F32, F16 and Q8_0 tensors (little-endian),
// plus decoders so tests can check what a file holds.
import { GgmlType } from "./gguf-types.js";

/** Q8_0 packs 32 values per block: one f16 scale followed by 32 signed bytes. */
export const Q8_0_BLOCK_VALUES = 32;
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK_VALUES;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Bytes a tensor of this type and shape occupies; the writer needs it before any data exists. */
export function tensorByteLength(type: GgmlType, dims: readonly number[]): number {
  const count = elementCount(dims);
  switch (type) {
    case GgmlType.F32:
      return count * 4;
    case GgmlType.F16:
      return count * 2;
    case GgmlType.Q8_0:
      assertQ8_0RowLength(dims);
      return (count / Q8_0_BLOCK_VALUES) * Q8_0_BLOCK_BYTES;
  }
}

/** ggml quantizes row by row, so a Q8_0 block must never straddle two rows. */
export function assertQ8_0RowLength(dims: readonly number[], tensorName = "tensor"): void {
  const rowLength = dims[0] ?? 0;
  if (rowLength <= 0 || rowLength % Q8_0_BLOCK_VALUES !== 0) {
    throw new Error(
      `Q8_0 needs each row length (ne0) to be a positive multiple of ${Q8_0_BLOCK_VALUES}, ` +
        `but ${tensorName} has dims [${dims.join(", ")}] (ne0 = ${rowLength})`,
    );
  }
}

export function encodeTensor(values: Float32Array, type: GgmlType, dims: readonly number[], tensorName = "tensor"): Uint8Array {
  if (values.length !== elementCount(dims)) {
    throw new Error(`${tensorName}: ${values.length} values do not fit dims [${dims.join(", ")}]`);
  }
  switch (type) {
    case GgmlType.F32:
      return encodeF32(values);
    case GgmlType.F16:
      return encodeF16(values);
    case GgmlType.Q8_0:
      assertQ8_0RowLength(dims, tensorName);
      return encodeQ8_0(values);
  }
}

export function encodeF32(values: Float32Array): Uint8Array {
  // Copy rather than view: callers may reuse their array, and the byte order must be little-endian.
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

export function encodeF16(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float32ToFloat16Bits(values[i]!), true);
  return bytes;
}

/** Same arithmetic as ggml's `quantize_row_q8_0_ref`: scale = max|x| / 127, q = round(x / scale). */
export function encodeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK_VALUES !== 0) {
    throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK_VALUES} values, got ${values.length}`);
  }
  const blockCount = values.length / Q8_0_BLOCK_VALUES;
  const bytes = new Uint8Array(blockCount * Q8_0_BLOCK_BYTES);
  const view = new DataView(bytes.buffer);
  for (let block = 0; block < blockCount; block++) {
    const start = block * Q8_0_BLOCK_VALUES;
    let maxAbs = 0;
    for (let j = 0; j < Q8_0_BLOCK_VALUES; j++) maxAbs = Math.max(maxAbs, Math.abs(values[start + j]!));
    const scale = maxAbs / 127;
    const inverse = scale === 0 ? 0 : 1 / scale;
    const out = block * Q8_0_BLOCK_BYTES;
    view.setUint16(out, float32ToFloat16Bits(scale), true);
    for (let j = 0; j < Q8_0_BLOCK_VALUES; j++) view.setInt8(out + 2 + j, roundHalfAwayFromZero(values[start + j]! * inverse));
  }
  return bytes;
}

export function decodeF16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < values.length; i++) values[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
  return values;
}

export function decodeQ8_0(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockCount = bytes.byteLength / Q8_0_BLOCK_BYTES;
  const values = new Float32Array(blockCount * Q8_0_BLOCK_VALUES);
  for (let block = 0; block < blockCount; block++) {
    const at = block * Q8_0_BLOCK_BYTES;
    const scale = float16BitsToFloat32(view.getUint16(at, true));
    for (let j = 0; j < Q8_0_BLOCK_VALUES; j++) values[block * Q8_0_BLOCK_VALUES + j] = scale * view.getInt8(at + 2 + j);
  }
  return values;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE 754 binary32 -> binary16 bits, rounding to nearest even like ggml's hardware conversions. */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf / NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full significand into the 10-bit field.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShiftRightEven(significand, shift);
  }
  // A rounding carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  return sign | ((halfExponent << 10) + roundShiftRightEven(mantissa, 13));
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function roundShiftRightEven(value: number, shift: number): number {
  const kept = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** C's roundf (ggml uses it); Math.round would send -2.5 to -2. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}
