import type { SandboxTools } from "./bwrap-command.js";
import { executableRealPath, findSystemBinary, isInsideSystemDirs, topDirMounts, type TopDirMount } from "./host-binaries.js";
import type { SandboxLanguage } from "./languages.js";
import type { ResolvedSandboxOptions } from "./sandbox-options.js";

/** A problem with what to say and what to do about it. */
export interface Unavailable {
  readonly reason: string;
  readonly hint: string;
}

/** How one language's interpreter is reached inside the sandbox. */
export interface InterpreterSetup {
  /** The interpreter's path inside the sandbox. */
  readonly path: string;
  readonly extraBinds: readonly { readonly host: string; readonly sandbox: string }[];
}

/** Everything found on the host that a run needs, before anything is started. */
export interface SandboxHost {
  readonly tools: SandboxTools;
  readonly dropTo: { readonly uid: number; readonly gid: number } | undefined;
  readonly topDirs: readonly TopDirMount[];
  readonly interpreters: Readonly<Record<SandboxLanguage, InterpreterSetup | Unavailable>>;
}

export const INSTALL_BWRAP_HINT = "Install bubblewrap 0.8 or newer: sudo apt-get install -y bubblewrap (Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap).";
const INSTALL_UTIL_LINUX_HINT = "Install util-linux, which provides setpriv and prlimit: sudo apt-get install -y util-linux.";

/** Where a Node binary from outside /usr (nvm, a tarball in /opt) is bound, alone and read-only. */
const SANDBOX_NODE_PATH = "/opt/burrow-node/bin/node";

/** Finds bwrap, setpriv, prlimit and the interpreters; says precisely what is missing. */
export function findSandboxHost(options: ResolvedSandboxOptions): SandboxHost | Unavailable {
  if (process.platform !== "linux") {
    return { reason: `the code sandbox needs Linux (bubblewrap), and this is ${process.platform}`, hint: "Run Burrow on Linux (a VM, WSL2 or a Linux container) to let it run code." };
  }
  const bash = findSystemBinary("bash");
  if (!bash) return { reason: "bash is not installed (the sandbox uses it to close inherited file descriptors)", hint: "Install it: sudo apt-get install -y bash." };
  const bwrap = findSystemBinary("bwrap");
  if (!bwrap) return { reason: "bubblewrap (bwrap) is not installed", hint: INSTALL_BWRAP_HINT };
  const setpriv = findSystemBinary("setpriv");
  if (!setpriv) return { reason: "setpriv (util-linux) is not installed", hint: INSTALL_UTIL_LINUX_HINT };
  const prlimit = findSystemBinary("prlimit");
  if (!prlimit) return { reason: "prlimit (util-linux) is not installed", hint: INSTALL_UTIL_LINUX_HINT };
  const isRoot = process.getuid?.() === 0;
  return {
    tools: { bash, bwrap, setpriv, prlimit },
    dropTo: isRoot ? { uid: options.uid, gid: options.gid } : undefined,
    topDirs: topDirMounts(),
    interpreters: { python: findPython(options.pythonPath), javascript: findNode(options.nodePath) },
  };
}

function findPython(configured: string | undefined): InterpreterSetup | Unavailable {
  const path = configured ? executableRealPath(configured) : findSystemBinary("python3");
  if (!path) {
    return configured
      ? { reason: `the Python interpreter ${configured} does not exist or is not executable`, hint: "Point the sandbox at a system python3 (e.g. /usr/bin/python3)." }
      : { reason: "python3 is not installed in /usr/bin, /bin or /usr/local/bin", hint: "Install it: sudo apt-get install -y python3-minimal (a python3 from pyenv or a home directory cannot be used: the sandbox does not see home directories)." };
  }
  if (!isInsideSystemDirs(path)) {
    return { reason: `python3 resolves to ${path}, outside the system directories the sandbox can see`, hint: "Install a system python3: sudo apt-get install -y python3-minimal." };
  }
  return { path, extraBinds: [] };
}

function findNode(configured: string): InterpreterSetup | Unavailable {
  const path = executableRealPath(configured);
  if (!path) return { reason: `the Node binary ${configured} does not exist or is not executable`, hint: "Reinstall Node.js 20 or newer." };
  if (isInsideSystemDirs(path)) return { path, extraBinds: [] };
  // Only the binary itself is bound (Node's official builds need nothing else but libc and libstdc++).
  return { path: SANDBOX_NODE_PATH, extraBinds: [{ host: path, sandbox: SANDBOX_NODE_PATH }] };
}

export function isUnavailable(value: object): value is Unavailable {
  return "reason" in value && "hint" in value;
}
