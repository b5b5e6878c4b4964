// A deterministic tool-calling model for QwenChatWrapper: with a function offered it opens a call,
// node-llama-cpp's function-call grammar fills in the name and arguments, and once a <tool_response> is in
// the context it answers TOOL_CALLER_ANSWER and ends its turn.
import { GGML_TYPE_OF_DTYPE, type WeightDtype } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, IM_END } from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition } from "./scripted-transformer.js";
import { splitWords } from "./scripted-chat-model.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

export const TOOL_CALLER_ANSWER = "Tool result received.";

/** What QwenChatWrapper expects after <tool_call> before the function name; one token so it is one step. */
const CALL_PREFIX_REST = '\n{"name": "';

export interface ToolCallerModelOptions {
  readonly dtype?: WeightDtype;
}

export interface ToolCallerModelInfo extends ModelFileInfo {
  readonly answer: typeof TOOL_CALLER_ANSWER;
}

export async function writeToolCallerModel(path: string, options: ToolCallerModelOptions = {}): Promise<ToolCallerModelInfo> {
  const answerWords = splitWords(TOOL_CALLER_ANSWER);
  const vocabulary = buildBpeVocabulary({ extraNormalTokens: [CALL_PREFIX_REST, ...answerWords] });
  const word = (text: string): number => vocabulary.idOfText(text);
  const newline = word("\n");
  const toolCall = vocabulary.idOf("<tool_call>");
  const answer = [...answerWords.map(word), vocabulary.idOf(IM_END)];

  const content = buildScriptedModel(
    {
      name: "burrow-test-tool-caller",
      vocabulary,
      flags: [{ name: "toolResult", marker: vocabulary.idOf("<tool_response>") }],
      transitions: [
        { after: newline, next: toolCall },
        { after: newline, next: answer[0]! },
        { after: toolCall, next: word(CALL_PREFIX_REST) },
        ...answer.slice(0, -1).map((after, i) => ({ after, next: answer[i + 1]! })),
        // node-llama-cpp writes the call's closing "}\n</tool_call>"; ending the turn there means one call only.
        { after: vocabulary.idOf("</tool_call>"), next: vocabulary.idOf(IM_END) },
      ],
      gates: new Map<number, FlagCondition>([
        [toolCall, { toolResult: false }],
        [answer[0]!, { toolResult: true }],
      ]),
      // Inside the argument grammar the last token drives nothing, so these small preferences decide:
      // close strings at once and close objects without extra whitespace, keeping arguments short.
      biases: new Map([
        [word('"'), 0.5],
        [word("}"), 0.3],
        [vocabulary.idOf("<|endoftext|>"), -2],
        [vocabulary.idOf("<|im_start|>"), -2],
      ]),
    },
    GGML_TYPE_OF_DTYPE[options.dtype ?? "f32"],
  );
  return { ...(await writeModelFile(path, content)), answer: TOOL_CALLER_ANSWER };
}
