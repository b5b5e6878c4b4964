// A deterministic "thinking" chat model: it writes a thought between <think> and </think>, then an answer,
// then <|im_end|>. Built on the scripted transformer, where the next token is decided by the last one plus
// "is marker X in the context?" flags. <think> is no use as a flag (the agent's system prompt itself contains
// "<think></think>"), so every generated token is a single-use token that decides the next one; the only flag
// is the optional `foreverMarker` word, which switches to the endless thought.
//
// What it writes after "<|im_start|>assistant\n" (the "\n" there picks the first token):
//   specialTags, "lines" (Qwen3):    <think> "\nLet" " me" … "plan.\n" </think> "\n\n" answer… <|im_end|>
//   plain tags, "lines" (Qwen2.5):   "<" "think" ">\nLet" … "plan.\n" "</" "thi" "nk>" "\n\n" answer… <|im_end|>
//   plain tags, "inline":            "<" "think" ">Let" … "plan." "</" "thi" "nk>" answer… <|im_end|>
// (<think> / </think> are the vocabulary's USER_DEFINED tokens; the plain spellings are ordinary tokens.)
// Any text piece that would repeat a token already used — "\n" starts the turn, so every line break —
// is joined to a neighbouring piece: a scripted token can drive only one next token.
//
// How node-llama-cpp 3.21.1 sees it (QwenChatWrapper, variation "3"): the thought segment is
// SpecialTokensText("<think>\n") … SpecialTokensText("\n</think>"), resolved into detector triggers by
// `tokenizeSpecialTokensOnly`, which keeps only CONTROL/EOG tokens as token ids. <think> is USER_DEFINED
// (as in Qwen3's own GGUF), so the triggers are the plain strings "<think>\n" and "\n</think>", matched
// on the generated TEXT: the "lines" layout is a thought segment whether the tags are special tokens or
// ordinary ones. The "inline" layout ("<think>" not followed by a line break) never matches, reaches
// Burrow as ordinary answer text, and is left to agent/thought-filter.ts.
//
// The endless thought (thought THINK_FOREVER, or `foreverMarker` in the context): "search" then " search"
// again and again, never closing. Only something outside the model can end it: node-llama-cpp's thought
// budget closes the segment and re-renders the context with "\n</think>" (the special </think> token) after
// the thought; </think> is scripted to lead on to the answer, so the model then answers. Without a budget
// (or in the "inline" layout, which has no segment) it thinks until maxTokens.
import { GGML_TYPE_OF_DTYPE, type WeightDtype } from "../gguf/gguf-types.js";
import {
  buildBpeVocabulary,
  CONTROL_TOKENS,
  END_OF_TEXT,
  IM_END,
  IM_START,
  QWEN_USER_DEFINED_TOKENS,
} from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition, type ScriptedTransition } from "./scripted-transformer.js";
import { splitWords } from "./scripted-chat-model.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

/** `thought: THINK_FOREVER` makes a model that never ends its thought by itself. */
export const THINK_FOREVER = "forever";
/**
 * An endless thought is FOREVER_THOUGHT_FIRST followed by FOREVER_THOUGHT_WORD repeated: "search search search…".
 * Both are single tokens as generated AND as llama.cpp tokenizes them (BPE merges of the default corpus):
 * node-llama-cpp re-tokenizes the text that follows "<think>\n" inside the token that opened the segment, so
 * this keeps the thought's token count simple — a thought of n tokens is the first word and n − 1 repeats.
 */
export const FOREVER_THOUGHT_FIRST = "search";
export const FOREVER_THOUGHT_WORD = " search";

export type ThinkerLayout = "lines" | "inline";

