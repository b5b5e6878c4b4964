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
// Two calls (`then`): a second flag, raised by a USER_DEFINED marker word that the second call's result
// contains (e.g. a word on the page that read_page returns), splits the turn in three: no <tool_response> in
// the context → the first call; a <tool_response> but no marker → the second call; the marker → the answer.
// The two names and the first chunks of the two argument objects are gated on <tool_response> (that is where
// the calls part), so they must differ; <tool_call> and the answer are gated on the marker.
//
// Limits: the model only knows WHETHER a <tool_response> (or the marker) is anywhere in its context. So it
// makes one call (or one pair) per session: a later prompt in the same chat (tool result still in the history)
// is answered without a call. It cannot count calls: `calls` is 1 or Infinity (call after every tool result,
// never answer). A second call whose result lacks the marker is made again after every result.
import { GGML_TYPE_OF_DTYPE, type WeightDtype } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, END_OF_TEXT, IM_END, IM_START } from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition } from "./scripted-transformer.js";
import { splitWords } from "./scripted-chat-model.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";
import {
  CALL_PREFIX_REST,
  callDriverTexts,
  callTokenTexts,
  chain,
  scriptedCallTexts,
  scriptedCallTransitions,
  type ScriptedCallTexts,
  type ScriptedToolCall,
} from "./scripted-tool-call.js";

export type { ScriptedToolCall, ToolArgumentValue } from "./scripted-tool-call.js";

export const TOOL_CALLER_ANSWER = "Tool result received.";

export interface ToolCallerModelOptions {
  /** The scripted call. Default: the grammar chooses the function and its arguments. */
  readonly call?: ScriptedToolCall;
  /**
   * A second scripted call, made after the first call's result (needs `call`), and the marker word that
   * ends the calls: with `marker` in its context the model answers. The marker becomes a USER_DEFINED token,
   * so llama.cpp finds it anywhere in text, even inside a longer word; the second call's result should
   * contain it, the first call's result must not.
   */
  readonly then?: { readonly call: ScriptedToolCall; readonly marker: string };
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
  /** The second call and the marker that ends the calls, when scripted. */
  readonly then: { readonly call: ScriptedToolCall; readonly marker: string } | undefined;
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
  const { call, then } = options;
  const callTexts = call ? scriptedCallTexts(call) : undefined;
  const thenTexts = then ? secondCallTexts(then, callTexts, calls) : undefined;
  const scripted = [callTexts, thenTexts].filter((texts): texts is ScriptedCallTexts => texts !== undefined);

  // Tokens that already drive a transition; an answer chunk must not be one of them.
  const reserved = new Set(["\n", CALL_PREFIX_REST, ...scripted.flatMap(callDriverTexts)]);
  const answerChunks = uniqueChunks(splitWords(answerText), reserved);
  const vocabulary = buildBpeVocabulary({
    extraNormalTokens: [CALL_PREFIX_REST, ...answerChunks, ...scripted.flatMap(callTokenTexts)],
    extraUserDefinedTokens: then ? [then.marker] : [],
  });
  const word = (text: string): number => vocabulary.idOfText(text);
  const newline = word("\n");
  const toolCall = vocabulary.idOf("<tool_call>");
  const answer = [...answerChunks.map(word), vocabulary.idOf(IM_END)];
  const callsForever = calls === Infinity;
  // One call: call until a tool result is in the context. Two: until the marker is.
  const done = then ? "marker" : "toolResult";
  const gates = new Map<number, FlagCondition>(callsForever ? [] : [
    [toolCall, { [done]: false }],
    [answer[0]!, { [done]: true }],
  ]);
  if (callTexts && thenTexts) {
    // Where the two calls part: the name, and the first chunk of the arguments.
    gates.set(word(callTexts.name), { toolResult: false });
    gates.set(word(thenTexts.name), { toolResult: true });
    gates.set(word(callTexts.argumentChunks[0]!), { toolResult: false });
    gates.set(word(thenTexts.argumentChunks[0]!), { toolResult: true });
  }

  const content = buildScriptedModel(
    {
      name: "burrow-test-tool-caller",
      vocabulary,
      flags: [
        { name: "toolResult", marker: vocabulary.idOf("<tool_response>") },
        ...(then ? [{ name: "marker", marker: vocabulary.idOf(then.marker) }] : []),
      ],
      transitions: [
        { after: newline, next: toolCall },
        ...(callsForever ? [] : [{ after: newline, next: answer[0]! }]),
        { after: toolCall, next: word(CALL_PREFIX_REST) },
        ...(callsForever ? [] : chain(answer)),
        ...scripted.flatMap((texts) => scriptedCallTransitions(vocabulary, texts)),
        // node-llama-cpp writes the call's closing "}\n</tool_call>"; ending the turn there means one call per turn.
        { after: vocabulary.idOf("</tool_call>"), next: vocabulary.idOf(IM_END) },
      ],
      gates,
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
    then,
    calls,
    argumentsText: callTexts?.argumentChunks.join(""),
  };
}

/** The second call's texts, refused when the model could not tell it from the first. */
function secondCallTexts(then: NonNullable<ToolCallerModelOptions["then"]>, first: ScriptedCallTexts | undefined, calls: number): ScriptedCallTexts {
  if (!first) throw new Error("then needs a first call (call)");
  if (calls !== 1) throw new Error("then cannot be combined with calls: Infinity");
  if (then.marker === "" || /\s/.test(then.marker)) throw new Error(`Invalid marker ${JSON.stringify(then.marker)}`);
  const second = scriptedCallTexts(then.call);
  if (second.name === first.name) throw new Error(`the two calls must be to different functions (both call ${first.name})`);
  if (second.argumentChunks[0] === first.argumentChunks[0]) {
    throw new Error(`the two calls' arguments must start differently (both start ${JSON.stringify(first.argumentChunks[0])})`);
  }
  return second;
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
