// How a scripted model writes one function call through node-llama-cpp's grammar-constrained function
// calling (QwenChatWrapper): the texts it emits as single tokens and the transitions that chain them. The
// model builders (tool-caller-model.ts) decide when a call is made; this file only knows what one looks like.
import type { BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import type { ScriptedTransition } from "./scripted-transformer.js";

/** What QwenChatWrapper expects after <tool_call> before the function name; one token so it is one step. */
export const CALL_PREFIX_REST = '\n{"name": "';
/** Last BPE token of the re-tokenized '\n{"name": "' — the context's last token when the name is chosen. */
export const NAME_PHASE_LAST_TOKEN = ' "';
/** Last BPE token of the re-tokenized '", "arguments": ' — the context's last token when arguments start. */
export const ARGUMENTS_PHASE_LAST_TOKEN = " ";
/** node-llama-cpp's arguments grammar ends with four newlines (its stop trigger). */
export const ARGUMENTS_END = "\n\n\n\n";

/** A JSON scalar the scripted call passes as an argument value. */
export type ToolArgumentValue = string | number | boolean | null;

export interface ScriptedToolCall {
  /** A function offered to the session (e.g. "web_search"). */
  readonly name: string;
  /**
   * Every property of the function's parameter schema, in the schema's order (node-llama-cpp's grammar
   * requires all of them, in that order). Values are written exactly, as `JSON.stringify` writes them.
   */
  readonly arguments: Readonly<Record<string, ToolArgumentValue>>;
}

export interface ScriptedCallTexts {
  readonly name: string;
  /** The arguments object cut at value boundaries: '{"a": ', '"x", "b": ', '"y"}'. Each holds a key or the final "}", so all differ. */
  readonly argumentChunks: readonly string[];
}

export function scriptedCallTexts(call: ScriptedToolCall): ScriptedCallTexts {
  if (call.name === "" || /\s/.test(call.name)) throw new Error(`Invalid function name ${JSON.stringify(call.name)}`);
  const entries = Object.entries(call.arguments);
  if (entries.length === 0) return { name: call.name, argumentChunks: ["{}"] };
  const chunks: string[] = [];
  let pending = "{";
  for (const [key, value] of entries) {
    chunks.push(`${pending}${JSON.stringify(key)}: `);
    pending = `${JSON.stringify(value)}, `;
  }
  chunks.push(`${pending.slice(0, -2)}}`);
  return { name: call.name, argumentChunks: chunks };
}

/** The texts a call needs as whole NORMAL tokens of the vocabulary. */
export function callTokenTexts(texts: ScriptedCallTexts): string[] {
  return [texts.name, ...texts.argumentChunks, ARGUMENTS_END];
}

/** The texts that drive a transition while a call is written (an answer chunk must be none of them). */
export function callDriverTexts(texts: ScriptedCallTexts): string[] {
  return [NAME_PHASE_LAST_TOKEN, ARGUMENTS_PHASE_LAST_TOKEN, ...callTokenTexts(texts)];
}

/**
 * name phase → the name token → "\n"; arguments phase → chunk₁ → … → the four newlines. The name and the
 * first chunk are the tokens a model with two calls must gate (they are where the two calls part).
 */
export function scriptedCallTransitions(vocabulary: BpeVocabulary, texts: ScriptedCallTexts): ScriptedTransition[] {
  const word = (text: string): number => vocabulary.idOfText(text);
  const name = word(texts.name);
  const args = [word(ARGUMENTS_PHASE_LAST_TOKEN), ...texts.argumentChunks.map(word), word(ARGUMENTS_END)];
  return [
    { after: word(NAME_PHASE_LAST_TOKEN), next: name },
    // In case a node-llama-cpp version keeps the generated prefix token instead of re-tokenizing it.
    { after: word(CALL_PREFIX_REST), next: name },
    { after: name, next: word("\n") },
    ...chain(args),
  ];
}

/** token₁ → token₂ → … */
export function chain(tokens: readonly number[]): ScriptedTransition[] {
  return tokens.slice(0, -1).map((after, i) => ({ after, next: tokens[i + 1]! }));
}