export interface ThinkerModelOptions {
  /** What the model thinks, written one word per token (punctuation attached to the word before it), or THINK_FOREVER. */
  readonly thought: string;
  /** What it answers after the thought, one word per token, then <|im_end|>. */
  readonly answer: string;
  /**
   * true: the tags are the vocabulary's <think> / </think> tokens, as Qwen3 writes them. false: the tags are
   * spelled with ordinary tokens ("<" "think" ">"), as a model without such tokens (Qwen2.5) writes them.
   */
  readonly specialTags: boolean;
  /**
   * "lines" (default): "<think>\n…\n</think>\n\n" then the answer, Qwen3's layout and QwenChatWrapper's thought
   * segment. "inline": "<think>…</think>" then the answer, no line breaks.
   */
  readonly layout?: ThinkerLayout;
  /**
   * A word (made a USER_DEFINED token, so llama.cpp finds it anywhere in the context, even inside a longer
   * word) that switches the model to the endless thought, e.g. in the user's question. One model file then
   * serves both behaviours: each model costs a test an engine start (~1 s), a prompt ~20 ms.
   */
  readonly foreverMarker?: string;
  /** Matrix precision; every choice gives the same output. Default "f32". */
  readonly dtype?: WeightDtype;
}

export interface ThinkerModelInfo extends ModelFileInfo {
  readonly thought: string;
  readonly answer: string;
  readonly specialTags: boolean;
  readonly layout: ThinkerLayout;
  readonly foreverMarker: string | undefined;
  /**
   * The tokens it writes, as text, when it thinks `thought` and finishes by itself (special tags verbatim,
   * through <|im_end|>); undefined when `thought` is THINK_FOREVER.
   */
  readonly tokens: readonly string[] | undefined;
  /** The endless thought's tokens, from the opening tag to the first FOREVER_THOUGHT_WORD (which repeats); undefined without one. */
  readonly foreverTokens: readonly string[] | undefined;
  /** `tokens` as text, without <|im_end|>. */
  readonly fullText: string | undefined;
}

interface Piece {
  readonly text: string;
  /** A vocabulary token given by its stored string (a special token), not text to encode. */
  readonly special: boolean;
}

const text = (value: string): Piece => ({ text: value, special: false });
const special = (value: string): Piece => ({ text: value, special: true });

/** "\n" right after "<|im_start|>assistant" picks the first token, so no scripted token may be "\n". */
const TURN_START = "\n";
const SPECIAL_TEXTS: ReadonlySet<string> = new Set<string>([...CONTROL_TOKENS, ...QWEN_USER_DEFINED_TOKENS]);

