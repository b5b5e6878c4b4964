import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import type { QueueAccess } from "../../src/daemon.js";
import { conversationKey } from "../../src/contracts.js";
import { describeError } from "../../src/errors.js";
import { followJob } from "./follow-job.js";
import { TerminalRenderer, type TerminalStreams } from "./terminal-renderer.js";

export interface ChatOptions {
  /** The conversation to continue; its history survives restarts. */
  readonly chatId: string;
  readonly input: NodeJS.ReadableStream;
  readonly streams: TerminalStreams;
}

const HELP = "Type a message and press Enter. /new starts a fresh conversation, /exit leaves. Ctrl-C stops an answer.";

/**
 * `burrow chat`: an interactive chat that goes through the same queue as the bots. Works with a piped
 * stdin too (one message per line), which is how scripts and tests drive it.
 */
export async function runChat(client: QueueAccess, options: ChatOptions): Promise<void> {
  const { streams } = options;
  const interactive = Boolean((options.input as { isTTY?: boolean }).isTTY);
  const rl = createInterface({ input: options.input, output: interactive ? streams.out : undefined, terminal: interactive });
  const request = { platform: "terminal" as const, chatId: options.chatId };
  let answering: AbortController | undefined;
  rl.on("SIGINT", () => {
    if (answering) answering.abort();
    else rl.close();
  });
  if (interactive) streams.err.write(`${HELP}\n`);
  rl.setPrompt("> ");
  if (interactive) rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === "/exit" || line === "/quit") break;
    if (line === "/new") {
      await client.history.clear(conversationKey(request));
      streams.err.write("[new conversation]\n");
    } else if (line === "/help") {
      streams.err.write(`${HELP}\n`);
    } else if (line !== "") {
      answering = new AbortController();
      try {
        const submitted = await client.producer.submit({ ...request, userId: userInfo().username, text: line });
        const renderer = new TerminalRenderer(streams);
        await followJob(client.producer, submitted.jobId, (event) => renderer.render(event), { cancel: answering.signal, onConnectionLost: () => renderer.connectionLost() });
      } catch (error) {
        streams.err.write(`Error: ${describeError(error)}\n`);
      } finally {
        answering = undefined;
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
}
