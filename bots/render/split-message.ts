/**
 * Splits text into chat messages of at most `limit` UTF-16 code units (what Discord and Telegram count).
 * Cuts at a newline, else at a space, else hard; never between the halves of a surrogate pair. A code fence
 * open at a cut is closed at the end of that chunk and reopened (same fence, same language) at the start
 * of the next, so every message renders on its own. An unclosed fence at the very end (an answer cut off
 * by its token budget) is closed too.
 */
export function splitMessage(text: string, limit: number): string[] {
  return splitMessageParts(text, limit).map((part) => part.prefix + part.body + part.suffix);
}

/** One chunk: `body` is a slice of the original text; `prefix` and `suffix` are added fence lines. */
export interface MessagePart {
  /** A reopened fence such as "```ts\n", or "". */
  readonly prefix: string;
  readonly body: string;
  /** A closing fence such as "\n```" (or "```" when the body ends with a newline), or "". */
  readonly suffix: string;
}

/** Below this, a chunk could not hold a reopened fence, its closing fence and some text. */
export const MIN_SPLIT_LIMIT = 32;

/** Longest language tag carried over to a reopened fence; longer info strings are cut to it. */
const MAX_REOPENED_INFO = 20;

/** The same as splitMessage, with the added fence lines kept apart (joining the bodies gives the text). */
export function splitMessageParts(text: string, limit: number): MessagePart[] {
  if (!Number.isInteger(limit) || limit < MIN_SPLIT_LIMIT) throw new RangeError(`splitMessage: limit must be a whole number ≥ ${MIN_SPLIT_LIMIT}, got ${limit}`);
  const parts: MessagePart[] = [];
  let start = 0;
  let fence: Fence | undefined;
  while (start < text.length) {
    // A pathological fence (hundreds of backticks) is not carried over: that chunk starts outside it.
    const carry = fence && reopenLine(fence).length + closingFence(fence).length + 2 <= limit / 2 ? fence : undefined;
    const prefix = carry ? reopenLine(carry) : "";
    let room = limit - prefix.length;
    for (;;) {
      const end = chooseCut(text, start, room);
      const after = scanFences(text, start, end, carry);
      let suffix = after ? (text[end - 1] === "\n" ? "" : "\n") + closingFence(after) : "";
      const fits = prefix.length + (end - start) + suffix.length <= limit;
      // A closing fence longer than the room left: give up on closing it rather than loop.
      if (!fits && limit - prefix.length - suffix.length < 2) suffix = "";
      if (fits || suffix === "") {
        parts.push({ prefix, body: text.slice(start, end), suffix });
        fence = after;
        start = end;
        break;
      }
      room = limit - prefix.length - suffix.length;
    }
  }
  return parts;
}

export interface Fence {
  /** The backtick run that opened it; the closing run must be at least this long. */
  readonly ticks: number;
  /** First word of the info string (the language), possibly "". */
  readonly info: string;
}

const OPENING = /^ {0,3}(`{3,})([^`\n]*)$/;
const CLOSING = /^ {0,3}(`{3,})[ \t]*$/;
/** A line that starts like a fence; a cut never falls inside one, nor makes a chunk start like one. */
const FENCE_START = /^ {0,3}```/;

/** The line that opens `fence` again, newline included. */
export function reopenLine(fence: Fence): string {
  return `${"`".repeat(fence.ticks)}${fence.info}\n`;
}

function closingFence(fence: Fence): string {
  return "`".repeat(fence.ticks);
}

/**
 * The fence open after the complete lines of text[start, end) (a trailing partial line is never a fence
 * line: cuts avoid them), given the fence open at `start`.
 */
function scanFences(text: string, start: number, end: number, open: Fence | undefined): Fence | undefined {
  let lineStart = start;
  while (lineStart < end) {
    const newline = text.indexOf("\n", lineStart);
    if (newline === -1 || newline >= end) break;
    open = nextFenceState(text.slice(lineStart, newline), open);
    lineStart = newline + 1;
  }
  // The text's last line has no newline; it is complete only at the end of the text.
  if (end === text.length && lineStart < end) open = nextFenceState(text.slice(lineStart, end), open);
  return open;
}

/** The code fence still open at the end of `text` read on its own (undefined when all are closed). */
export function openFenceAtEnd(text: string): Fence | undefined {
  return scanFences(text, 0, text.length, undefined);
}

/** The fence state after one complete line (without its newline). */
function nextFenceState(line: string, open: Fence | undefined): Fence | undefined {
  if (open) {
    const closing = CLOSING.exec(line);
    return closing && closing[1]!.length >= open.ticks ? undefined : open;
  }
  const opening = OPENING.exec(line);
  if (!opening) return undefined;
  const info = (opening[2] ?? "").trim().split(/\s+/)[0] ?? "";
  return { ticks: opening[1]!.length, info: info.slice(0, MAX_REOPENED_INFO) };
}

/** Where the chunk starting at `start` with `room` code units available ends. */
function chooseCut(text: string, start: number, room: number): number {
  if (text.length - start <= room) return text.length;
  const windowEnd = start + room;
  const newline = text.lastIndexOf("\n", windowEnd - 1);
  if (newline >= start) {
    const cut = acceptable(text, start, newline + 1);
    if (cut !== undefined) return cut;
  }
  const space = text.lastIndexOf(" ", windowEnd - 1);
  if (space >= start) {
    const cut = acceptable(text, start, space + 1);
    if (cut !== undefined) return cut;
  }
  return acceptable(text, start, windowEnd) ?? hardCut(text, start, windowEnd);
}

/** `cut`, moved back so it is not inside a fence line and does not start the next chunk like one. */
function acceptable(text: string, start: number, cut: number): number | undefined {
  cut = pairSafe(text, cut);
  for (;;) {
    if (cut <= start) return undefined;
    const lineStart = text.lastIndexOf("\n", cut - 1) + 1;
    if (lineStart === cut) return cut;
    if (FENCE_START.test(text.slice(lineStart, lineStart + 6))) {
      cut = lineStart;
      continue;
    }
    if (FENCE_START.test(text.slice(cut, cut + 6))) {
      cut = pairSafe(text, cut - 1);
      continue;
    }
    return cut;
  }
}

function hardCut(text: string, start: number, windowEnd: number): number {
  const cut = pairSafe(text, windowEnd);
  return cut > start ? cut : Math.min(start + 2, text.length);
}

/** Moves a cut that would separate a surrogate pair one unit back. */
function pairSafe(text: string, cut: number): number {
  if (cut <= 0 || cut >= text.length) return cut;
  const before = text.charCodeAt(cut - 1);
  const after = text.charCodeAt(cut);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff ? cut - 1 : cut;
}
