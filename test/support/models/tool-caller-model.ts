// A deterministic tool-calling model for QwenChatWrapper. With functions offered it opens a call; once a
// <tool_response> is in the context it answers a fixed sentence and ends its turn.
//
// Without `call`, node-llama-cpp's function-call grammar fills in the name and arguments freely (all offered
// names score the same, so under sampling any of them may come out; string arguments come out empty).
// With `call`, the call is scripted: the function name and the arguments object (cut at value boundaries)
// are single NORMAL tokens, and transitions from the tokens that precede them make the model write exactly
// those, through node-llama-cpp's real grammar-constrained function calling.
//
// What the context looks like at each step (QwenChatWrapper, variation "3"), and what drives the next token:
//   "<|im_start|>assistant\n"           "\n"         → <tool_call>            (no <tool_response> yet)
//   … "<tool_call>"                     <tool_call>  → '\n{"name": "'         (one token; starts function mode)
//   function-name phase: node-llama-cpp re-tokenizes the call prefix, so the context ends with BPE tokens of
//   '\n{"name": "', the last being ' "'                ' "'         → name token, name → "\n"
//   arguments phase: the context ends with BPE tokens of '", "arguments": ', the last being ' '
//                                       ' '          → '{"query": '  → '"burrow queue"}' → "\n\n\n\n"
//   node-llama-cpp writes "}\n</tool_call>"          </tool_call> → <|im_end|>  (one call per turn)
//   after the tool result: "<|im_start|>assistant\n" "\n" → answer chunk₁ → … → <|im_end|>
// The grammar still checks every token: a scripted name the session does not offer, or arguments that do not
// fit the function's schema (other keys, other order, a value outside an enum), are rejected by it, and the
// model then falls back to the grammar's free choice — the test sees the wrong call, not a hang.
//
// Limits: the model only knows WHETHER a <tool_response> is anywhere in its context. So it makes one call per
// session: a later prompt in the same chat (tool result still in the history) is answered without a call.
// It cannot count calls: `calls` is 1 or Infinity (call after every tool result, never answer).
import { GGML_TYPE_OF_DTYPE, type WeightDtype } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, END_OF_TEXT, IM_END, IM_START, type BpeVocabulary } from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition, type ScriptedTransition } from "./scripted-transformer.js";
import { splitWords } from "./scripted-chat-model.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

export const TOOL_CALLER_ANSWER = "Tool result received.";

/** What QwenChatWrapper expects after <tool_call> before the function name; one token so it is one step. */
const CALL_PREFIX_REST = '\n{"name": "';
/** Last BPE token of the re-tokenized '\n{"name": "' — the context's last token when the name is chosen. */
const NAME_PHASE_LAST_TOKEN = ' "';
/** Last BPE token of the re-tokenized '", "arguments": ' — the context's last token when arguments start. */
const ARGUMENTS_PHASE_LAST_TOKEN = " ";
/** node-llama-cpp's arguments grammar ends with four newlines (its stop trigger). */
const ARGUMENTS_END = "\n\n\n\n";

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

export interface ToolCallerModelOptions {
  /** The scripted call. Default: the grammar chooses the function and its arguments. */
  readonly call?: ScriptedToolCall;
  /** What it says after a tool result, then <|im_end|>. Default TOOL_CALLER_ANSWER. */
  readonly answer?: string;
  /**
   * How many tool calls before it answers: 1 (default) or Infinity — it calls again after every tool
   * result and never answers (for tests of a tool-step budget or cancellation). The model only sees
   * whether a <tool_response> is in its context, not how many, so no other count is possible.
   */
  readonly calls?: number;
  /** Matrix precision; every choice gives the same behaviour. Default "f32". */
  readonly dtype?: WeightDtype;
}

export interface ToolCallerModelInfo extends ModelFileInfo {
  /** What it answers after a tool result (unused when `calls` is Infinity). */
  readonly answer: string;
  readonly call: ScriptedToolCall | undefined;
  readonly calls: number;
  /** The call's arguments object exactly as the model writes it, e.g. '{"query": "burrow queue"}'. */
  readonly argumentsText: string | undefined;
}

