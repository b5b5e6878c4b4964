import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import type { QueueAccess } from "../../src/daemon.js";
import { conversationKey } from "../../src/contracts.js";
import { describeError } from "../../src/errors.js";
import type { RatingStore } from "../../queue/ratings.js";
import { followJob } from "./follow-job.js";
import { TerminalRenderer, type TerminalStreams } from "./terminal-renderer.js";

export interface ChatOptions {
  /** The conversation to continue; its history survives restarts. */
  readonly chatId: string;
  readonly input: NodeJS.ReadableStream;
  readonly streams: TerminalStreams;
  /** When given, `/good` and `/bad` rate the last answer. */
  readonly ratings?: RatingStore;
  /** Who is typing. Default: the login name. */
  readonly userId?: string;
}

const HELP = "Type a message and press Enter. /new starts a fresh conversation, /good or /bad rates the last answer, /exit leaves. Ctrl-C stops an answer.";

/**
 * `burrow chat`: an interactive chat that goes through the same queue as the bots. Works with a piped
 * stdin too (one message per line), which is how scripts and tests drive it.
 */
export async function runChat(client: QueueAccess, options: ChatOptions): Promise<void> {
  const { streams } = options;
  const interactive = Boolean((options.input as { isTTY?: boolean }).isTTY);
  const rl = createInterface({ input: options.input, output: interactive ? streams.out : undefined, terminal: interactive });
  const request = { platform: "terminal" as const, chatId: options.chatId };
  const userId = options.userId ?? userInfo().username;
  let answering: AbortController | undefined;
  /** The last answered job, for /good and /bad. */
  let lastAnswered: string | undefined;
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
    } else if (line === "/good" || line === "/bad") {
      streams.err.write(`${await rateLast(client, options.ratings, lastAnswered, userId, line === "/good" ? 1 : -1)}\n`);
    } else if (line === "/help") {
      streams.err.write(`${HELP}\n`);
    } else if (line !== "") {
      answering = new AbortController();
      try {
        const submitted = await client.producer.submit({ ...request, userId, text: line });
        const renderer = new TerminalRenderer(streams);
        const last = await followJob(client.producer, submitted.jobId, (event) => renderer.render(event), { cancel: answering.signal, onConnectionLost: () => renderer.connectionLost() });
        // Only a finished answer can be rated: after a failure or a cancel there is nothing to rate.
        lastAnswered = last?.type === "done" ? submitted.jobId : undefined;
      } catch (error) {
        lastAnswered = undefined;
        streams.err.write(`Error: ${describeError(error)}\n`);
      } finally {
        answering = undefined;
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
}

async function rateLast(client: QueueAccess, ratings: RatingStore | undefined, jobId: string | undefined, userId: string, rating: 1 | -1): Promise<string> {
  if (!ratings) return "[rating is not available here]";
  if (!jobId) return "[no answer to rate: /good and /bad rate the last answer]";
  const request = (await ratings.get(jobId))?.request ?? (await client.producer.requestOf(jobId));
  if (!request) return "[that answer is too old to rate]";
  const outcome = await ratings.rate({ jobId, request, rating, ratedBy: `terminal:${userId}` });
  if (!outcome.ok) return "[only a finished answer can be rated]";
  return rating > 0 ? "[rated 👍]" : "[rated 👎]";
}
