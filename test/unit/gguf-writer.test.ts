import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgmlType as LlamaGgmlType, readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import { GgmlType, GgufValueType, TokenType, gguf, metadataEntries, type GgufTensorDescriptor } from "../support/gguf/gguf-types.js";
import { writeGgufFile } from "../support/gguf/gguf-writer.js";
import {
  decodeF16,
  decodeQ8_0,
  encodeF16,
  encodeQ8_0,
  encodeTensor,
  float16BitsToFloat32,
  float32ToFloat16Bits,
} from "../support/gguf/tensor-encoding.js";
import { buildBpeVocabulary, CONTROL_TOKENS, QWEN_USER_DEFINED_TOKENS } from "../support/gguf/bpe-tokenizer.js";
import { createRng } from "../support/gguf/rng.js";
import { writeRandomTinyModel } from "../support/models/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "burrow-gguf-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** readGgufFileInfo nests keys by their dots ("a.b" -> metadata.a.b). */
function metadataValue(info: GgufFileInfo, key: string): unknown {
  return key.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], info.metadata);
}

const fromValues = (name: string, dims: number[], type: GgmlType, values: Float32Array): GgufTensorDescriptor => ({
  name,
  dims,
  type,
  data: () => encodeTensor(values, type, dims, name),
});

describe("writeGgufFile round-trip through node-llama-cpp's reader", () => {
  const rng = createRng(7);
  const f32Values = rng.fillGaussian(new Float32Array(10), 1);
  const f16Values = rng.fillGaussian(new Float32Array(32 * 3), 2);
  const q8Values = rng.fillGaussian(new Float32Array(64 * 2), 0.5);
  const tensors = [
    fromValues("test.f32", [10], GgmlType.F32, f32Values), // 40 bytes: forces padding before the next tensor
    fromValues("test.f16", [32, 3], GgmlType.F16, f16Values),
    fromValues("test.q8_0", [64, 2], GgmlType.Q8_0, q8Values),
  ];
  const metadata = metadataEntries([
    ["general.architecture", gguf.str("qwen2")],
    ["test.u8", { type: GgufValueType.Uint8, value: 200 }],
    ["test.i8", { type: GgufValueType.Int8, value: -100 }],
    ["test.u16", { type: GgufValueType.Uint16, value: 60000 }],
    ["test.i16", { type: GgufValueType.Int16, value: -30000 }],
    ["test.u32", gguf.u32(4_000_000_000)],
    ["test.i32", gguf.i32(-2_000_000_000)],
    ["test.f32", gguf.f32(0.25)],
    ["test.f64", gguf.f64(Math.PI)],
    ["test.bool", gguf.bool(true)],
    ["test.str", gguf.str("héllo ✓")],
    ["test.u64", gguf.u64(2n ** 40n)],
    ["test.i64", { type: GgufValueType.Int64, value: -(2n ** 40n) }],
    ["test.strs", gguf.strArray(["a", "Ġb", "<|im_end|>"])],
    ["test.ints", gguf.i32Array([1, -2, 3])],
    ["test.floats", gguf.f32Array([0.5, -1.5])],
  ]);
  let path: string;
  let info: GgufFileInfo;
  let file: Buffer;
  let bytes: number;

  beforeAll(async () => {
    path = join(dir, "roundtrip.gguf");
    ({ bytes } = await writeGgufFile(path, { metadata, tensors }));
    info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    file = await readFile(path);
  });

  it("writes a v3 file whose reported size matches the file", () => {
    expect(info.version).toBe(3);
    expect(Number(info.tensorCount)).toBe(3);
    expect(file.length).toBe(bytes);
    expect(file.subarray(0, 4).toString("latin1")).toBe("GGUF");
  });

  it("reads every metadata value back as written, plus general.alignment", () => {
    expect(metadataValue(info, "general.architecture")).toBe("qwen2");
    expect(metadataValue(info, "general.alignment")).toBe(32);
    expect(metadataValue(info, "test.u8")).toBe(200);
    expect(metadataValue(info, "test.i8")).toBe(-100);
    expect(metadataValue(info, "test.u16")).toBe(60000);
    expect(metadataValue(info, "test.i16")).toBe(-30000);
    expect(metadataValue(info, "test.u32")).toBe(4_000_000_000);
    expect(metadataValue(info, "test.i32")).toBe(-2_000_000_000);
    expect(metadataValue(info, "test.f32")).toBe(0.25);
    expect(metadataValue(info, "test.f64")).toBe(Math.PI);
    expect(metadataValue(info, "test.bool")).toBe(true);
    expect(metadataValue(info, "test.str")).toBe("héllo ✓");
    expect(BigInt(metadataValue(info, "test.u64") as number | bigint)).toBe(2n ** 40n);
    expect(BigInt(metadataValue(info, "test.i64") as number | bigint)).toBe(-(2n ** 40n));
    expect(metadataValue(info, "test.strs")).toEqual(["a", "Ġb", "<|im_end|>"]);
    expect(metadataValue(info, "test.ints")).toEqual([1, -2, 3]);
    expect(metadataValue(info, "test.floats")).toEqual([0.5, -1.5]);
  });

  it("reads tensor names, dims and types back, with offsets aligned to 32", () => {
    const read = info.tensorInfo ?? [];
    expect(read.map((t) => t.name)).toEqual(["test.f32", "test.f16", "test.q8_0"]);
    expect(read.map((t) => t.dimensions.map(Number))).toEqual([[10], [32, 3], [64, 2]]);
    expect(read.map((t) => t.ggmlType)).toEqual([LlamaGgmlType.F32, LlamaGgmlType.F16, LlamaGgmlType.Q8_0]);
    for (const t of read) {
      expect(Number(t.offset) % 32).toBe(0);
      expect(Number(t.fileOffset) % 32).toBe(0);
    }
    expect(Number(read[1]!.offset)).toBe(64); // 40 bytes of F32 padded up to 64
  });

  it("stores tensor data that decodes back to the written values", () => {
    const read = info.tensorInfo ?? [];
    const at = (i: number, length: number): Uint8Array => {
      const start = Number(read[i]!.fileOffset);
      return new Uint8Array(file.buffer, file.byteOffset + start, length);
    };
    const f32 = new Float32Array(at(0, 40).slice().buffer);
    expect([...f32]).toEqual([...f32Values]);

    const f16 = decodeF16(at(1, 32 * 3 * 2));
    f16.forEach((v, i) => expect(Math.abs(v - f16Values[i]!)).toBeLessThanOrEqual(Math.abs(f16Values[i]!) / 1024 + 1e-7));

    const q8 = decodeQ8_0(at(2, 4 * 34));
    for (let block = 0; block < 4; block++) {
      const slice = q8Values.subarray(block * 32, block * 32 + 32);
      const step = Math.max(...slice.map(Math.abs)) / 127;
      // Half a quantization step, plus the f16 rounding of the scale (≤ 2^-11 relative) times 127.
      slice.forEach((v, j) => expect(Math.abs(q8[block * 32 + j]! - v)).toBeLessThanOrEqual(step * 0.5 + step * 127 * 2 ** -11 + 1e-7));
    }
  });

  it("honours a custom alignment", async () => {
    const custom = join(dir, "align64.gguf");
    await writeGgufFile(custom, { metadata, tensors, alignment: 64 });
    const read = await readGgufFileInfo(custom, { readTensorInfo: true, logWarnings: false });
    expect(metadataValue(read, "general.alignment")).toBe(64);
    for (const t of read.tensorInfo ?? []) expect(Number(t.fileOffset) % 64).toBe(0);
  });
});

