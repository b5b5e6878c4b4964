import { BurrowError } from "../../src/errors.js";

/** Why a page could not be read; stable, so the agent and the front ends can branch on it. */
export const PAGE_READ_FAILURES = [
  "not-in-results",
  "private-address",
  "too-large",
  "timeout",
  "http-status",
  "unsupported-type",
  "too-many-redirects",
  "unreachable",
] as const;
export type PageReadFailure = (typeof PAGE_READ_FAILURES)[number];

/**
 * A page was not read. The message says what happened in words the model can repeat to the user; the
 * hint says what to do next (usually: try another search result). `url` is the page asked for (or the
 * redirect hop that failed), so the job log shows where it stopped.
 */
export class PageReadError extends BurrowError {
  readonly kind: PageReadFailure;
  readonly url: string;
  readonly jobId: string | undefined;
  /** The HTTP status, for kind "http-status". */
  readonly status: number | undefined;

  constructor(
    kind: PageReadFailure,
    url: string,
    message: string,
    options: { hint?: string; cause?: unknown; jobId?: string; status?: number } = {},
  ) {
    super(`page_${kind.replaceAll("-", "_")}`, message, { hint: options.hint ?? DEFAULT_HINTS[kind], cause: options.cause });
    this.kind = kind;
    this.url = url;
    this.jobId = options.jobId;
    this.status = options.status;
  }
}

const TRY_ANOTHER = "Try another of this answer's search results.";

const DEFAULT_HINTS: Record<PageReadFailure, string> = {
  "not-in-results": "Only pages from this answer's search results can be read: search first, then read one of the result URLs exactly as it was given.",
  "private-address": "Burrow never reads pages on the local network or on this machine. " + TRY_ANOTHER,
  "too-large": "The page is too large to read. " + TRY_ANOTHER,
  timeout: "The site is slow or not answering. " + TRY_ANOTHER,
  "http-status": TRY_ANOTHER,
  "unsupported-type": "Burrow reads HTML, plain-text and JSON pages only; it does not open PDFs, images or other files. " + TRY_ANOTHER,
  "too-many-redirects": "The site keeps redirecting. " + TRY_ANOTHER,
  unreachable: "The site could not be reached. " + TRY_ANOTHER,
};
