import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseMultipart } from "./multipart.js";

/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api) on loopback, enough for
 * the real grammY client: getMe, getUpdates (long polling with offset, limit and timeout), deleteWebhook,
 * setMyCommands, sendMessage, editMessageText, sendDocument (multipart), answerCallbackQuery, getFile and
 * file downloads. It records every call, keeps each chat's messages as the user would see them, lets a
 * test push updates (messages, documents, button presses) and answer a method with a 429 + retry_after.
 */

export const FAKE_BOT = { id: 7_000_000_001, is_bot: true, first_name: "Burrow Test", username: "burrow_test_bot" } as const;

export interface RecordedCall {
  readonly method: string;
  readonly payload: Record<string, unknown>;
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The HTTP status answered (200, or 429 for an injected rate limit). */
  readonly status: number;
}

export interface ChatMessage {
  readonly messageId: number;
  readonly chatId: number;
  readonly threadId: number | undefined;
  text: string;
  /** Formatting the bot sent with the text (Telegram's MessageEntity objects). */
  entities: readonly SentEntity[];
  /** The inline keyboard now attached, if any. */
  keyboard: { text: string; callback_data?: string }[][] | undefined;
  readonly replyTo: number | undefined;
  readonly linkPreviewDisabled: boolean;
  readonly fromBot: boolean;
  /** For documents the bot sent. */
  readonly document?: { readonly name: string; readonly content: string; readonly caption: string | undefined };
}

export interface SentEntity {
  readonly type: string;
  readonly offset: number;
  readonly length: number;
  readonly language?: string;
}

/** Entity types the fake accepts (the formatting Burrow may send). */
const ENTITY_TYPES = new Set(["bold", "italic", "code", "pre"]);

/**
 * Why Telegram would refuse these entities for `text`, or undefined: like the real API, an entity must lie
 * inside the text (in UTF-16 units) with a length above 0, and code/pre may not overlap any other entity.
 */
function entityProblem(text: string, entities: readonly SentEntity[]): string | undefined {
  for (const entity of entities) {
    if (!ENTITY_TYPES.has(entity.type)) return `unsupported entity type ${entity.type}`;
    if (!Number.isInteger(entity.offset) || !Number.isInteger(entity.length) || entity.offset < 0 || entity.length <= 0 || entity.offset + entity.length > text.length) {
      return `entity ${JSON.stringify(entity)} is outside the text`;
    }
  }
  const overlaps = (a: SentEntity, b: SentEntity) => a.offset < b.offset + b.length && b.offset < a.offset + a.length;
  for (const code of entities.filter((e) => e.type === "code" || e.type === "pre")) {
    if (entities.some((other) => other !== code && overlaps(code, other))) return `a ${code.type} entity overlaps another entity`;
  }
  return undefined;
}

export interface PushMessage {
  readonly chatId: number;
  readonly userId: number;
  readonly text?: string;
  /** Forum topic: the message is in this topic of a supergroup with topics. */
  readonly threadId?: number;
  readonly document?: { readonly name: string; readonly content: Buffer | string; readonly mimeType?: string; readonly caption?: string; readonly reportedSize?: number };
  readonly replyToBotMessage?: number;
  /** A reply to an earlier pushed message (e.g. `/review` in reply to a document): Telegram embeds that message. */
  readonly replyToUserMessage?: number;
}

interface Waiter {
  readonly offset: number;
  readonly limit: number;
  readonly resolve: (updates: unknown[]) => void;
}

