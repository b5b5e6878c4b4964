// Fast random Q8_0 matrices for large benchmark models: draw a few thousand random blocks once, then tile
// them. Drawing and quantizing ~360M gaussians one by one would take tens of seconds; copying blocks is
// memcpy-speed, and for a speed benchmark the exact values do not matter.
import { createRng } from "./rng.js";
import { assertQ8_0RowLength, encodeQ8_0, Q8_0_BLOCK_BYTES, Q8_0_BLOCK_VALUES } from "./tensor-encoding.js";

export interface Q8_0BlockPool {
  readonly blockCount: number;
  /**
   * Encoded Q8_0 bytes for a [ne0, ne1] matrix, tiled from the pool starting at block `start` (mod pool size).
   * Rows listed in `zeroRows` are all-zero blocks (scale 0).
   */
  matrix(dims: readonly number[], start: number, zeroRows?: readonly number[]): Uint8Array;
}

/** A prime block count keeps rows (28 or 152 blocks for Qwen 0.5B) from lining up with the pool period. */
export function createQ8_0BlockPool(seed: number, std: number, blockCount = 4099): Q8_0BlockPool {
  const values = createRng(seed).fillGaussian(new Float32Array(blockCount * Q8_0_BLOCK_VALUES), std);
  const pool = encodeQ8_0(values);
  return {
    blockCount,
    matrix(dims, start, zeroRows = []) {
      assertQ8_0RowLength(dims);
      const rowBlocks = dims[0]! / Q8_0_BLOCK_VALUES;
      const total = (dims.reduce((a, b) => a * b, 1) / Q8_0_BLOCK_VALUES) * Q8_0_BLOCK_BYTES;
      const out = new Uint8Array(total);
      let at = 0;
      let from = (start % blockCount) * Q8_0_BLOCK_BYTES;
      while (at < total) {
        const length = Math.min(pool.length - from, total - at);
        out.set(pool.subarray(from, from + length), at);
        at += length;
        from = 0;
      }
      for (const row of zeroRows) out.fill(0, row * rowBlocks * Q8_0_BLOCK_BYTES, (row + 1) * rowBlocks * Q8_0_BLOCK_BYTES);
      return out;
    },
  };
}
