import { formatSize } from "./disk-usage.js";
import type { DownloadProgress } from "./model-pull-download.js";

/**
 * A download progress bar on stderr. In a terminal it redraws one line (at most 10 times a second); when
 * stderr is a file or a pipe it prints a line at every 10 % instead, so logs stay readable.
 */
export class ProgressBar {
  private lastDraw = 0;
  private lastStep = -1;
  private drawn = false;
  private full = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, private readonly label: string) {}

  update(progress: DownloadProgress): void {
    const fraction = progress.totalBytes > 0 ? Math.min(1, progress.downloadedBytes / progress.totalBytes) : 0;
    if (this.stream.isTTY) {
      // ipull keeps reporting after 100 % while overlapping requests finish: draw the full bar once.
      if (this.full) return;
      const now = Date.now();
      if (now - this.lastDraw < 100 && fraction < 1) return;
      this.full = fraction >= 1;
      this.lastDraw = now;
      this.stream.write(`\r${this.line(progress, fraction, 24)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const step = Math.floor(fraction * 10);
    if (step <= this.lastStep) return;
    this.lastStep = step;
    this.stream.write(`${this.line(progress, fraction, 20)}\n`);
  }

  /** Ends the redrawn line so later messages start on their own line. */
  finish(): void {
    if (this.drawn) this.stream.write("\n");
    this.drawn = false;
  }

  private line(progress: DownloadProgress, fraction: number, width: number): string {
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const speed = progress.bytesPerSecond > 0 ? `  ${formatSize(Math.round(progress.bytesPerSecond))}/s` : "";
    const left = progress.bytesPerSecond > 0 && fraction < 1 ? `  ${duration((progress.totalBytes - progress.downloadedBytes) / progress.bytesPerSecond)} left` : "";
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${this.label} ${bar} ${percent}  ${formatSize(progress.downloadedBytes)} of ${formatSize(progress.totalBytes)}${speed}${left}`;
  }
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