export async function writeThinkerModel(path: string, options: ThinkerModelOptions): Promise<ThinkerModelInfo> {
  const layout = options.layout ?? "lines";
  const lines = layout === "lines";
  const thinks = options.thought !== THINK_FOREVER; // has a thought it ends by itself
  const endless = !thinks || options.foreverMarker !== undefined;
  if (options.answer.trim() === "") throw new Error("answer must not be empty");
  if (thinks && options.thought.trim() === "") throw new Error("thought must not be empty (use a model without a thought)");
  if (!thinks && options.foreverMarker !== undefined) throw new Error("foreverMarker needs a thought the model ends by itself");

  const nl = (value: string): Piece[] => (lines ? [text(value)] : []);
  const open = options.specialTags ? [special("<think>")] : [text("<"), text("think"), text(">")];
  const close = options.specialTags ? [special("</think>")] : [text("</"), text("thi"), text("nk>")];

  // Token chains; every token is used once across all of them (shared tokens are shared transitions):
  //   open → thought → close → afterClose (answer, <|im_end|>)
  //   open → endless (its last token repeats);   </think> (written by node-llama-cpp) → afterClose
  const taken = new Set([TURN_START]);
  const openChunks = uniqueChunks(open, taken);
  const thoughtChunks = thinks ? uniqueChunks([...nl("\n"), ...splitWords(options.thought).map(text), ...nl("\n"), ...close], taken) : [];
  const endlessChunks = endless ? uniqueChunks([...nl("\n"), text(FOREVER_THOUGHT_FIRST), text(FOREVER_THOUGHT_WORD)], taken) : [];
  const afterClose = uniqueChunks([...nl("\n\n"), ...splitWords(options.answer).map(text), special(IM_END)], taken);

  const vocabulary = buildBpeVocabulary({
    extraNormalTokens: [...openChunks, ...thoughtChunks, ...endlessChunks, ...afterClose].filter((piece) => !piece.special).map((piece) => piece.text),
    extraUserDefinedTokens: options.foreverMarker === undefined ? [] : [options.foreverMarker],
  });
  const merged = new Set(vocabulary.merges.map((merge) => merge.replace(" ", "")));
  if (endless && ![FOREVER_THOUGHT_FIRST, FOREVER_THOUGHT_WORD].every((word) => merged.has(vocabulary.toByteLevel(word)))) {
    throw new Error("The endless thought's words must be single BPE tokens of the default vocabulary");
  }
  const id = (piece: Piece): number => (piece.special ? vocabulary.idOf(piece.text) : vocabulary.idOfText(piece.text));
  const ids = (pieces: readonly Piece[]): number[] => pieces.map(id);
  const opening = ids(openChunks);
  const answer = ids(afterClose);
  const transitions: ScriptedTransition[] = [{ after: vocabulary.idOfText(TURN_START), next: opening[0]! }, ...chain(opening), ...chain(answer)];
  const gates = new Map<number, FlagCondition>();
  if (thinks) {
    const thought = ids(thoughtChunks);
    transitions.push(...chain([opening.at(-1)!, ...thought, answer[0]!]));
    if (endless) gates.set(thought[0]!, { forever: false });
  }
  if (endless) {
    const thought = ids(endlessChunks);
    const loop = thought.at(-1)!;
    transitions.push(...chain([opening.at(-1)!, ...thought]), { after: loop, next: loop });
    transitions.push({ after: vocabulary.idOf("</think>"), next: answer[0]! });
    if (thinks) gates.set(thought[0]!, { forever: true });
  }

  const content = buildScriptedModel(
    {
      name: "burrow-test-thinker",
      vocabulary,
      flags: options.foreverMarker === undefined ? [] : [{ name: "forever", marker: vocabulary.idOf(options.foreverMarker) }],
      transitions,
      gates,
      biases: new Map([[vocabulary.idOf(END_OF_TEXT), -2], [vocabulary.idOf(IM_START), -2]]),
    },
    GGML_TYPE_OF_DTYPE[options.dtype ?? "f32"],
  );
  const texts = (pieces: readonly Piece[]): string[] => pieces.map((piece) => piece.text);
  const tokens = thinks ? texts([...openChunks, ...thoughtChunks, ...afterClose]) : undefined;
  return {
    ...(await writeModelFile(path, content)),
    thought: options.thought,
    answer: options.answer,
    specialTags: options.specialTags,
    layout,
    foreverMarker: options.foreverMarker,
    tokens,
    foreverTokens: endless ? texts([...openChunks, ...endlessChunks]) : undefined,
    fullText: tokens?.filter((token) => token !== IM_END).join(""),
  };
}

/** token₁ → token₂ → … */
function chain(tokens: readonly number[]): ScriptedTransition[] {
  return tokens.slice(0, -1).map((after, i) => ({ after, next: tokens[i + 1]! }));
}

/**
 * Joins text pieces until each chunk is a token not used before (`taken` is updated). A special token is a
 * chunk of its own; text held back in front of it (e.g. the "\n" before </think>) joins the chunk before.
 */
function uniqueChunks(pieces: readonly Piece[], taken: Set<string>): Piece[] {
  const chunks: Piece[] = [];
  let current = "";
  const settle = (): void => {
    if (current === "") return;
    const last = chunks.at(-1);
    if (!last || last.special) throw new Error(`Cannot script ${JSON.stringify(current)} before a special token: it repeats a token already used`);
    taken.delete(last.text);
    const joined = last.text + current;
    if (taken.has(joined) || SPECIAL_TEXTS.has(joined)) throw new Error(`Cannot script ${JSON.stringify(joined)}: it repeats a token already used`);
    chunks[chunks.length - 1] = text(joined);
    taken.add(joined);
    current = "";
  };
  for (const piece of pieces) {
    if (piece.special) {
      settle();
      if (taken.has(piece.text)) throw new Error(`${piece.text} can be written only once`);
      taken.add(piece.text);
      chunks.push(piece);
      continue;
    }
    current += piece.text;
    if (!taken.has(current) && !SPECIAL_TEXTS.has(current)) {
      chunks.push(text(current));
      taken.add(current);
      current = "";
    }
  }
  settle();
  return chunks;
}