export async function writeToolCallerModel(path: string, options: ToolCallerModelOptions = {}): Promise<ToolCallerModelInfo> {
  const answerText = options.answer ?? TOOL_CALLER_ANSWER;
  const calls = options.calls ?? 1;
  if (calls !== 1 && calls !== Infinity) {
    throw new Error(`calls must be 1 or Infinity, got ${calls}: the model sees whether a tool result is in its context, not how many`);
  }
  if (answerText === "") throw new Error("answer must not be empty");
  const call = options.call;
  const callTexts = call ? scriptedCallTexts(call) : undefined;

  // Tokens that already drive a transition; an answer chunk must not be one of them.
  const reserved = new Set(["\n", CALL_PREFIX_REST, ...(callTexts ? [NAME_PHASE_LAST_TOKEN, ARGUMENTS_PHASE_LAST_TOKEN, callTexts.name, ...callTexts.argumentChunks, ARGUMENTS_END] : [])]);
  const answerChunks = uniqueChunks(splitWords(answerText), reserved);
  const vocabulary = buildBpeVocabulary({
    extraNormalTokens: [CALL_PREFIX_REST, ...answerChunks, ...(callTexts ? [callTexts.name, ...callTexts.argumentChunks, ARGUMENTS_END] : [])],
  });
  const word = (text: string): number => vocabulary.idOfText(text);
  const newline = word("\n");
  const toolCall = vocabulary.idOf("<tool_call>");
  const answer = [...answerChunks.map(word), vocabulary.idOf(IM_END)];
  const callsForever = calls === Infinity;

  const content = buildScriptedModel(
    {
      name: "burrow-test-tool-caller",
      vocabulary,
      flags: [{ name: "toolResult", marker: vocabulary.idOf("<tool_response>") }],
      transitions: [
        { after: newline, next: toolCall },
        ...(callsForever ? [] : [{ after: newline, next: answer[0]! }]),
        { after: toolCall, next: word(CALL_PREFIX_REST) },
        ...(callsForever ? [] : chain(answer)),
        ...(callTexts ? scriptedCallTransitions(vocabulary, callTexts) : []),
        // node-llama-cpp writes the call's closing "}\n</tool_call>"; ending the turn there means one call per turn.
        { after: vocabulary.idOf("</tool_call>"), next: vocabulary.idOf(IM_END) },
      ],
      gates: new Map<number, FlagCondition>(callsForever ? [] : [
        [toolCall, { toolResult: false }],
        [answer[0]!, { toolResult: true }],
      ]),
      // Where the last token drives nothing (inside the grammar of an unscripted call), these small
      // preferences decide: close strings at once and close objects without extra whitespace.
      biases: new Map([
        [word('"'), 0.5],
        [word("}"), 0.3],
        [vocabulary.idOf(END_OF_TEXT), -2],
        [vocabulary.idOf(IM_START), -2],
      ]),
    },
    GGML_TYPE_OF_DTYPE[options.dtype ?? "f32"],
  );
  return {
    ...(await writeModelFile(path, content)),
    answer: answerText,
    call,
    calls,
    argumentsText: callTexts?.argumentChunks.join(""),
  };
}

interface ScriptedCallTexts {
  readonly name: string;
  /** The arguments object cut at value boundaries: '{"a": ', '"x", "b": ', '"y"}'. Each holds a key or the final "}", so all differ. */
  readonly argumentChunks: readonly string[];
}

function scriptedCallTexts(call: ScriptedToolCall): ScriptedCallTexts {
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

function scriptedCallTransitions(vocabulary: BpeVocabulary, texts: ScriptedCallTexts): ScriptedTransition[] {
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
function chain(tokens: readonly number[]): ScriptedTransition[] {
  return tokens.slice(0, -1).map((after, i) => ({ after, next: tokens[i + 1]! }));
}

/**
 * Every answer token drives the next one, so no chunk may repeat or be a token that drives something else:
 * such a word is joined to the chunk before it ("I see. I know." → "I", " see", ".", " I", " know.").
 */
function uniqueChunks(words: readonly string[], reserved: ReadonlySet<string>): string[] {
  const chunks: string[] = [];
  const taken = new Set(reserved);
  let current = "";
  for (const w of words) {
    current += w;
    if (!taken.has(current)) {
      chunks.push(current);
      taken.add(current);
      current = "";
    }
  }
  if (current !== "") {
    if (chunks.length === 0) throw new Error(`Cannot script the answer ${JSON.stringify(words.join(""))}`);
    chunks[chunks.length - 1] += current;
  }
  return chunks;
}
