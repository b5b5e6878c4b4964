import { formatWait } from "./job-status.js";

/** What a bot's /status shows besides the queue, supplied by whoever runs the bot (the daemon). */
export interface BurrowStatus {
  /** The model file or name, if one is loaded. */
  readonly model: string | undefined;
  readonly uptimeSeconds: number;
}

export interface QueueCounts {
  readonly waiting: number;
  readonly active: number;
}

/** The text of /status on every platform. */
export function formatStatus(counts: QueueCounts, status: BurrowStatus): string {
  const busy = counts.active > 0 ? "answering a request" : "idle";
  return [
    `Burrow is ${busy}; ${counts.waiting} ${counts.waiting === 1 ? "request" : "requests"} waiting.`,
    `Model: ${status.model ?? "not loaded"}`,
    `Up for ${formatWait(status.uptimeSeconds)}.`,
  ].join("\n");
}
