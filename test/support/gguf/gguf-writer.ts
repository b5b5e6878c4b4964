// Writes a GGUF v3 file: header, metadata, tensor infos, then each tensor's data at an aligned offset.
// Tensor data is produced and written one tensor at a time, so a several-hundred-MB model never has to
// exist in memory as a whole.
import { open, rm, type FileHandle } from "node:fs/promises";
import {
  GgufValueType,
  type GgufIntegerType,
  type GgufMetadataEntry,
  type GgufMetadataValue,
  type GgufTensorDescriptor,
} from "./gguf-types.js";
import { tensorByteLength } from "./tensor-encoding.js";

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
export const DEFAULT_ALIGNMENT = 32;

export interface GgufFileContent {
  readonly metadata: readonly GgufMetadataEntry[];
  readonly tensors: readonly GgufTensorDescriptor[];
  /** Data alignment in bytes; also recorded as `general.alignment`. Default 32 (ggml's default). */
  readonly alignment?: number;
}

export interface GgufWriteResult {
  readonly path: string;
  /** Total file size. */
  readonly bytes: number;
  /** Where the tensor data section starts; tensor offsets are relative to it. */
  readonly dataOffset: number;
}

export async function writeGgufFile(path: string, content: GgufFileContent): Promise<GgufWriteResult> {
  const alignment = content.alignment ?? DEFAULT_ALIGNMENT;
  // ggml rejects files whose general.alignment is not a power of two.
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new Error(`GGUF alignment must be a power of two, got ${alignment}`);
  }
  const metadata = withAlignmentKey(content.metadata, alignment);
  const layout = layoutTensors(content.tensors, alignment);

  const header = new ByteSink();
  header.u32(GGUF_MAGIC).u32(GGUF_VERSION).u64(content.tensors.length).u64(metadata.length);
  for (const entry of metadata) {
    header.string(entry.key);
    writeValue(header, entry.value, entry.key);
  }
  layout.forEach(({ tensor, offset }) => {
    header.string(tensor.name).u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type).u64(offset);
  });
  const headerBytes = header.toBytes();
  const dataOffset = alignUp(headerBytes.length, alignment);

  const file = await open(path, "w");
  try {
    await writeAll(file, headerBytes);
    await writeAll(file, new Uint8Array(dataOffset - headerBytes.length));
    let written = 0;
    for (const { tensor, offset, byteLength } of layout) {
      await writeAll(file, new Uint8Array(offset - written)); // padding after the previous tensor
      const bytes = await tensor.data();
      if (bytes.byteLength !== byteLength) {
        throw new Error(`${tensor.name}: data is ${bytes.byteLength} bytes, dims/type need ${byteLength}`);
      }
      await writeAll(file, bytes);
      written = offset + byteLength;
    }
    // Like ggml's own writer, pad the last tensor too.
    const dataEnd = alignUp(written, alignment);
    await writeAll(file, new Uint8Array(dataEnd - written));
    await file.close();
    return { path, bytes: dataOffset + dataEnd, dataOffset };
  } catch (error) {
    // A truncated GGUF can abort llama.cpp (GGML_ASSERT) instead of throwing: never leave one behind.
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

/** FileHandle.write may write less than asked; loop until every byte is on disk. */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

export interface TensorPlacement {
  readonly tensor: GgufTensorDescriptor;
  readonly offset: number;
  readonly byteLength: number;
}

/** Offsets must be known before any data is written, because tensor infos precede the data. */
export function layoutTensors(tensors: readonly GgufTensorDescriptor[], alignment = DEFAULT_ALIGNMENT): TensorPlacement[] {
  const names = new Set<string>();
  let offset = 0;
  return tensors.map((tensor) => {
    if (names.has(tensor.name)) throw new Error(`Duplicate tensor name ${tensor.name}`);
    names.add(tensor.name);
    if (tensor.dims.length === 0 || tensor.dims.length > 4 || tensor.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`${tensor.name}: dims must be 1-4 positive integers, got [${tensor.dims.join(", ")}]`);
    }
    const placement = { tensor, offset, byteLength: tensorByteLength(tensor.type, tensor.dims) };
    offset = alignUp(offset + placement.byteLength, alignment);
    return placement;
  });
}

function withAlignmentKey(metadata: readonly GgufMetadataEntry[], alignment: number): GgufMetadataEntry[] {
  const keys = new Set<string>();
  for (const { key } of metadata) {
    if (keys.has(key)) throw new Error(`Duplicate metadata key ${key}`);
    keys.add(key);
  }
  const existing = metadata.find((entry) => entry.key === "general.alignment");
  if (existing === undefined) {
    return [...metadata, { key: "general.alignment", value: { type: GgufValueType.Uint32, value: alignment } }];
  }
  if (existing.value.type !== GgufValueType.Uint32 || existing.value.value !== alignment) {
    throw new Error(`general.alignment in metadata disagrees with the writer's alignment ${alignment}`);
  }
  return [...metadata];
}

