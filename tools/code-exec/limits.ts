import type { SandboxLanguage } from "./languages.js";

/**
 * Resource limits of one sandboxed run. bwrap sets none itself; they are applied with `prlimit` inside the
 * sandbox (see bwrap-command.ts for why inside). RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_NOFILE are per
 * process; RLIMIT_NPROC counts the processes and threads of the sandbox user inside this sandbox's user
 * namespace, so concurrent runs do not share one budget.
 */
export interface SandboxLimits {
  /** Virtual address space per process (RLIMIT_AS), bytes. */
  readonly addressSpaceBytes: number;
  /** V8's old-space heap (JavaScript only), bytes; keep it well under `addressSpaceBytes`. */
  readonly heapBytes?: number;
  /** Processes plus threads (RLIMIT_NPROC). This is what stops a fork bomb. */
  readonly processes: number;
  /** Largest file the code may write (RLIMIT_FSIZE), bytes. */
  readonly fileSizeBytes: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  readonly openFiles: number;
  /** Size of the private /tmp (the work dir), bytes. tmpfs pages are host RAM, so this must be bounded. */
  readonly tmpBytes: number;
  /** Size of the private /dev/shm (Python multiprocessing needs it), bytes. Also host RAM. */
  readonly shmBytes: number;
}

const MIB = 1024 * 1024;

/**
 * Measured on Debian 12, Node 20.20, Python 3.11, kernel 6.18 (2 cores, 24 GB):
 * - `python3 -I -B -c 'print(1)'` peaks at 14 MB of address space; 512 MiB leaves room for real work
 *   (numpy-sized arrays) and turns `bytearray(2 * 1024**3)` into a clean MemoryError.
 * - `node -e 'console.log(1)'` peaks at 728 MB of address space (V8 reserves its code range and heap
 *   cages up front): under `--as` 700 MiB it dies with "Failed to reserve virtual memory for CodeRange",
 *   at 720 MiB it starts. With a 256 MiB heap, 1 GiB of address space ran out before the heap limit
 *   ("CALL_AND_RETRY_LAST ... heap out of memory"); 1.25 GiB reaches the heap limit first ("Reached heap
 *   limit"), which is the message we want. The ~270 MiB left over is for Buffers and native memory.
 * - A Node process with its thread pool in use has 11 threads, and RLIMIT_NPROC counts threads: 64 lets
 *   a JavaScript program start a few child processes; Python needs far fewer, so 32.
 * There is no cgroup here, so total memory is bounded only by processes × address space plus the tmpfs
 * sizes (see the README of this folder).
 */
export const DEFAULT_LIMITS: Readonly<Record<SandboxLanguage, SandboxLimits>> = Object.freeze({
  python: Object.freeze({
    addressSpaceBytes: 512 * MIB,
    processes: 32,
    fileSizeBytes: 16 * MIB,
    openFiles: 128,
    tmpBytes: 64 * MIB,
    shmBytes: 16 * MIB,
  }),
  javascript: Object.freeze({
    addressSpaceBytes: 1280 * MIB,
    heapBytes: 256 * MIB,
    processes: 64,
    fileSizeBytes: 16 * MIB,
    openFiles: 128,
    tmpBytes: 64 * MIB,
    shmBytes: 16 * MIB,
  }),
});

/** Wall-clock limit of one run; the whole process tree is killed when it passes. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The longest wall-clock limit a run may ask for (matches BURROW_CODE_TIMEOUT's upper bound). */
export const MAX_TIMEOUT_MS = 600_000;
/** stdout and stderr share this budget; the run is killed as soon as it is exceeded. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** Source code larger than this is refused before anything starts. */
export const MAX_CODE_BYTES = 1024 * 1024;
/** stdin larger than this is refused before anything starts. */
export const MAX_STDIN_BYTES = 4 * 1024 * 1024;

/**
 * RLIMIT_CPU for a wall-clock limit. One single-threaded process cannot use more CPU than wall time, so
 * this only fires for multi-threaded spinning or if the host's timer is very late (e.g. a blocked event
 * loop): a backstop, not the main limit. It sits a second above the wall-clock limit so that a timer a few
 * ms late on a busy machine still kills by the wall clock (one cause, one report). The soft limit sends
 * SIGXCPU (reported as a timeout), the hard limit a second later SIGKILL for code that ignores SIGXCPU.
 */
export function cpuSecondsFor(timeoutMs: number): { soft: number; hard: number } {
  const soft = Math.max(1, Math.ceil(timeoutMs / 1000)) + 1;
  return { soft, hard: soft + 1 };
}
