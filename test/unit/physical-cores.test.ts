import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { physicalCoreCount } from "../../models/physical-cores.js";
import { threadCandidates } from "../../models/thread-tuning.js";
import { makeTempDir } from "../support/temp-dir.js";

const dir = makeTempDir();
afterAll(() => dir.remove());

function fakeSysfs(name: string, cpus: [pkg: number, core: number][]): string {
  const root = join(dir.path, name);
  cpus.forEach(([pkg, core], index) => {
    const topology = join(root, `cpu${index}`, "topology");
    mkdirSync(topology, { recursive: true });
    writeFileSync(join(topology, "physical_package_id"), `${pkg}\n`);
    writeFileSync(join(topology, "core_id"), `${core}\n`);
  });
  mkdirSync(join(root, "cpufreq"), { recursive: true }); // non-cpu entries are ignored
  return root;
}

describe("physical cores", () => {
  it("counts hyperthread siblings once", () => {
    expect(physicalCoreCount(fakeSysfs("ht", [[0, 0], [0, 0]]))).toBe(1);
  });

  it("counts distinct cores across packages (bounded by the CPUs this process may use)", () => {
    expect(physicalCoreCount(fakeSysfs("two", [[0, 0], [1, 0]]))).toBe(Math.min(2, availableParallelism()));
  });

  it("falls back to the logical CPU count without sysfs", () => {
    expect(physicalCoreCount(join(dir.path, "missing"))).toBe(availableParallelism());
  });

  it("offers 1 … physical cores as thread candidates, never more", () => {
    expect(threadCandidates(1)).toEqual([1]);
    expect(threadCandidates(2)).toEqual([1, 2]);
    expect(threadCandidates(8)).toEqual([1, 7, 8]);
  });
});
