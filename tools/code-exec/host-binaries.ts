import { accessSync, constants, lstatSync, realpathSync } from "node:fs";
import { isAbsolute } from "node:path";

/**
 * Where the sandbox's programs come from. Everything is looked up in fixed system directories, never on
 * PATH: PATH may hold user-writable directories (pyenv shims, ~/.local/bin), and the tools run as root.
 * The same directories are bound read-only into the sandbox, so a binary found here also exists inside
 * under the same path.
 */
export const SYSTEM_BIN_DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"] as const;

/** Top-level directories bound into the sandbox besides /usr (symlinks into /usr on merged-/usr systems). */
export const SYSTEM_TOP_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] as const;

/** The real path of an executable `name` in the system directories, if there is one. */
export function findSystemBinary(name: string): string | undefined {
  for (const dir of SYSTEM_BIN_DIRS) {
    const real = executableRealPath(`${dir}/${name}`);
    if (real !== undefined) return real;
  }
  return undefined;
}

/** The real path of `path` when it is an executable file. */
export function executableRealPath(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    const real = realpathSync(path);
    return lstatSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** True when `path` (a real path) is inside what the sandbox sees read-only: /usr or a top-level system dir. */
export function isInsideSystemDirs(path: string): boolean {
  if (!isAbsolute(path)) return false;
  return ["/usr", ...SYSTEM_TOP_DIRS].some((dir) => path === dir || path.startsWith(`${dir}/`));
}

export type TopDirMount = { kind: "bind"; path: string } | { kind: "symlink"; path: string; target: string };

/** How each top-level system directory appears in the sandbox: the same symlink, or a read-only bind. */
export function topDirMounts(): TopDirMount[] {
  const mounts: TopDirMount[] = [];
  for (const path of SYSTEM_TOP_DIRS) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) mounts.push({ kind: "symlink", path, target: realpathSync(path) });
      else if (stat.isDirectory()) mounts.push({ kind: "bind", path });
    } catch {
      // Absent on this machine (e.g. /libx32): nothing to mount.
    }
  }
  return mounts;
}
