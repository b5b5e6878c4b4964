import { pushable } from "it-pushable";
import type { Agent, AgentEvent } from "../src/contracts.js";
import type { ModelEngine } from "../models/engine.js";
import { SYSTEM_PROMPT } from "./prompts.js";

export interface ChatAgentOptions {
  readonly engine: ModelEngine;
  readonly maxTokens: number;
  readonly temperature: number;
}

/**
 * Plain chat: the conversation so far plus the new message go to the model, and the answer streams back
 * as `delta` events while it is decoded, then one `done`. (Tool use and self-correction build on this.)
 */
export function createChatAgent(options: ChatAgentOptions): Agent {
  return (request, context) => {
    const output = pushable<AgentEvent>({ objectMode: true });
    const startedAt = performance.now();
    let firstTokenMs: number | null = null;
    const userText = withAttachments(request.text, request.attachments);
    options.engine
      .generate({
        systemPrompt: SYSTEM_PROMPT,
        history: context.history,
        userText,
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        signal: context.signal,
        onText: (text) => {
          firstTokenMs ??= performance.now() - startedAt;
          output.push({ type: "delta", text });
        },
      })
      .then((result) => {
        let answer = result.text;
        if (answer.trim() === "" && result.stopReason !== "maxTokens") {
          // Say so rather than posting nothing: an empty reply looks like a hang in a chat.
          answer = "(The model gave an empty answer. Try rephrasing the question.)";
          output.push({ type: "delta", text: answer });
        }
        if (result.stopReason === "maxTokens") {
          const note = `\n\n[Answer cut off at the ${options.maxTokens}-token limit (BURROW_MAX_TOKENS).]`;
          output.push({ type: "delta", text: note });
          answer += note;
        }
        output.push({
          type: "done",
          answer,
          sources: [],
          usage: { promptTokens: result.promptTokens, completionTokens: result.completionTokens, firstTokenMs, totalMs: performance.now() - startedAt },
        });
        output.end();
      })
      .catch((error: unknown) => output.end(error as Error));
    return output;
  };
}

function withAttachments(text: string, attachments: readonly { name: string; text: string }[]): string {
  if (attachments.length === 0) return text;
  const files = attachments.map((file) => `File ${file.name}:\n\`\`\`\n${file.text}\n\`\`\``).join("\n\n");
  return `${text}\n\n${files}`;
}