export class FakeTelegram {
  readonly token = "123456789:TEST-token_for-the-fake-server-000";
  readonly calls: RecordedCall[] = [];
  /** Every message in every chat, by chat id then message id. */
  readonly chats = new Map<number, Map<number, ChatMessage>>();
  private readonly updates: { update_id: number; [key: string]: unknown }[] = [];
  private readonly files = new Map<string, { path: string; content: Buffer }>();
  private readonly rateLimits = new Map<string, number[]>();
  private waiters: Waiter[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1000;
  private nextCallbackId = 1;
  private server: Server | undefined;
  private port = 0;

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `host` (default 127.0.0.1; the leak test uses its namespace's address) at a random free port. */
  async start(host = "127.0.0.1"): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res).catch((error: unknown) => this.reply(res, 500, { ok: false, error_code: 500, description: String(error) })));
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const waiter of this.waiters) waiter.resolve([]);
    this.waiters = [];
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `count` calls of `method` are answered 429 with `retry_after`. */
  rateLimitNext(method: string, retryAfterSeconds: number, count = 1): void {
    this.rateLimits.set(method, [...(this.rateLimits.get(method) ?? []), ...Array<number>(count).fill(retryAfterSeconds)]);
  }

  /** A user writes to the bot. Returns the message id. */
  /** Pushed messages as sent to the bot, for replies to them. */
  private readonly pushedBodies = new Map<number, Record<string, unknown>>();

  pushMessage(message: PushMessage): number {
    const messageId = this.nextMessageId++;
    const forum = message.threadId !== undefined;
    const chat = forum ? { id: message.chatId, type: "supergroup", title: "Burrow forum", is_forum: true } : { id: message.chatId, type: "private", first_name: `User ${message.userId}` };
    const body: Record<string, unknown> = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: { id: message.userId, is_bot: false, first_name: `User ${message.userId}`, language_code: "en" },
    };
    if (forum) Object.assign(body, { message_thread_id: message.threadId, is_topic_message: true });
    if (message.replyToBotMessage !== undefined) {
      const original = this.chats.get(message.chatId)?.get(message.replyToBotMessage);
      body.reply_to_message = { message_id: message.replyToBotMessage, date: body.date, chat, from: FAKE_BOT, text: original?.text ?? "" };
    }
    if (message.replyToUserMessage !== undefined) body.reply_to_message = this.pushedBodies.get(message.replyToUserMessage);
    if (message.text !== undefined) {
      body.text = message.text;
      const entities = commandEntities(message.text);
      if (entities) body.entities = entities;
    }
    if (message.document) {
      const content = Buffer.isBuffer(message.document.content) ? message.document.content : Buffer.from(message.document.content);
      const fileId = `file-${messageId}`;
      this.files.set(fileId, { path: `documents/${fileId}-${message.document.name}`, content });
      body.document = {
        file_id: fileId,
        file_unique_id: `u${fileId}`,
        file_name: message.document.name,
        mime_type: message.document.mimeType ?? "text/plain",
        file_size: message.document.reportedSize ?? content.length,
      };
      if (message.document.caption !== undefined) {
        body.caption = message.document.caption;
        const entities = commandEntities(message.document.caption);
        if (entities) body.caption_entities = entities;
      }
    }
    this.store({ messageId, chatId: message.chatId, threadId: message.threadId, text: message.text ?? message.document?.caption ?? "", entities: [], keyboard: undefined, replyTo: undefined, linkPreviewDisabled: false, fromBot: false });
    this.pushedBodies.set(messageId, body);
    this.pushUpdate({ message: body });
    return messageId;
  }

  /** A user presses an inline button under one of the bot's messages. Returns the callback query id. */
  pressButton(options: { readonly chatId: number; readonly userId: number; readonly messageId: number; readonly data: string }): string {
    const id = `cb-${this.nextCallbackId++}`;
    const shown = this.chats.get(options.chatId)?.get(options.messageId);
    const chat = { id: options.chatId, type: "private", first_name: "User" };
    this.pushUpdate({
      callback_query: {
        id,
        from: { id: options.userId, is_bot: false, first_name: `User ${options.userId}` },
        message: { message_id: options.messageId, date: Math.floor(Date.now() / 1000), chat, from: FAKE_BOT, text: shown?.text ?? "" },
        chat_instance: `ci-${options.chatId}`,
        data: options.data,
      },
    });
    return id;
  }

  /** The messages of a chat (optionally one topic) in the order they were sent. */
  messagesIn(chatId: number, threadId?: number): ChatMessage[] {
    return [...(this.chats.get(chatId)?.values() ?? [])].filter((m) => threadId === undefined || m.threadId === threadId);
  }

  botMessagesIn(chatId: number, threadId?: number): ChatMessage[] {
    return this.messagesIn(chatId, threadId).filter((m) => m.fromBot);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Polls until `check` returns a value other than undefined/false (or throws after `timeoutMs`). */
  async waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (performance.now() > deadline) throw new Error(`fake Telegram: timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  private pushUpdate(body: Record<string, unknown>): void {
    this.updates.push({ update_id: this.nextUpdateId++, ...body });
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) this.answerWaiter(waiter);
  }

  private pending(offset: number, limit: number): unknown[] {
    return this.updates.filter((u) => u.update_id >= offset).slice(0, limit);
  }

  private answerWaiter(waiter: Waiter): void {
    waiter.resolve(this.pending(waiter.offset, waiter.limit));
  }

  private store(message: ChatMessage): void {
    let chat = this.chats.get(message.chatId);
    if (!chat) this.chats.set(message.chatId, (chat = new Map()));
    chat.set(message.messageId, message);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.apiRoot);
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (req.method === "GET" && file) {
      const found = file[1] === this.token ? [...this.files.values()].find((f) => f.path === decodeURIComponent(file[2]!)) : undefined;
      if (!found) return this.reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": found.content.length });
      res.end(found.content);
      return;
    }
    const api = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!api) return this.reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (api[1] !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const method = api[2]!;
    const payload = await readPayload(req);
    const at = performance.now();
    const limited = this.rateLimits.get(method);
    if (limited && limited.length > 0) {
      const retryAfter = limited.shift()!;
      this.calls.push({ method, payload, at, status: 429 });
      return this.reply(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    }
    this.calls.push({ method, payload, at, status: 200 });
    const result = await this.handle(method, payload, req);
    if (result instanceof ApiFailure) return this.reply(res, result.code, { ok: false, error_code: result.code, description: result.description });
    this.reply(res, 200, { ok: true, result });
  }

  private async handle(method: string, p: Record<string, unknown>, req: IncomingMessage): Promise<unknown> {
    switch (method) {
      case "getMe":
        return { ...FAKE_BOT, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case "deleteWebhook":
      case "setMyCommands":
        return true;
      case "getUpdates":
        return this.getUpdates(p, req);
      case "sendMessage": {
        const text = String(p.text ?? "");
        if (text.trim() === "") return new ApiFailure(400, "Bad Request: message text is empty");
        if (text.length > 4096) return new ApiFailure(400, "Bad Request: message is too long");
        const entities = (p.entities ?? []) as SentEntity[];
        const problem = entityProblem(text, entities);
        if (problem) return new ApiFailure(400, `Bad Request: can't parse entities: ${problem}`);
        const message = this.botMessage(p, text);
        return this.asApiMessage(message);
      }
      case "editMessageText": {
        const chatId = Number(p.chat_id);
        const message = this.chats.get(chatId)?.get(Number(p.message_id));
        if (!message || !message.fromBot) return new ApiFailure(400, "Bad Request: message to edit not found");
        const text = String(p.text ?? "");
        if (text.length > 4096) return new ApiFailure(400, "Bad Request: message is too long");
        const entities = (p.entities ?? []) as SentEntity[];
        const problem = entityProblem(text, entities);
        if (problem) return new ApiFailure(400, `Bad Request: can't parse entities: ${problem}`);
        const keyboard = keyboardOf(p.reply_markup);
        if (text === message.text && JSON.stringify(entities) === JSON.stringify(message.entities) && JSON.stringify(keyboard) === JSON.stringify(message.keyboard)) {
          return new ApiFailure(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
        }
        message.text = text;
        message.entities = entities;
        message.keyboard = keyboard;
        return this.asApiMessage(message);
      }
      case "sendDocument": {
        const document = p.document as { name: string; content: string } | undefined;
        if (!document) return new ApiFailure(400, "Bad Request: there is no document in the request");
        const caption = typeof p.caption === "string" ? p.caption : undefined;
        const message = this.botMessage(p, caption ?? "", { name: document.name, content: document.content, caption });
        return this.asApiMessage(message);
      }
      case "answerCallbackQuery":
        return true;
      case "getFile": {
        const found = this.files.get(String(p.file_id));
        if (!found) return new ApiFailure(400, "Bad Request: invalid file_id");
        return { file_id: p.file_id, file_unique_id: `u${String(p.file_id)}`, file_size: found.content.length, file_path: found.path };
      }
      default:
        return new ApiFailure(404, `Not Found: method ${method} is not faked`);
    }
  }

  private getUpdates(p: Record<string, unknown>, req: IncomingMessage): Promise<unknown[]> {
    const offset = Number(p.offset ?? 0);
    const limit = Number(p.limit ?? 100);
    const timeout = Number(p.timeout ?? 0);
    // Updates below the offset are confirmed: Telegram forgets them.
    while (this.updates.length > 0 && this.updates[0]!.update_id < offset) this.updates.shift();
    const ready = this.pending(offset, limit);
    if (ready.length > 0 || timeout <= 0) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter: Waiter = { offset, limit, resolve: (updates) => (clearTimeout(timer), resolve(updates)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve([]);
      }, timeout * 1000);
      req.socket.once("close", () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      });
      this.waiters.push(waiter);
    });
  }

  private botMessage(p: Record<string, unknown>, text: string, document?: ChatMessage["document"]): ChatMessage {
    const chatId = Number(p.chat_id);
    const reply = p.reply_parameters as { message_id?: number } | undefined;
    const preview = p.link_preview_options as { is_disabled?: boolean } | undefined;
    const message: ChatMessage = {
      messageId: this.nextMessageId++,
      chatId,
      threadId: p.message_thread_id === undefined ? undefined : Number(p.message_thread_id),
      text,
      entities: (p.entities ?? []) as SentEntity[],
      keyboard: keyboardOf(p.reply_markup),
      replyTo: reply?.message_id,
      linkPreviewDisabled: preview?.is_disabled === true,
      fromBot: true,
      document,
    };
    this.store(message);
    return message;
  }

  private asApiMessage(message: ChatMessage): Record<string, unknown> {
    return {
      message_id: message.messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: message.chatId, type: message.threadId === undefined ? "private" : "supergroup" },
      from: FAKE_BOT,
      ...(message.threadId === undefined ? {} : { message_thread_id: message.threadId, is_topic_message: true }),
      ...(message.document ? { document: { file_id: `sent-${message.messageId}`, file_unique_id: `s${message.messageId}`, file_name: message.document.name }, caption: message.document.caption } : { text: message.text }),
    };
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }
}