describe("tensor encoding", () => {
  it("converts known float32 values to the right float16 bits", () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.1)).toBe(0x2e66);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00); // overflow -> +Inf
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even (down)
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie rounds to even (up)
    expect(float16BitsToFloat32(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it("F16 decodes back within half-precision tolerance", () => {
    const values = new Float32Array([0, 1, -1, 0.5, 3.14159, -1234.5, 1e-5, 60000]);
    const decoded = decodeF16(encodeF16(values));
    values.forEach((v, i) => expect(Math.abs(decoded[i]! - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25)));
  });

  it("Q8_0 writes an f16 scale of max|x|/127 then the rounded int8 values", () => {
    const values = new Float32Array(32);
    values.set([127, -63.5, 0, 1, 2.4]);
    const block = encodeQ8_0(values);
    expect(block.length).toBe(34);
    const view = new DataView(block.buffer);
    expect(view.getUint16(0, true)).toBe(0x3c00); // scale 1.0
    expect([view.getInt8(2), view.getInt8(3), view.getInt8(4), view.getInt8(5), view.getInt8(6)]).toEqual([127, -64, 0, 1, 2]);
    expect([...decodeQ8_0(block).subarray(0, 5)]).toEqual([127, -64, 0, 1, 2]);
  });

  it("Q8_0 encodes an all-zero block with scale 0", () => {
    expect([...encodeQ8_0(new Float32Array(32))].every((b) => b === 0)).toBe(true);
  });

  it("rejects Q8_0 tensors whose row length is not a multiple of 32, with a clear message", async () => {
    const values = new Float32Array(48 * 2);
    expect(() => encodeTensor(values, GgmlType.Q8_0, [48, 2], "blk.0.bad.weight")).toThrow(
      /Q8_0 needs each row length \(ne0\) to be a positive multiple of 32, but blk\.0\.bad\.weight has dims \[48, 2\]/,
    );
    const bad: GgufTensorDescriptor = { name: "bad", dims: [48, 2], type: GgmlType.Q8_0, data: () => new Uint8Array(0) };
    await expect(writeGgufFile(join(dir, "bad.gguf"), { metadata: [], tensors: [bad] })).rejects.toThrow(/multiple of 32.*\[48, 2\]/);
  });

  it("refuses data whose size does not match the declared dims and type", async () => {
    const short: GgufTensorDescriptor = { name: "short", dims: [8], type: GgmlType.F32, data: () => new Uint8Array(16) };
    const path = join(dir, "short.gguf");
    await expect(writeGgufFile(path, { metadata: [], tensors: [short] })).rejects.toThrow(/short: data is 16 bytes, dims\/type need 32/);
    await expect(access(path)).rejects.toThrow(); // no truncated file left behind for llama.cpp to trip over
  });

  it("refuses metadata values that do not fit their declared type", async () => {
    const metadata = metadataEntries([["test.u8", { type: GgufValueType.Uint8, value: 256 }]]);
    await expect(writeGgufFile(join(dir, "overflow.gguf"), { metadata, tensors: [] })).rejects.toThrow(/test\.u8: value 256 does not fit/);
  });
});

