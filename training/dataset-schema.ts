import { z } from "zod";
import { PLATFORMS } from "../src/contracts.js";

/**
 * The zod mirror of training/dataset-schema.json (the one definition the notebook's check reads); a
 * unit test converts this to JSON Schema and compares, so the two cannot drift apart.
 */
const ToolCallSchema = z.strictObject({
  type: z.literal("function"),
  function: z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) }),
});

export const DatasetMessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string(),
  name: z.string().min(1).optional(),
  tool_calls: z.array(ToolCallSchema).min(1).optional(),
});
export type DatasetMessage = z.infer<typeof DatasetMessageSchema>;

export const DatasetMetaSchema = z.strictObject({
  source: z.string().min(1),
  rating: z.int().min(-1).max(1),
  jobId: z.string().optional(),
  platform: z.enum(PLATFORMS).optional(),
  user: z.string().optional(),
  conversation: z.string().optional(),
  ratedAt: z.int().min(0).optional(),
  tools: z.array(z.strictObject({ name: z.string(), summary: z.string() })).optional(),
  sources: z.array(z.strictObject({ title: z.string(), url: z.string() })).optional(),
});

/** The structural schema (what dataset-schema.json says). */
export const DatasetExampleShape = z.strictObject({
  messages: z.array(DatasetMessageSchema).min(2),
  meta: DatasetMetaSchema,
});

/** One JSONL line: the structure plus the "x-burrow-rules" of the JSON schema. */
export const DatasetExampleSchema = DatasetExampleShape.superRefine((example, ctx) => {
  const { messages } = example;
  const last = messages.at(-1);
  if (last?.role !== "assistant" || last.tool_calls) ctx.addIssue({ code: "custom", message: "the last message must be an assistant answer without tool_calls", path: ["messages"] });
  messages.forEach((message, i) => {
    if (message.role === "system" && i !== 0) ctx.addIssue({ code: "custom", message: "a system message may only come first", path: ["messages", i] });
    if (message.tool_calls && message.role !== "assistant") ctx.addIssue({ code: "custom", message: "only assistant messages may have tool_calls", path: ["messages", i] });
    const before = messages[i - 1];
    if (message.role === "tool" && !(before && (before.role === "tool" || before.tool_calls))) ctx.addIssue({ code: "custom", message: "a tool message must follow a tool call", path: ["messages", i] });
    if (message.role === "user" && message.content.trim() === "") ctx.addIssue({ code: "custom", message: "a user message must not be empty", path: ["messages", i] });
  });
});
export type DatasetExample = z.infer<typeof DatasetExampleSchema>;
