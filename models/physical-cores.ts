import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * The number of physical CPU cores. llama.cpp's decode is memory-bound and hyperthreads only add
 * contention, so Burrow never uses more threads than physical cores (measured here: the library default of 4 threads on
 * 2 cores decoded ~100x slower than 2 threads); thread-tuning.ts measures which count up to it is best.
 *
 * Reads Linux sysfs topology (unique package/core pairs among online CPUs); elsewhere, or if sysfs is
 * unreadable, falls back to the logical CPU count.
 */
export function physicalCoreCount(sysCpuDir = "/sys/devices/system/cpu"): number {
  try {
    const cores = new Set<string>();
    for (const entry of readdirSync(sysCpuDir)) {
      if (!/^cpu\d+$/.test(entry)) continue;
      const topology = `${sysCpuDir}/${entry}/topology`;
      const pkg = readFileSync(`${topology}/physical_package_id`, "utf8").trim();
      const core = readFileSync(`${topology}/core_id`, "utf8").trim();
      cores.add(`${pkg}:${core}`);
    }
    if (cores.size > 0) return Math.min(cores.size, availableParallelism());
  } catch {
    // Not Linux, or a container without sysfs topology: fall through.
  }
  return availableParallelism();
}