describe("byte-level BPE vocabulary", () => {
  const vocab = buildBpeVocabulary({ extraNormalTokens: ["Hello there"], extraUserDefinedTokens: ["pineapple"] });

  it("starts with the 256 GPT-2 byte tokens (space = Ġ, newline = Ċ)", () => {
    expect(vocab.tokens[32]).toBe("Ġ");
    expect(vocab.tokens[10]).toBe("Ċ");
    expect(vocab.tokens[65]).toBe("A");
    expect(new Set(vocab.tokens.slice(0, 256)).size).toBe(256);
    expect(vocab.toByteLevel("a b\n")).toBe("aĠbĊ");
  });

  it("has merges whose results are tokens, and unique tokens", () => {
    expect(vocab.merges.length).toBeGreaterThan(100);
    for (const merge of vocab.merges) expect(vocab.has(merge.replace(" ", ""))).toBe(true);
    expect(new Set(vocab.tokens).size).toBe(vocab.tokens.length);
    expect(vocab.tokens.length).toBe(vocab.tokenTypes.length);
  });

  it("types control, user-defined and extra tokens correctly", () => {
    for (const t of CONTROL_TOKENS) expect(vocab.tokenTypes[vocab.idOf(t)]).toBe(TokenType.Control);
    for (const t of [...QWEN_USER_DEFINED_TOKENS, "pineapple"]) expect(vocab.tokenTypes[vocab.idOf(t)]).toBe(TokenType.UserDefined);
    expect(vocab.tokenTypes[vocab.idOfText("Hello there")]).toBe(TokenType.Normal);
    expect(() => vocab.idOf("no such token")).toThrow(/no token "no such token"/);
  });
});

describe("reproducibility", () => {
  it("writes byte-identical random models for the same seed, different ones for another", async () => {
    const [a, b, c] = [join(dir, "a.gguf"), join(dir, "b.gguf"), join(dir, "c.gguf")];
    await writeRandomTinyModel(a);
    await writeRandomTinyModel(b);
    await writeRandomTinyModel(c, { seed: 2 });
    const [bytesA, bytesB, bytesC] = await Promise.all([readFile(a), readFile(b), readFile(c)]);
    expect(bytesA.equals(bytesB)).toBe(true);
    expect(bytesA.equals(bytesC)).toBe(false);
  });
});
