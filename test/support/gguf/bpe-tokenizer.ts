// A small byte-level BPE vocabulary in the layout of GPT-2/Qwen ("gpt2" tokenizer model in llama.cpp):
// 256 byte tokens, merges learned from a tiny built-in corpus, extra tokens, then Qwen's special tokens.
import { TokenType } from "./gguf-types.js";

export const END_OF_TEXT = "<|endoftext|>";
export const IM_START = "<|im_start|>";
export const IM_END = "<|im_end|>";

/** Control tokens: chat structure; llama.cpp only parses them from text when special tokens are enabled. */
export const CONTROL_TOKENS = [END_OF_TEXT, IM_START, IM_END] as const;
/** Qwen's user-defined tokens: matched in text even when special-token parsing is off. */
export const QWEN_USER_DEFINED_TOKENS = [
  "<tool_call>",
  "</tool_call>",
  "<tool_response>",
  "</tool_response>",
  "<think>",
  "</think>",
] as const;

/** Ids 0–255 are the byte tokens, in byte order: token id b stands for byte b. */
export const BYTE_TOKEN_COUNT = 256;

/**
 * True for a byte token that cannot stand alone as text: a UTF-8 lead/continuation byte (≥ 0x80) or an ASCII
 * control character other than newline/tab. node-llama-cpp holds such bytes back waiting for the rest of a
 * character, so a random model that emits them streams no text at all.
 */
export function isUnprintableByteToken(id: number): boolean {
  return id < BYTE_TOKEN_COUNT && (id >= 0x7f || (id < 0x20 && id !== 0x0a && id !== 0x09));
}

export interface BpeVocabularyOptions {
  /** How many merges to learn from the corpus (fewer if the corpus runs out of pairs). Default 300. */
  readonly mergeCount?: number;
  /** Plain-text strings added as whole NORMAL tokens (e.g. words a scripted model must emit as one token). */
  readonly extraNormalTokens?: readonly string[];
  /** Extra USER_DEFINED tokens, appended after Qwen's own (e.g. marker words). */
  readonly extraUserDefinedTokens?: readonly string[];
  /** Training text; defaults to a built-in chat/tool-calling/code sample. */
  readonly corpus?: string;
}

export interface BpeVocabulary {
  /** Token strings in byte-level form (space is "Ġ", newline "Ċ"); special tokens verbatim. */
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly TokenType[];
  /** Merge rules "left right", highest priority first. */
  readonly merges: readonly string[];
  /** Id of a token given its stored string; throws if the vocabulary has no such token. */
  idOf(token: string): number;
  /** Id of the token whose text is `text` (converted to byte-level form first); throws if absent. */
  idOfText(text: string): number;
  has(token: string): boolean;
  /** Plain text -> the byte-level string a token for that text is stored as. */
  toByteLevel(text: string): string;
}

export function buildBpeVocabulary(options: BpeVocabularyOptions = {}): BpeVocabulary {
  const tokens: string[] = [];
  const tokenTypes: TokenType[] = [];
  const ids = new Map<string, number>();
  const add = (token: string, type: TokenType): void => {
    const existing = ids.get(token);
    if (existing !== undefined) {
      // A merge may already have produced an extra normal token; a special token must stay unique.
      if (type === TokenType.Normal && tokenTypes[existing] === TokenType.Normal) return;
      throw new Error(`Token ${JSON.stringify(token)} is defined twice with different types`);
    }
    ids.set(token, tokens.length);
    tokens.push(token);
    tokenTypes.push(type);
  };

  for (const char of BYTE_TO_UNICODE) add(char, TokenType.Normal);
  const merges = trainMerges(options.corpus ?? DEFAULT_CORPUS, options.mergeCount ?? 300);
  for (const merge of merges) add(merge.replace(" ", ""), TokenType.Normal);
  for (const text of options.extraNormalTokens ?? []) add(toByteLevel(text), TokenType.Normal);
  for (const token of CONTROL_TOKENS) add(token, TokenType.Control);
  for (const token of QWEN_USER_DEFINED_TOKENS) add(token, TokenType.UserDefined);
  for (const token of options.extraUserDefinedTokens ?? []) add(token, TokenType.UserDefined);

  const idOf = (token: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new Error(`Vocabulary has no token ${JSON.stringify(token)}`);
    return id;
  };
  return {
    tokens,
    tokenTypes,
    merges,
    idOf,
    idOfText: (text) => idOf(toByteLevel(text)),
    has: (token) => ids.has(token),
    toByteLevel,
  };
}

/**
 * GPT-2's reversible byte -> printable character map: printable Latin-1 bytes map to themselves,
 * the rest to code points from 256 up, so every byte string is a visible, whitespace-free token string.
 */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const isPrintable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(isPrintable(b) ? b : next++));
})();

export function toByteLevel(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) out += BYTE_TO_UNICODE[byte];
  return out;
}

// llama.cpp's "qwen2" pre-tokenizer regex: merges never cross these word boundaries, so train on the same pieces.
const QWEN2_PRE_TOKENIZER =
  /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** Classic BPE training: repeatedly merge the most frequent adjacent pair (ties broken alphabetically). */
function trainMerges(corpus: string, mergeCount: number): string[] {
  const wordCounts = new Map<string, number>();
  for (const piece of corpus.match(QWEN2_PRE_TOKENIZER) ?? []) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  const words = [...wordCounts].map(([word, count]) => ({ symbols: [...toByteLevel(word)], count }));

  const merges: string[] = [];
  while (merges.length < mergeCount) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1; // a pair seen once teaches nothing
    for (const [pair, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== undefined && pair < best)) {
        best = pair;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    merges.push(best);
    const [left, right] = best.split(" ") as [string, string];
    for (const word of words) word.symbols = mergePair(word.symbols, left, right);
  }
  return merges;
}

function mergePair(symbols: readonly string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

const DEFAULT_CORPUS = `You are a helpful assistant. The user asks a question and the assistant answers it.
system
You are a helpful, respectful and honest assistant. Always answer as helpfully as possible.
user
What is the weather in Paris today? Please search the web and tell me what you find.
assistant
I will search the web for the weather in Paris. The result is that it is sunny and warm.
{"name": "web_search", "arguments": {"query": "weather in Paris"}}
{"type": "object", "properties": {"answer": {"type": "string"}, "count": {"type": "number"}}, "required": ["answer"]}
function call result description parameters string number boolean integer array object null true false
# Tools You may call one or more functions to assist with the user query.
For each function call, return a json object with function name and arguments.
def main(): print("hello world") for i in range(10): return x + y
const x = await fetch(url); console.log(x); export function run(input: string): Promise<void> {}
The quick brown fox jumps over the lazy dog. This is a test of the tokenizer and the model.
Hello! How can I help you today? Thanks, that is all. Sure, here is the code you asked for.
0 1 2 3 4 5 6 7 8 9 10 100 2024 3.14 -1 == != <= >= => () [] {} ;

  
    `;
