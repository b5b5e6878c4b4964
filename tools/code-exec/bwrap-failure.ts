import { existsSync, readFileSync } from "node:fs";
import type { Unavailable } from "./sandbox-host.js";

/** A kernel setting, or undefined when this kernel does not have it. */
export type SysctlReader = (path: string) => string | undefined;

const readSysctl: SysctlReader = (path) => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
};

const inContainer = (): boolean => existsSync("/.dockerenv") || existsSync("/run/.containerenv");

/**
 * Why bwrap could not build the sandbox, with the exact fix. bwrap's own message ("setting up uid map:
 * Permission denied") names the symptom; the kernel settings name the cause, so those are checked first.
 * `bwrapPath` is where bwrap is installed (an AppArmor profile attaches by path).
 */
export function explainBwrapFailure(
  stderr: string,
  bwrapPath: string,
  env: { sysctl?: SysctlReader; inContainer?: () => boolean } = {},
): Unavailable {
  const sysctl = env.sysctl ?? readSysctl;
  const message = firstBwrapLine(stderr);
  const said = message ? ` (bwrap said: ${message})` : "";

  if (sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1") {
    return {
      reason: `AppArmor blocks unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1), which bubblewrap needs${said}`,
      hint:
        `Allow bwrap only: create /etc/apparmor.d/bwrap containing ` +
        `"abi <abi/4.0>, include <tunables/global> profile bwrap ${bwrapPath} flags=(unconfined) { userns, include if exists <local/bwrap> }" ` +
        `(one statement per line), then run: sudo apparmor_parser -r /etc/apparmor.d/bwrap. ` +
        `(Or, for every program: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, kept across reboots with ` +
        `echo 'kernel.apparmor_restrict_unprivileged_userns=0' | sudo tee /etc/sysctl.d/60-bwrap-userns.conf.)`,
    };
  }
  if (sysctl("/proc/sys/kernel/unprivileged_userns_clone") === "0") {
    return {
      reason: `the kernel does not allow unprivileged user namespaces (kernel.unprivileged_userns_clone = 0), which bubblewrap needs${said}`,
      hint: "Run: sudo sysctl -w kernel.unprivileged_userns_clone=1, and keep it across reboots with echo 'kernel.unprivileged_userns_clone=1' | sudo tee /etc/sysctl.d/60-bwrap-userns.conf.",
    };
  }
  if (sysctl("/proc/sys/user/max_user_namespaces") === "0") {
    return {
      reason: `user namespaces are switched off (user.max_user_namespaces = 0), which bubblewrap needs${said}`,
      hint: "Run: sudo sysctl -w user.max_user_namespaces=15000, and keep it across reboots with echo 'user.max_user_namespaces=15000' | sudo tee /etc/sysctl.d/60-bwrap-userns.conf.",
    };
  }
  if ((env.inContainer ?? inContainer)()) {
    return {
      reason: `bubblewrap cannot create its namespaces inside this container${said}`,
      hint:
        "The container's seccomp/AppArmor profile blocks user namespaces or mounting /proc. Run Burrow on the host, or start the container " +
        "with --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined.",
    };
  }
  return {
    reason: `bubblewrap could not start a sandbox${said || " (it printed nothing)"}`,
    hint: "Run `bwrap --unshare-all --ro-bind /usr /usr -- /usr/bin/true` as the user Burrow runs as to see the problem; bubblewrap needs unprivileged user namespaces.",
  };
}

/** bwrap's error line ("bwrap: …"), or the first line of whatever was printed. */
function firstBwrapLine(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  return (lines.find((line) => line.startsWith("bwrap:")) ?? lines[0] ?? "").slice(0, 300);
}
