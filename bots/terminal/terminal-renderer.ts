import type { JobEvent } from "../../src/contracts.js";

export interface TerminalStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/**
 * Renders one job's events in a terminal: the answer streams to `out` as it is written; queue position,
 * progress and errors go to `err`, so `burrow ask "…" > answer.txt` captures only the answer.
 */
export class TerminalRenderer {
  private printed = "";
  private lastPosition: number | undefined;

  constructor(
    private readonly streams: TerminalStreams,
    private readonly options: { readonly status: boolean } = { status: true },
  ) {}

  render(event: JobEvent): void {
    switch (event.type) {
      case "queued":
        if (event.position !== this.lastPosition) {
          this.lastPosition = event.position;
          const eta = event.etaSeconds === null || event.position === 0 ? "" : `, about ${formatSeconds(event.etaSeconds)} to start`;
          this.status(event.position === 0 ? `queued: next${eta}` : `queued: position ${event.position}${eta}`);
        }
        return;
      case "started":
        // A job restarted after a crash or restart streams again from the beginning.
        if (this.printed !== "") this.streams.out.write("\n[restarted]\n");
        this.printed = "";
        this.status("thinking…");
        return;
      case "thinking":
        this.status(event.text ?? "thinking…");
        return;
      case "tool":
        this.status(`${event.name}: ${event.summary}`);
        return;
      case "delta":
        this.streams.out.write(event.text);
        this.printed += event.text;
        return;
      case "done":
        // The agent streams its notes and the numbered sources as part of the answer, so nothing is added.
        if (!this.printed.endsWith("\n")) this.streams.out.write("\n");
        return;
      case "failed":
        if (this.printed !== "" && !this.printed.endsWith("\n")) this.streams.out.write("\n");
        this.streams.err.write(`Error: ${event.reason}\n${event.hint ? `${event.hint}\n` : ""}`);
        return;
      case "cancelled":
        if (this.printed !== "" && !this.printed.endsWith("\n")) this.streams.out.write("\n");
        this.streams.err.write("Cancelled.\n");
        return;
    }
  }

  /** Burrow (its Redis) went away mid-job; the request is kept and following resumes when it is back. */
  connectionLost(): void {
    this.status("lost the connection to Burrow; waiting for it to come back (your request is kept)");
  }

  private status(text: string): void {
    if (this.options.status) this.streams.err.write(`[${text}]\n`);
  }
}

function formatSeconds(seconds: number): string {
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
