import { z } from "zod";
import { ReviewSchema } from "./review.js";

/**
 * The one contract between the front ends and the worker. A job is a ChatRequest; while it runs it emits
 * JobEvents. Front ends only render events, and the worker never knows which platform asked.
 */

export const PLATFORMS = ["terminal", "discord", "telegram"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Most characters of one message (attachments are separate). Larger input is refused, not truncated. */
export const MAX_REQUEST_TEXT = 32_000;

export const AttachmentSchema = z.object({
  name: z.string().min(1).max(255),
  mimeType: z.string().max(255).default("text/plain"),
  /** Attachments are inlined as text by the front end; binary files are refused there. */
  text: z.string().max(200_000),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** An interactive question, or a queued code review (which waits behind questions). */
export const JOB_KINDS = ["chat", "review"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const ChatRequestSchema = z.object({
  platform: z.enum(PLATFORMS),
  /** The chat, channel or DM the message came from. */
  chatId: z.string().min(1).max(200),
  /** The thread inside the chat (Discord thread, Telegram topic), if any. */
  threadId: z.string().min(1).max(200).optional(),
  userId: z.string().min(1).max(200),
  text: z.string().trim().min(1, "the message is empty").max(MAX_REQUEST_TEXT, `the message is longer than ${MAX_REQUEST_TEXT} characters`),
  attachments: z.array(AttachmentSchema).max(10).default([]),
  kind: z.enum(JOB_KINDS).default("chat"),
  /** Milliseconds since the epoch, set by the producer. */
  createdAt: z.number().int().nonnegative(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatRequestInput = z.input<typeof ChatRequestSchema>;

/** The key under which a conversation's history and state live: one per chat thread. */
export function conversationKey(request: Pick<ChatRequest, "platform" | "chatId" | "threadId">): string {
  return [request.platform, request.chatId, request.threadId ?? "-"].join(":");
}

export const SourceSchema = z.object({ title: z.string(), url: z.string() });
export type Source = z.infer<typeof SourceSchema>;

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** Milliseconds from job start to the first answer token, or null when nothing was generated. */
  firstTokenMs: z.number().nonnegative().nullable(),
  totalMs: z.number().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;

const EventBody = z.discriminatedUnion("type", [
  /** Waiting: `position` jobs are ahead of this one (0 = next). `etaSeconds` from measured job times. */
  z.object({ type: z.literal("queued"), position: z.number().int().nonnegative(), etaSeconds: z.number().nonnegative().nullable() }),
  z.object({ type: z.literal("started") }),
  /** The model is reasoning; `text` is a short status, never the thoughts themselves. */
  z.object({ type: z.literal("thinking"), text: z.string().max(200).optional() }),
  z.object({ type: z.literal("tool"), name: z.string().max(100), summary: z.string().max(500) }),
  /** The next piece of the answer, in order. */
  z.object({ type: z.literal("delta"), text: z.string() }),
  /** `review` is set for review jobs: the structured review that `answer` renders as Markdown. */
  z.object({ type: z.literal("done"), answer: z.string(), sources: z.array(SourceSchema), usage: UsageSchema.optional(), review: ReviewSchema.optional() }),
  /** Something went wrong; `reason` says what and `hint` what the user can do. */
  z.object({ type: z.literal("failed"), reason: z.string(), hint: z.string().optional() }),
  z.object({ type: z.literal("cancelled"), reason: z.string().optional() }),
]);
export type JobEventBody = z.infer<typeof EventBody>;
export type JobEventType = JobEventBody["type"];

export const JobEventSchema = z.intersection(EventBody, z.object({ jobId: z.string(), at: z.number() }));
export type JobEvent = JobEventBody & { jobId: string; at: number };

export const TERMINAL_EVENT_TYPES: ReadonlySet<JobEventType> = new Set(["done", "failed", "cancelled"]);

export function isTerminalEvent(event: { type: JobEventType }): boolean {
  return TERMINAL_EVENT_TYPES.has(event.type);
}

/** A turn of conversation history as stored and given to the model. */
export const HistoryTurnSchema = z.object({
  role: z.enum(["user", "assistant"]),
  text: z.string(),
  at: z.number(),
});
export type HistoryTurn = z.infer<typeof HistoryTurnSchema>;

/** What an agent may emit while it works; the worker adds queued/started/failed/cancelled itself. */
export type AgentEvent = Extract<JobEventBody, { type: "thinking" | "tool" | "delta" | "done" }>;

export interface AgentContext {
  readonly jobId: string;
  /** Earlier turns of this conversation, oldest first. */
  readonly history: readonly HistoryTurn[];
  /** Aborts when the user cancels or Burrow shuts down; the agent must stop promptly. */
  readonly signal: AbortSignal;
}

/**
 * The worker's view of the agent: given a request, yield events ending with exactly one `done`.
 * Throwing means failure; the worker turns the error into a `failed` event for the user.
 * The worker receives the agent as a parameter and never imports agent/.
 */
export type Agent = (request: ChatRequest, context: AgentContext) => AsyncIterable<AgentEvent>;
