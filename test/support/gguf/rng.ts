// Seeded random numbers so every generated model file is byte-for-byte reproducible.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal. */
  gaussian(): number;
  /** Fills `target` with N(0, std²) values and returns it. */
  fillGaussian(target: Float32Array, std: number): Float32Array;
}

/** mulberry32: tiny, fast and good enough for weights (not for anything security-related). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box-Muller yields two normals per pair of uniforms; keep the second one instead of wasting it.
  let spare: number | undefined;
  const gaussian = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return {
    next,
    gaussian,
    fillGaussian(target, std) {
      for (let i = 0; i < target.length; i++) target[i] = gaussian() * std;
      return target;
    },
  };
}

/**
 * Derives a seed from a base seed and a label (e.g. a tensor name), so each tensor's values do not
 * depend on the order in which tensors happen to be generated. FNV-1a.
 */
export function deriveSeed(baseSeed: number, label: string): number {
  let hash = (0x811c9dc5 ^ baseSeed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
