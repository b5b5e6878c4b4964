// What every model builder returns, and the one place that turns model content into a file.
import { GgufValueType } from "../gguf/gguf-types.js";
import { writeGgufFile } from "../gguf/gguf-writer.js";
import type { GgufModelContent } from "../gguf/qwen2-model.js";

export interface ModelFileInfo {
  readonly path: string;
  /** File size in bytes. */
  readonly bytes: number;
  readonly vocabularySize: number;
  readonly tensorCount: number;
}

export async function writeModelFile(path: string, content: GgufModelContent): Promise<ModelFileInfo> {
  const { bytes } = await writeGgufFile(path, content);
  const tokens = content.metadata.find((entry) => entry.key === "tokenizer.ggml.tokens");
  const vocabularySize = tokens?.value.type === GgufValueType.Array ? tokens.value.items.length : 0;
  return { path, bytes, vocabularySize, tensorCount: content.tensors.length };
}
