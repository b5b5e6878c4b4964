/**
 * stdout and stderr of a run under one shared byte budget, enforced while the bytes stream in: a program
 * printing 10 MB is stopped after the budget, not buffered and cut afterwards. The first byte over the
 * budget calls `onLimit` (once), which kills the run.
 */
export class OutputCapture {
  private readonly chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  private used = 0;
  private overflowed = false;

  constructor(
    private readonly limitBytes: number,
    private readonly onLimit: () => void,
  ) {}

  /** True once more output arrived than the budget allows (what was kept is exactly the budget). */
  get truncated(): boolean {
    return this.overflowed;
  }

  push(stream: "stdout" | "stderr", chunk: Buffer): void {
    if (this.overflowed) return;
    const room = this.limitBytes - this.used;
    if (chunk.length <= room) {
      this.chunks[stream].push(chunk);
      this.used += chunk.length;
      return;
    }
    if (room > 0) this.chunks[stream].push(chunk.subarray(0, room));
    this.used = this.limitBytes;
    this.overflowed = true;
    this.onLimit();
  }

  /** The kept bytes as text; a character cut in half at the budget's edge becomes U+FFFD. */
  text(stream: "stdout" | "stderr"): string {
    return Buffer.concat(this.chunks[stream]).toString("utf8");
  }
}
