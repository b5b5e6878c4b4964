import type { TopDirMount } from "./host-binaries.js";
import type { SandboxLimits } from "./limits.js";

/** The host programs a sandboxed run is built from (real paths in the system directories). */
export interface SandboxTools {
  /** Closes inherited file descriptors and clears the environment before anything else runs. */
  readonly bash: string;
  readonly bwrap: string;
  readonly setpriv: string;
  /** Runs inside the sandbox, so it must be under /usr or a bound top-level dir (it is: util-linux). */
  readonly prlimit: string;
}

export interface SandboxCommandSpec {
  readonly tools: SandboxTools;
  /** Host uid/gid to drop to before bwrap starts; undefined when Burrow itself is not root. */
  readonly dropTo: { readonly uid: number; readonly gid: number } | undefined;
  readonly topDirs: readonly TopDirMount[];
  /** Extra single files bound read-only (the Node binary when it lives outside /usr). */
  readonly extraBinds: readonly { readonly host: string; readonly sandbox: string }[];
  readonly limits: SandboxLimits;
  readonly cpuSeconds: { readonly soft: number; readonly hard: number };
  /** The source file: bwrap copies what the host writes to this fd into a read-only file at `path`. */
  readonly source: { readonly fd: number; readonly path: string } | undefined;
  /** bwrap writes `{"child-pid": N}` here, so the host can wait until the sandbox's init is gone. */
  readonly statusFd: number | undefined;
  /** The command inside the sandbox (interpreter and arguments). */
  readonly argv: readonly string[];
}

/** Inside the sandbox: HOME and the work dir are the private tmpfs; nothing else is set. */
export const SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/tmp",
  LANG: "C.UTF-8",
});

export const SANDBOX_WORK_DIR = "/tmp";

/** Highest descriptor the host passes on purpose (see sandbox-process.ts); everything above is closed. */
const LAST_PASSED_FD = 4;

/** Closes inherited descriptors, then replaces itself with "$@" in an empty environment. */
const CLOSE_FDS = `for p in /proc/self/fd/*; do fd=\${p##*/}; if (( fd > ${LAST_PASSED_FD} )); then eval "exec \${fd}>&-"; fi; done; exec -c "$@"`;

/**
 * The full command line of one sandboxed run:
 *
 *   bash --norc --noprofile -c CLOSE_FDS burrow-sandbox setpriv [--reuid --regid --clear-groups] --pdeathsig KILL -- bwrap <namespaces, mounts> -- prlimit <limits> -- <interpreter>
 *
 * Why this order:
 * - bash first closes every file descriptor above the ones we pass on purpose (0–2 stdio, 3 source,
 *   4 bwrap status). Node opens its own descriptors close-on-exec, but descriptors Burrow inherited from
 *   whatever started it, or that native code (llama.cpp's fopen of the model) opened, are not, and
 *   nothing else in the chain closes them: measured here, a pipe inherited as fd 251 was writable from
 *   inside the sandbox. `exec -c` also starts setpriv with an empty environment. `--norc` matters: bash
 *   reads ~/.bashrc when its stdin is a socket (libuv's stdio pipes are socketpairs), i.e. it would run
 *   root's shell start-up files on the host (seen here: /root/.bashrc ran).
 * - setpriv runs next, still on the host, so bwrap itself starts as an unprivileged user. bwrap then has
 *   to use an unprivileged user namespace, in which the sandbox uid maps to that unprivileged host uid.
 *   Run as root, bwrap would map the sandbox to host root (any escape is root) and RLIMIT_NPROC would not
 *   hold: the kernel exempts uid 0 from it. If Burrow dies, bwrap must die too: bwrap's
 *   `--die-with-parent` does that, and `--pdeathsig KILL` is a second, independent tie (measured: with
 *   neither, a SIGKILLed Burrow left the sandbox running; with either, it was gone). When bwrap dies its
 *   sandbox init gets SIGKILL, and the kernel kills everything in that pid namespace.
 * - prlimit runs inside the sandbox, after bwrap created the user namespace. RLIMIT_NPROC is then counted
 *   per (user namespace, uid): only this sandbox's processes count, not every process the host uid owns
 *   (which would break when Burrow is not root, or when runs overlap). Applied outside, the same limit
 *   would also cap bwrap's own setup. The code cannot skip it: prlimit execs the interpreter.
 * - The root is a tmpfs bwrap builds; /usr (and /lib*, /bin, /sbin, or their symlinks) are bound
 *   read-only; from /etc only ld.so.cache. No /home, /root, /work, /run, /var or host /tmp. After setup the
 *   root and /dev are remounted read-only, so the only writable places are the size-limited /tmp and
 *   /dev/shm tmpfs.
 * - `--unshare-all` gives new user, pid, net (loopback only), ipc, uts and cgroup namespaces;
 *   `--disable-userns` stops the code from making nested user namespaces (kernel attack surface);
 *   `--new-session` detaches it from any terminal (TIOCSTI); `--clearenv` plus the explicit variables is
 *   the whole environment; `--cap-drop ALL` leaves no capabilities even inside the namespace.
 */
export function buildSandboxCommand(spec: SandboxCommandSpec): { file: string; args: string[] } {
  const setpriv: string[] = [];
  if (spec.dropTo) setpriv.push(`--reuid=${spec.dropTo.uid}`, `--regid=${spec.dropTo.gid}`, "--clear-groups");
  setpriv.push("--pdeathsig=KILL", "--");

  const bwrap: string[] = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
    "--hostname",
    "sandbox",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  for (const mount of spec.topDirs) {
    if (mount.kind === "symlink") bwrap.push("--symlink", mount.target, mount.path);
    else bwrap.push("--ro-bind", mount.path, mount.path);
  }
  // The dynamic loader finds multiarch libraries without it, but only slowly; it holds no secrets.
  bwrap.push("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache");
  for (const bind of spec.extraBinds) bwrap.push("--ro-bind", bind.host, bind.sandbox);
  bwrap.push("--proc", "/proc", "--dev", "/dev");
  bwrap.push("--size", String(spec.limits.shmBytes), "--tmpfs", "/dev/shm");
  bwrap.push("--size", String(spec.limits.tmpBytes), "--tmpfs", SANDBOX_WORK_DIR);
  if (spec.source) bwrap.push("--perms", "0444", "--ro-bind-data", String(spec.source.fd), spec.source.path);
  bwrap.push("--chdir", SANDBOX_WORK_DIR);
  for (const [name, value] of Object.entries(SANDBOX_ENV)) bwrap.push("--setenv", name, value);
  bwrap.push("--remount-ro", "/dev", "--remount-ro", "/");
  if (spec.statusFd !== undefined) bwrap.push("--json-status-fd", String(spec.statusFd));

  const { limits, cpuSeconds } = spec;
  const prlimit = [
    `--as=${limits.addressSpaceBytes}`,
    `--cpu=${cpuSeconds.soft}:${cpuSeconds.hard}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    "--core=0",
    "--",
  ];

  return {
    file: spec.tools.bash,
    args: ["--norc", "--noprofile", "-c", CLOSE_FDS, "burrow-sandbox", spec.tools.setpriv, ...setpriv, spec.tools.bwrap, ...bwrap, "--", spec.tools.prlimit, ...prlimit, ...spec.argv],
  };
}
