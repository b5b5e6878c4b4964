import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import type { QueueAccess } from "../../src/daemon.js";
import { BurrowError } from "../../src/errors.js";
import { binaryReason, parseReviewInput } from "../../src/review-input.js";
import { exitCodeFor, followJob } from "./follow-job.js";
import { renderReviewText } from "./review-text.js";
import { TerminalRenderer, type TerminalStreams } from "./terminal-renderer.js";

export interface ReviewInputFile {
  /** The path as given, or "stdin". */
  readonly name: string;
  readonly bytes: Buffer;
}

/** Files read, checked and parsed once, before anything is queued. */
export interface PreparedReview {
  readonly attachments: { name: string; mimeType: string; text: string }[];
  /** What the request calls it: "Please review this diff." */
  readonly what: "diff" | "file" | "code";
}

export interface ReviewOptions {
  readonly review: PreparedReview;
  /** Print the structured review as JSON instead of text (for scripts). */
  readonly json: boolean;
  /** No status lines on stderr. */
  readonly quiet: boolean;
}

/** The files as request attachments; throws (naming the file and why) for binaries, archives and oversized input. */
export function prepareReview(files: readonly ReviewInputFile[]): PreparedReview {
  const refuse = (reason: string, hint = "Nothing was queued. Send source files, a unified diff (`git diff | burrow review -`) or a code block.") =>
    new BurrowError("review_refused", `The review was refused: ${reason}.`, { hint });
  const attachments = files.map((file) => {
    const name = file.name === "-" ? "stdin" : file.name;
    // UTF-16 (Windows editors) is text, though its NUL bytes would look binary.
    const utf16 = file.bytes[0] === 0xff && file.bytes[1] === 0xfe ? "utf-16le" : file.bytes[0] === 0xfe && file.bytes[1] === 0xff ? "utf-16be" : undefined;
    if (utf16) return { name, mimeType: "text/plain", text: new TextDecoder(utf16).decode(file.bytes) };
    const refused = binaryReason(file.name, file.bytes);
    if (refused) throw refuse(refused);
    try {
      return { name, mimeType: "text/plain", text: new TextDecoder("utf-8", { fatal: true }).decode(file.bytes) };
    } catch {
      throw refuse(`${name} is not UTF-8 text`, `Nothing was queued. Convert it first, e.g. \`iconv -f latin1 -t utf-8 ${name === "stdin" ? "FILE" : name} | burrow review -\`.`);
    }
  });
  const input = parseReviewInput("", attachments);
  return { attachments, what: input.kind === "diff" ? "diff" : input.files.length === 1 ? "file" : "code" };
}

/**
 * `burrow review <file|->`: queues a code review (behind any interactive questions) and prints it as plain
 * text, or as JSON with `--json`. The input was checked by prepareReview, before Redis or the model started.
 */
export async function runReview(client: QueueAccess, options: ReviewOptions, streams: TerminalStreams, cancel?: AbortSignal): Promise<number> {
  const { attachments, what } = options.review;
  const submitted = await client.producer.submit({
    platform: "terminal",
    chatId: `review-${randomUUID()}`,
    userId: userInfo().username,
    text: `Please review this ${what}.`,
    attachments,
    kind: "review",
  });
  const renderer = new TerminalRenderer(streams, { status: !options.quiet });
  const last = await followJob(
    client.producer,
    submitted.jobId,
    (event) => {
      // The Markdown deltas are for chats; the terminal prints the structured review once it is done.
      if (event.type === "delta") return;
      if (event.type === "done") {
        if (!event.review) streams.out.write(`${event.answer}\n`);
        else streams.out.write(options.json ? `${JSON.stringify(event.review, null, 2)}\n` : renderReviewText(event.review));
        return;
      }
      renderer.render(event);
    },
    { cancel, onConnectionLost: () => renderer.connectionLost() },
  );
  return exitCodeFor(last);
}
