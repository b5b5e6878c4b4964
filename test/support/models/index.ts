// Test model builders: each writes a small qwen2 GGUF that real llama.cpp loads.
export type { ModelFileInfo } from "./model-file.js";
export { writeRandomTinyModel, buildRandomTinyModel, RANDOM_TINY_SHAPE, type RandomTinyModelOptions, type RandomTinyModelInfo } from "./random-model.js";
export {
  writeScriptedChatModel,
  SENTENCE_DEFAULT,
  SENTENCE_REMEMBERED,
  MARKER_REMEMBER,
  MARKER_FOREVER,
  FOREVER_WORD,
  type ScriptedChatModelOptions,
  type ScriptedChatModelInfo,
} from "./scripted-chat-model.js";
export {
  writeToolCallerModel,
  TOOL_CALLER_ANSWER,
  type ToolCallerModelOptions,
  type ToolCallerModelInfo,
  type ScriptedToolCall,
  type ToolArgumentValue,
} from "./tool-caller-model.js";
export {
  writeQwen05bShapedModel,
  buildQwen05bShapedModel,
  QWEN05B_SHAPE,
  type Qwen05bShapedModelOptions,
  type Qwen05bShapedModelInfo,
} from "./qwen05b-shaped-model.js";
export {
  buildScriptedModel,
  SCRIPTED_SHAPE,
  type ScriptedBehaviour,
  type ScriptedFlag,
  type ScriptedTransition,
  type FlagCondition,
} from "./scripted-transformer.js";
export {
  writeThinkerModel,
  THINK_FOREVER,
  FOREVER_THOUGHT_FIRST,
  FOREVER_THOUGHT_WORD,
  type ThinkerModelOptions,
  type ThinkerModelInfo,
  type ThinkerLayout,
} from "./thinker-model.js";
export { writeLoraAdapter, DEFAULT_LORA_TARGETS, type LoraAdapterOptions, type LoraAdapterFileInfo, type LoraTarget } from "./lora-adapter.js";
export { writeScriptedReviewModel, SYNTAX_MARKER, REVIEW_SUMMARY_DEFAULT, REVIEW_SUMMARY_SYNTAX, REVIEW_FINDINGS } from "./scripted-review-model.js";
