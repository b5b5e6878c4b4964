/** Shared helpers of the benchmark: settings, medians, progress lines on stderr. */
import { performance } from "node:perf_hooks";

/** Runs per measurement; each figure is the median of these. */
export const RUNS = positiveInt(process.env.BENCH_RUNS, 3);

const benchStarted = performance.now();

/** A progress line on stderr, with the seconds since the bench started. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

/** Seconds since the bench started. */
export function benchSeconds(): number {
  return (performance.now() - benchStarted) / 1000;
}

/** The median (the upper middle value for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** The value at fraction `p` (0..1) of the sorted values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Median, min and max of samples, kept next to the samples in bench-results.json. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export function positiveInt(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`expected a whole number ≥ 1, got "${text}"`);
  return value;
}

/** Rounds for JSON: raw samples keep 0.01 precision, which is far below the noise. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
