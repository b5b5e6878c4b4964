/** Counts tokens in a text; the model's real tokenizer when the caller has one. */
export type TokenCounter = (text: string) => number;

/**
 * About four characters per token: the usual rule of thumb for English with BPE tokenizers. It only has to
 * keep a page from crowding the context window, so being roughly right is enough.
 */
export const approximateTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

export const TRUNCATION_MARKER = "[truncated]";

export interface Budgeted {
  readonly text: string;
  readonly truncated: boolean;
  /** Tokens in `text` (marker included), by the counter used. */
  readonly tokens: number;
}

/**
 * Cuts `text` to at most `maxTokens` tokens, marker included. The cut goes back to the end of a paragraph,
 * else of a sentence or line, else of a word, as long as that keeps at least half of what fits: a model
 * reads a page that ends cleanly more reliably than one that stops mid-word.
 *
 * `cutAlready` says the text was already cut short upstream (the body hit the byte limit): the marker is
 * added and the ragged tail goes back to a boundary even when the rest fits.
 */
export function fitToTokens(text: string, maxTokens: number, count: TokenCounter = approximateTokens, cutAlready = false): Budgeted {
  const whole = count(text);
  if (!cutAlready && whole <= maxTokens) return { text, truncated: false, tokens: whole };
  const suffix = `\n\n${TRUNCATION_MARKER}`;
  const budget = maxTokens - count(suffix);
  if (budget <= 0) return { text: TRUNCATION_MARKER, truncated: true, tokens: count(TRUNCATION_MARKER) };
  const fits = longestPrefixWithin(text, budget, count);
  const cut = boundaryBefore(text, fits);
  const kept = text.slice(0, cut).trimEnd();
  const result = kept ? kept + suffix : TRUNCATION_MARKER;
  return { text: result, truncated: true, tokens: count(result) };
}

/** The largest n with count(text.slice(0, n)) <= budget, assuming counts grow with length. */
function longestPrefixWithin(text: string, budget: number, count: TokenCounter): number {
  // Gallop up from the 4-chars-per-token guess, then bisect: a real tokenizer is then called O(log n) times
  // on prefixes not much longer than what fits, not on the whole (possibly 1 MB) page.
  let low = 0;
  let high = Math.min(text.length, Math.max(1, budget * 4));
  while (high < text.length && count(text.slice(0, high)) <= budget) {
    low = high;
    high = Math.min(text.length, high * 2);
  }
  if (count(text.slice(0, high)) <= budget) return high;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (count(text.slice(0, middle)) <= budget) low = middle;
    else high = middle;
  }
  return low;
}

/** Where to cut at or before `limit`, the first character that does not fit (or that the body did not include). */
function boundaryBefore(text: string, limit: number): number {
  const prefix = text.slice(0, limit);
  // A paragraph or a sentence ending right at the limit counts: look one character past it.
  const window = text.slice(0, limit + 1);
  const floor = limit / 2;
  const paragraph = window.lastIndexOf("\n\n");
  if (paragraph >= floor && paragraph <= limit) return paragraph;
  let sentence = -1;
  for (const match of window.matchAll(/[.!?。！？…]["'”’)\]]*(?=\s|$)/gu)) {
    const end = match.index + match[0].length;
    if (end <= limit) sentence = end;
  }
  const line = prefix.lastIndexOf("\n");
  const best = Math.max(sentence, line);
  if (best >= floor) return best;
  const word = prefix.search(/\s\S*$/);
  if (word >= floor) return word;
  return limit;
}
