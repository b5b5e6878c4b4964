// A deterministic chat model: after the assistant turn's newline it answers a fixed sentence, one word per
// token, then <|im_end|>. Marker words anywhere in the context change the answer, which lets tests prove
// what reached the model (e.g. that chat history was sent).
import { GGML_TYPE_OF_DTYPE, type WeightDtype } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, IM_END, type BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition, type ScriptedTransition } from "./scripted-transformer.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

/** The answer when no marker word is in the context. */
export const SENTENCE_DEFAULT = "Burrow says hello from a tiny model.";
/** The answer when MARKER_REMEMBER is anywhere in the context (e.g. an earlier user turn). */
export const SENTENCE_REMEMBERED = "I remember what you told me.";
/**
 * Marker words are USER_DEFINED tokens: llama.cpp matches them anywhere in text, even inside ordinary user
 * messages and even as part of a longer word ("pineapples" contains the marker).
 */
export const MARKER_REMEMBER = "pineapple";
/** With this marker in the context the model never ends its turn: it repeats FOREVER_WORD. Wins over MARKER_REMEMBER. */
export const MARKER_FOREVER = "forever";
export const FOREVER_WORD = " la";

export interface ScriptedChatModelOptions {
  /** Matrix precision; every choice gives the same answers. Default "f32". */
  readonly dtype?: WeightDtype;
}

export interface ScriptedChatModelInfo extends ModelFileInfo {
  readonly defaultAnswer: typeof SENTENCE_DEFAULT;
  readonly rememberedAnswer: typeof SENTENCE_REMEMBERED;
  readonly rememberMarker: typeof MARKER_REMEMBER;
  readonly foreverMarker: typeof MARKER_FOREVER;
  readonly foreverWord: typeof FOREVER_WORD;
}

export async function writeScriptedChatModel(path: string, options: ScriptedChatModelOptions = {}): Promise<ScriptedChatModelInfo> {
  const defaultWords = splitWords(SENTENCE_DEFAULT);
  const rememberedWords = splitWords(SENTENCE_REMEMBERED);
  const vocabulary = buildBpeVocabulary({
    extraNormalTokens: [...defaultWords, ...rememberedWords, FOREVER_WORD],
    extraUserDefinedTokens: [MARKER_REMEMBER, MARKER_FOREVER],
  });
  const word = (text: string): number => vocabulary.idOfText(text);
  const newline = word("\n");
  const firstDefault = word(defaultWords[0]!);
  const firstRemembered = word(rememberedWords[0]!);
  const la = word(FOREVER_WORD);

  const content = buildScriptedModel(
    {
      name: "burrow-test-scripted-chat",
      vocabulary,
      flags: [
        { name: "remember", marker: vocabulary.idOf(MARKER_REMEMBER) },
        { name: "forever", marker: vocabulary.idOf(MARKER_FOREVER) },
      ],
      transitions: [
        // The assistant turn starts right after "<|im_start|>assistant\n": the newline picks the answer.
        { after: newline, next: firstDefault },
        { after: newline, next: firstRemembered },
        { after: newline, next: la },
        { after: la, next: la },
        ...sentenceChain(vocabulary, defaultWords),
        ...sentenceChain(vocabulary, rememberedWords),
      ],
      gates: new Map<number, FlagCondition>([
        [firstDefault, { remember: false, forever: false }],
        [firstRemembered, { remember: true, forever: false }],
        [la, { forever: true }],
      ]),
      biases: new Map([[vocabulary.idOf("<|endoftext|>"), -2], [vocabulary.idOf("<|im_start|>"), -2]]),
    },
    GGML_TYPE_OF_DTYPE[options.dtype ?? "f32"],
  );
  return {
    ...(await writeModelFile(path, content)),
    defaultAnswer: SENTENCE_DEFAULT,
    rememberedAnswer: SENTENCE_REMEMBERED,
    rememberMarker: MARKER_REMEMBER,
    foreverMarker: MARKER_FOREVER,
    foreverWord: FOREVER_WORD,
  };
}

/** "Burrow says hello." -> ["Burrow", " says", " hello", "."]: one token per word so the answer streams. */
export function splitWords(sentence: string): string[] {
  return sentence.split(/(?=[ .])/);
}

/** word₁ → word₂ → … → last word → <|im_end|>. Shared words ("." here) are fine as long as they lead to the same next token. */
function sentenceChain(vocabulary: BpeVocabulary, words: readonly string[]): ScriptedTransition[] {
  const ids = [...words.map((w) => vocabulary.idOfText(w)), vocabulary.idOf(IM_END)];
  return ids.slice(0, -1).map((after, i) => ({ after, next: ids[i + 1]! }));
}
