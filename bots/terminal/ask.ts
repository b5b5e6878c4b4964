import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import type { QueueAccess } from "../../src/daemon.js";
import { exitCodeFor, followJob } from "./follow-job.js";
import { TerminalRenderer, type TerminalStreams } from "./terminal-renderer.js";

export interface AskOptions {
  readonly question: string;
  /** Continue this conversation (history is kept per chat id); default: a fresh one. */
  readonly chatId?: string;
  /** Print every event as a JSON line instead of the answer (for scripts and benchmarks). */
  readonly json: boolean;
  /** No status lines on stderr. */
  readonly quiet: boolean;
}

/** `burrow ask`: one question through the queue; prints the answer as it streams; returns the exit code. */
export async function runAsk(client: QueueAccess, options: AskOptions, streams: TerminalStreams, cancel?: AbortSignal): Promise<number> {
  const submitted = await client.producer.submit({
    platform: "terminal",
    chatId: options.chatId ?? `ask-${randomUUID()}`,
    userId: userInfo().username,
    text: options.question,
  });
  const renderer = new TerminalRenderer(streams, { status: !options.quiet });
  const last = await followJob(
    client.producer,
    submitted.jobId,
    (event) => (options.json ? streams.out.write(`${JSON.stringify(event)}\n`) : renderer.render(event)),
    { cancel, onConnectionLost: () => renderer.connectionLost() },
  );
  return exitCodeFor(last);
}
