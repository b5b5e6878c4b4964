// Types for the parts of the GGUF v3 format this writer produces.
// Numbering follows ggml's gguf.h / ggml.h so the enums can be written to the file as-is.

/** GGUF metadata value types (`enum gguf_type`). */
export enum GgufValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

/** The GGML tensor types this writer can encode (`enum ggml_type`). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
}

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export enum TokenType {
  Normal = 1,
  Unknown = 2,
  /** Chat-format tokens such as `<|im_end|>`: only parsed from text when special-token parsing is on. */
  Control = 3,
  /** Always matched in text, even with special-token parsing off (e.g. `<tool_call>`). */
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

export type GgufIntegerType =
  | GgufValueType.Uint8
  | GgufValueType.Int8
  | GgufValueType.Uint16
  | GgufValueType.Int16
  | GgufValueType.Uint32
  | GgufValueType.Int32;
export type GgufFloatType = GgufValueType.Float32 | GgufValueType.Float64;
export type GgufBigIntType = GgufValueType.Uint64 | GgufValueType.Int64;
export type GgufNumberType = GgufIntegerType | GgufFloatType;

/** A single (non-array) metadata value, tagged with the type it is written as. */
export type GgufScalarValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: number | bigint }
  | { readonly type: GgufValueType.Bool; readonly value: boolean }
  | { readonly type: GgufValueType.String; readonly value: string };

/** A homogeneous array value; GGUF stores the item type once, then the items. */
export type GgufArrayValue =
  | { readonly type: GgufValueType.Array; readonly itemType: GgufNumberType; readonly items: readonly number[] }
  | { readonly type: GgufValueType.Array; readonly itemType: GgufBigIntType; readonly items: readonly (number | bigint)[] }
  | { readonly type: GgufValueType.Array; readonly itemType: GgufValueType.Bool; readonly items: readonly boolean[] }
  | { readonly type: GgufValueType.Array; readonly itemType: GgufValueType.String; readonly items: readonly string[] };

export type GgufMetadataValue = GgufScalarValue | GgufArrayValue;

export interface GgufMetadataEntry {
  readonly key: string;
  readonly value: GgufMetadataValue;
}

/**
 * A tensor to write. `dims` are in ggml order: `dims[0]` (ne0) is the contiguous row length,
 * so a PyTorch `[out, in]` matrix is `[in, out]` here.
 */
export interface GgufTensorDescriptor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlType;
  /**
   * Produces the encoded bytes. Called once, just before the tensor is written, so a writer can stream
   * a large model one tensor at a time instead of holding every tensor in memory.
   */
  readonly data: () => Uint8Array | Promise<Uint8Array>;
}

/** Small constructors so metadata lists read like `[key, gguf.u32(64)]` rather than nested literals. */
export const gguf = {
  u32: (value: number): GgufScalarValue => ({ type: GgufValueType.Uint32, value }),
  i32: (value: number): GgufScalarValue => ({ type: GgufValueType.Int32, value }),
  u64: (value: number | bigint): GgufScalarValue => ({ type: GgufValueType.Uint64, value }),
  f32: (value: number): GgufScalarValue => ({ type: GgufValueType.Float32, value }),
  f64: (value: number): GgufScalarValue => ({ type: GgufValueType.Float64, value }),
  bool: (value: boolean): GgufScalarValue => ({ type: GgufValueType.Bool, value }),
  str: (value: string): GgufScalarValue => ({ type: GgufValueType.String, value }),
  strArray: (items: readonly string[]): GgufArrayValue => ({ type: GgufValueType.Array, itemType: GgufValueType.String, items }),
  i32Array: (items: readonly number[]): GgufArrayValue => ({ type: GgufValueType.Array, itemType: GgufValueType.Int32, items }),
  f32Array: (items: readonly number[]): GgufArrayValue => ({ type: GgufValueType.Array, itemType: GgufValueType.Float32, items }),
} as const;

/** Convenience: build an entry list from `[key, value]` pairs. */
export function metadataEntries(pairs: ReadonlyArray<readonly [string, GgufMetadataValue]>): GgufMetadataEntry[] {
  return pairs.map(([key, value]) => ({ key, value }));
}

/** Matrix precision as a plain string, for builder options and CLI flags. */
export type WeightDtype = "f32" | "f16" | "q8_0";

export const GGML_TYPE_OF_DTYPE: Readonly<Record<WeightDtype, GgmlType>> = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
};
