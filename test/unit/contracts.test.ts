import { describe, expect, it } from "vitest";
import { ChatRequestSchema, JobEventSchema, MAX_REQUEST_TEXT, conversationKey, isTerminalEvent } from "../../src/contracts.js";

const base = { platform: "terminal", chatId: "c", userId: "u", text: "hi", createdAt: 1 };

describe("contracts", () => {
  it("fills defaults of a chat request", () => {
    expect(ChatRequestSchema.parse(base)).toMatchObject({ kind: "chat", attachments: [] });
  });

  it("refuses empty, oversized or unknown-platform requests with a readable reason", () => {
    const empty = ChatRequestSchema.safeParse({ ...base, text: "   " });
    expect(empty.success).toBe(false);
    expect(empty.error?.issues[0]?.message).toBe("the message is empty");
    const big = ChatRequestSchema.safeParse({ ...base, text: "x".repeat(MAX_REQUEST_TEXT + 1) });
    expect(big.error?.issues[0]?.message).toContain(`longer than ${MAX_REQUEST_TEXT}`);
    expect(ChatRequestSchema.safeParse({ ...base, platform: "irc" }).success).toBe(false);
  });

  it("keys conversations by platform, chat and thread", () => {
    expect(conversationKey({ platform: "discord", chatId: "1", threadId: "2" })).toBe("discord:1:2");
    expect(conversationKey({ platform: "telegram", chatId: "1" })).toBe("telegram:1:-");
  });

  it("validates events by type and knows which ones end a job", () => {
    const delta = JobEventSchema.parse({ type: "delta", text: "a", jobId: "j", at: 1 });
    expect(delta).toEqual({ type: "delta", text: "a", jobId: "j", at: 1 });
    expect(JobEventSchema.safeParse({ type: "queued", position: -1, etaSeconds: null, jobId: "j", at: 1 }).success).toBe(false);
    expect(JobEventSchema.safeParse({ type: "bogus", jobId: "j", at: 1 }).success).toBe(false);
    expect(isTerminalEvent({ type: "done" })).toBe(true);
    expect(isTerminalEvent({ type: "cancelled" })).toBe(true);
    expect(isTerminalEvent({ type: "delta" })).toBe(false);
  });
});