class ApiFailure {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {}
}

function commandEntities(text: string): { type: "bot_command"; offset: number; length: number }[] | undefined {
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return command ? [{ type: "bot_command", offset: 0, length: command[0].length }] : undefined;
}

function keyboardOf(markup: unknown): ChatMessage["keyboard"] {
  const parsed = typeof markup === "string" ? (JSON.parse(markup) as unknown) : markup;
  const rows = (parsed as { inline_keyboard?: ChatMessage["keyboard"] } | undefined)?.inline_keyboard;
  return rows && rows.length > 0 ? rows : undefined;
}

/** JSON bodies, and multipart/form-data as grammY sends it for uploads (files become {name, content}). */
async function readPayload(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  if (body.length === 0) return {};
  if (type.startsWith("application/json")) return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  const boundary = /boundary=([^;]+)/.exec(type)?.[1];
  if (type.startsWith("multipart/form-data") && boundary) {
    const parts = parseMultipart(body, boundary);
    const payload: Record<string, unknown> = {};
    const files = new Map(parts.filter((part) => part.filename !== undefined).map((part) => [part.name, part]));
    for (const part of parts) {
      if (part.filename !== undefined) continue;
      const value = part.data.toString("utf8");
      const attached = /^attach:\/\/(.+)$/.exec(value);
      const file = attached ? files.get(attached[1]!) : undefined;
      payload[part.name] = file ? { name: file.filename, content: file.data.toString("utf8") } : parseField(value);
    }
    return payload;
  }
  return { raw: body.toString("utf8") };
}

function parseField(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}