function writeValue(sink: ByteSink, value: GgufMetadataValue, key: string): void {
  sink.u32(value.type);
  if (value.type === GgufValueType.Array) {
    sink.u32(value.itemType).u64(value.items.length);
    for (const item of value.items) writeScalar(sink, value.itemType, item, key);
  } else {
    writeScalar(sink, value.type, value.value, key);
  }
}

function writeScalar(sink: ByteSink, type: GgufValueType, item: number | bigint | boolean | string, key: string): void {
  const mismatch = (): Error => new Error(`Metadata ${key}: value ${String(item)} does not fit GGUF type ${GgufValueType[type]}`);
  switch (type) {
    case GgufValueType.String:
      if (typeof item !== "string") throw mismatch();
      sink.string(item);
      return;
    case GgufValueType.Bool:
      if (typeof item !== "boolean") throw mismatch();
      sink.u8(item ? 1 : 0);
      return;
    case GgufValueType.Uint64:
    case GgufValueType.Int64:
      if (typeof item !== "number" && typeof item !== "bigint") throw mismatch();
      if (type === GgufValueType.Uint64) sink.u64(item);
      else sink.i64(item);
      return;
    case GgufValueType.Float32:
    case GgufValueType.Float64:
      if (typeof item !== "number") throw mismatch();
      if (type === GgufValueType.Float32) sink.f32(item);
      else sink.f64(item);
      return;
    case GgufValueType.Array:
      throw new Error(`Metadata ${key}: GGUF arrays cannot be nested`);
    default: {
      const range = INTEGER_RANGES[type];
      if (typeof item !== "number" || !Number.isInteger(item) || item < range[0] || item > range[1]) throw mismatch();
      INTEGER_WRITERS[type](sink, item);
    }
  }
}

// DataView silently wraps out-of-range integers; a wrapped token id or length would corrupt the model.
const INTEGER_RANGES: Readonly<Record<GgufIntegerType, readonly [number, number]>> = {
  [GgufValueType.Uint8]: [0, 0xff],
  [GgufValueType.Int8]: [-0x80, 0x7f],
  [GgufValueType.Uint16]: [0, 0xffff],
  [GgufValueType.Int16]: [-0x8000, 0x7fff],
  [GgufValueType.Uint32]: [0, 0xffffffff],
  [GgufValueType.Int32]: [-0x80000000, 0x7fffffff],
};

const INTEGER_WRITERS: Readonly<Record<GgufIntegerType, (sink: ByteSink, value: number) => void>> = {
  [GgufValueType.Uint8]: (sink, v) => sink.u8(v),
  [GgufValueType.Int8]: (sink, v) => sink.i8(v),
  [GgufValueType.Uint16]: (sink, v) => sink.u16(v),
  [GgufValueType.Int16]: (sink, v) => sink.i16(v),
  [GgufValueType.Uint32]: (sink, v) => sink.u32(v),
  [GgufValueType.Int32]: (sink, v) => sink.i32(v),
};

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Little-endian byte builder for the header (metadata can hold large token arrays, so it grows in chunks). */
class ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private current = new DataView(new ArrayBuffer(64 * 1024));
  private used = 0;
  private readonly encoder = new TextEncoder();

  u8(v: number): this { this.room(1).setUint8(this.advance(1), v); return this; }
  i8(v: number): this { this.room(1).setInt8(this.advance(1), v); return this; }
  u16(v: number): this { this.room(2).setUint16(this.advance(2), v, true); return this; }
  i16(v: number): this { this.room(2).setInt16(this.advance(2), v, true); return this; }
  u32(v: number): this { this.room(4).setUint32(this.advance(4), v, true); return this; }
  i32(v: number): this { this.room(4).setInt32(this.advance(4), v, true); return this; }
  f32(v: number): this { this.room(4).setFloat32(this.advance(4), v, true); return this; }
  f64(v: number): this { this.room(8).setFloat64(this.advance(8), v, true); return this; }
  u64(v: number | bigint): this { this.room(8).setBigUint64(this.advance(8), BigInt(v), true); return this; }
  i64(v: number | bigint): this { this.room(8).setBigInt64(this.advance(8), BigInt(v), true); return this; }

  /** GGUF strings: u64 byte length, then UTF-8 bytes, no terminator. */
  string(text: string): this {
    const bytes = this.encoder.encode(text);
    this.u64(bytes.length);
    this.bytes(bytes);
    return this;
  }

  bytes(data: Uint8Array): this {
    if (data.length > this.current.byteLength - this.used) {
      this.flush();
      if (data.length > this.current.byteLength) {
        this.chunks.push(data.slice());
        return this;
      }
    }
    new Uint8Array(this.current.buffer).set(data, this.used);
    this.used += data.length;
    return this;
  }

  toBytes(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private room(size: number): DataView {
    if (this.used + size > this.current.byteLength) this.flush();
    return this.current;
  }

  private advance(size: number): number {
    const at = this.used;
    this.used += size;
    return at;
  }

  private flush(): void {
    if (this.used > 0) this.chunks.push(new Uint8Array(this.current.buffer, 0, this.used).slice());
    this.current = new DataView(new ArrayBuffer(this.current.byteLength));
    this.used = 0;
  }
}
