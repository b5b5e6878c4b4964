import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  ChannelKind,
  dmChannelPayload,
  memberPayload,
  messagePayload,
  textChannelPayload,
  threadPayload,
  userPayload,
  type AttachmentPayload,
  type ChannelPayload,
  type MessagePayload,
  type UserPayload,
} from "./payloads.js";

/**
 * A local stand-in for Discord: the REST API (`/api/v10/...`), the WebSocket gateway (`/gateway`) and the
 * attachment CDN (`/attachments/...`) on one loopback port, so the real discord.js client can be driven
 * end to end. Tests play the people (`post`, `dm`, `react`, `command`) and read what the bot did from
 * `requests` and the stored messages. It holds one bot, its guilds and channels, and every message.
 */

/** One REST request as the fake received it. */
export interface RecordedRestRequest {
  readonly method: string;
  /** The path after /api/v10, decoded (`@original`, not `%40original`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** JSON body, or `payload_json` of a multipart body. */
  readonly body: unknown;
  /** Files of a multipart body. */
  readonly files: readonly { readonly name: string; readonly content: string }[];
  /** The HTTP status the fake answered. */
  readonly status: number;
  readonly at: number;
}

/** A message as stored: the current payload plus every content it has had, and files sent with it. */
export interface StoredMessage {
  payload: MessagePayload;
  /** Contents in order: the first as created, then one per edit. */
  readonly contents: string[];
  readonly files: { readonly name: string; readonly content: string }[];
  /** `allowed_mentions` of the request that created it and of each edit. */
  readonly allowedMentions: unknown[];
  /** Reactions the bot added, and the ones it took back. */
  readonly reactions: string[];
  readonly removedReactions: string[];
}

export interface FakeGuild {
  readonly id: string;
  readonly name: string;
  /** Channel ids by name. */
  readonly channels: Readonly<Record<string, string>>;
}

interface RateLimitRule {
  readonly method: string;
  readonly path: RegExp;
  readonly retryAfterSeconds: number;
}

export interface FakeDiscordOptions {
  readonly botName?: string;
  /** When set, an IDENTIFY with another token is closed with 4004 (Authentication failed), as Discord does. */
  readonly token?: string;
}

const API_PREFIX = "/api/v10";

export class FakeDiscord {
  readonly bot: UserPayload;
  readonly applicationId: string;
  /** Every REST request, in order (attachment downloads not included). */
  readonly requests: RecordedRestRequest[] = [];
  /** 429 answers sent, with when. */
  readonly rateLimited: { readonly method: string; readonly path: string; readonly at: number; readonly retryAfterSeconds: number }[] = [];
  /** Attachment downloads (the CDN stand-in), by path. */
  readonly downloads: string[] = [];
  /** Gateway IDENTIFY payloads received. */
  readonly identifies: { intents: number; token: string }[] = [];
  /** Application commands registered (global), by name. */
  readonly commands = new Map<string, { id: string; name: string; options?: unknown[] }>();

  private readonly server = createServer((request, response) => void this.handle(request, response));
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly sequences = new Map<WebSocket, number>();
  private readonly tcp = new Set<Socket>();
  private readonly changes = new EventEmitter();
  private readonly guilds: FakeGuild[] = [];
  private readonly channels = new Map<string, ChannelPayload>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly messageOrder = new Map<string, string[]>();
  private readonly dmChannels = new Map<string, string>();
  private readonly files = new Map<string, { content: Buffer; type: string }>();
  private readonly interactions = new Map<string, { channelId: string; guildId: string | undefined; originalId?: string }>();
  private readonly rateLimits: RateLimitRule[] = [];
  private nextId = 1_200_000_000_000_000_000n;
  private port = 0;
  /** "silent": IDENTIFY is never answered (a gateway that hangs before READY). */
  private gatewayMode: "normal" | "silent" = "normal";

  constructor(private readonly options: FakeDiscordOptions = {}) {
    this.bot = userPayload(this.snowflake(), options.botName ?? "burrow", true);
    this.applicationId = this.bot.id;
    this.changes.setMaxListeners(100);
    this.server.on("connection", (socket) => {
      this.tcp.add(socket);
      socket.on("close", () => this.tcp.delete(socket));
    });
    this.server.on("upgrade", (request, socket, head) => {
      if (!request.url?.startsWith("/gateway")) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.onGateway(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The REST base to give discord.js (`rest.api`): it appends /v10 itself. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open gateway connections (0 once the client is destroyed). */
  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    for (const socket of this.tcp) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- world set-up (before the client logs in) ----

  /** A guild with text channels; the bot is a member of it. */
  addGuild(name: string, channelNames: readonly string[]): FakeGuild {
    const id = this.snowflake();
    const channels: Record<string, string> = {};
    channelNames.forEach((channelName, position) => {
      const channel = textChannelPayload(this.snowflake(), id, channelName, position);
      this.channels.set(channel.id, channel);
      channels[channelName] = channel.id;
    });
    const guild = { id, name, channels };
    this.guilds.push(guild);
    return guild;
  }

  addUser(username: string): UserPayload {
    return userPayload(this.snowflake(), username);
  }

  /** A file on the fake CDN, as an attachment payload for `post`, `dm` or a command option. */
  addAttachment(filename: string, content: string | Buffer, contentType = "text/plain; charset=utf-8"): AttachmentPayload {
    const id = this.snowflake();
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const path = `/attachments/${id}/${encodeURIComponent(filename)}`;
    this.files.set(path, { content: bytes, type: contentType });
    return { id, filename, size: bytes.length, url: `${this.origin}${path}`, proxy_url: `${this.origin}${path}`, content_type: contentType };
  }

  /** The next `count` requests matching method and path are answered 429 with this Retry-After. */
  rateLimitNext(method: string, path: RegExp, retryAfterSeconds: number, count = 1): void {
    for (let i = 0; i < count; i++) this.rateLimits.push({ method: method.toUpperCase(), path, retryAfterSeconds });
  }

  // ---- people acting (gateway dispatches) ----

  /** `author` writes in a guild channel or thread; `mentionBot` puts `<@bot>` first and in `mentions`. */
  post(channelId: string, author: UserPayload, text: string, options: { mentionBot?: boolean; attachments?: AttachmentPayload[] } = {}): MessagePayload {
    const channel = this.channel(channelId);
    const content = options.mentionBot ? `<@${this.bot.id}> ${text}` : text;
    const message = messagePayload({
      id: this.snowflake(),
      channel_id: channelId,
      guild_id: channel.guild_id,
      author,
      member: memberPayload(author),
      content,
      mentions: options.mentionBot ? [this.bot] : [],
      attachments: options.attachments ?? [],
    });
    this.store(message);
    this.dispatch("MESSAGE_CREATE", message);
    return message;
  }

  /** `author` writes to the bot in a direct message. */
  dm(author: UserPayload, text: string, options: { attachments?: AttachmentPayload[] } = {}): MessagePayload {
    const channelId = this.dmChannelOf(author);
    const message = messagePayload({ id: this.snowflake(), channel_id: channelId, author, content: text, channel_type: ChannelKind.DM, attachments: options.attachments ?? [] });
    this.store(message);
    this.dispatch("MESSAGE_CREATE", message);
    return message;
  }

  /** The DM channel between the bot and `user` (created on first use). */
  dmChannelOf(user: UserPayload): string {
    let id = this.dmChannels.get(user.id);
    if (!id) {
      id = this.snowflake();
      this.dmChannels.set(user.id, id);
      this.channels.set(id, dmChannelPayload(id, user));
    }
    return id;
  }

  /** `user` adds the reaction `emoji` (a unicode emoji) to a message. */
  react(channelId: string, messageId: string, user: UserPayload, emoji: string): void {
    const channel = this.channel(channelId);
    this.dispatch("MESSAGE_REACTION_ADD", {
      user_id: user.id,
      channel_id: channelId,
      message_id: messageId,
      ...(channel.guild_id ? { guild_id: channel.guild_id, member: memberPayload(user) } : {}),
      emoji: { id: null, name: emoji },
      burst: false,
      type: 0,
    });
  }

  /** `user` runs a slash command in a channel; returns the interaction id. Attachment options take a payload. */
  command(name: string, options: Record<string, string | AttachmentPayload>, user: UserPayload, channelId: string): string {
    const channel = this.channel(channelId);
    const command = this.commands.get(name);
    const id = this.snowflake();
    const token = `interaction-token-${id}`;
    const attachments: Record<string, AttachmentPayload> = {};
    const optionList = Object.entries(options).map(([optionName, value]) => {
      if (typeof value === "string") return { name: optionName, type: 3, value };
      attachments[value.id] = value;
      return { name: optionName, type: 11, value: value.id };
    });
    this.interactions.set(token, { channelId, guildId: channel.guild_id });
    this.dispatch("INTERACTION_CREATE", {
      id,
      application_id: this.applicationId,
      type: 2,
      token,
      version: 1,
      data: {
        id: command?.id ?? this.snowflake(),
        name,
        type: 1,
        options: optionList,
        ...(Object.keys(attachments).length > 0 ? { resolved: { attachments } } : {}),
      },
      channel: channel.type === ChannelKind.DM ? { id: channel.id, type: channel.type, recipients: channel.recipients } : channel,
      channel_id: channelId,
      ...(channel.guild_id ? { guild_id: channel.guild_id, member: memberPayload(user) } : { user }),
      entitlements: [],
      locale: "en-US",
      app_permissions: "2251799813685247",
      authorizing_integration_owners: {},
      context: channel.guild_id ? 0 : 1,
    });
    return id;
  }

  // ---- reading what happened ----

  message(id: string): StoredMessage | undefined {
    return this.messages.get(id);
  }

  /** Messages in a channel or thread, oldest first. */
  messagesIn(channelId: string): StoredMessage[] {
    return (this.messageOrder.get(channelId) ?? []).map((id) => this.messages.get(id)!);
  }

  /** Messages the bot posted in a channel or thread, oldest first. */
  botMessagesIn(channelId: string): StoredMessage[] {
    return this.messagesIn(channelId).filter((m) => m.payload.author.id === this.bot.id);
  }

  /** Threads, by parent channel. */
  threadsOf(parentId: string): ChannelPayload[] {
    return [...this.channels.values()].filter((c) => c.type === ChannelKind.PublicThread && c.parent_id === parentId);
  }

  /** Resolves when `predicate` holds (checked after every REST request and dispatch), or throws after `timeoutMs`. */
  async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.changes.off("change", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 200));
        this.changes.once("change", done);
      });
    }
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.rateLimited.length = 0;
    this.downloads.length = 0;
  }

  // ---- gateway ----

  /** Sends a dispatch (op 0) to every connected client. */
  dispatch(type: string, data: unknown): void {
    for (const ws of this.sockets) this.send(ws, { op: 0, t: type, d: data });
    this.changes.emit("change");
  }

  private onGateway(ws: WebSocket): void {
    this.sockets.add(ws);
    this.sequences.set(ws, 0);
    ws.on("close", () => {
      this.sockets.delete(ws);
      this.sequences.delete(ws);
      this.changes.emit("change");
    });
    ws.on("message", (raw: Buffer) => {
      let packet: { op: number; d: unknown };
      try {
        packet = JSON.parse(raw.toString("utf8")) as { op: number; d: unknown };
      } catch {
        ws.close(4002, "Decode error");
        return;
      }
      if (packet.op === 1) ws.send(JSON.stringify({ op: 11 }));
      else if (packet.op === 2) this.onIdentify(ws, packet.d as { token: string; intents: number });
      else if (packet.op === 6) this.send(ws, { op: 0, t: "RESUMED", d: {} });
    });
    // A long interval: tests are short, and op 1 is answered anyway.
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
  }

  /** How the gateway answers IDENTIFY from now on. */
  setGatewayMode(mode: "normal" | "silent"): void {
    this.gatewayMode = mode;
  }

  private onIdentify(ws: WebSocket, identify: { token: string; intents: number }): void {
    this.identifies.push({ intents: identify.intents, token: identify.token });
    this.changes.emit("change");
    if (this.gatewayMode === "silent") return;
    if (this.options.token !== undefined && identify.token.replace(/^Bot /, "") !== this.options.token) {
      ws.close(4004, "Authentication failed.");
      return;
    }
    this.send(ws, {
      op: 0,
      t: "READY",
      d: {
        v: 10,
        user: this.bot,
        guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: `session-${this.snowflake()}`,
        resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
        application: { id: this.applicationId, flags: 0 },
        private_channels: [],
      },
    });
    for (const guild of this.guilds) {
      this.send(ws, {
        op: 0,
        t: "GUILD_CREATE",
        d: {
          id: guild.id,
          name: guild.name,
          unavailable: false,
          owner_id: this.bot.id,
          member_count: 2,
          channels: Object.values(guild.channels).map((id) => this.channel(id)),
          threads: [],
          members: [memberPayload(this.bot)],
          roles: [{ id: guild.id, name: "@everyone", permissions: "2251799813685247", position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
          emojis: [],
          stickers: [],
          features: [],
          voice_states: [],
          presences: [],
          joined_at: new Date(0).toISOString(),
        },
      });
    }
    this.changes.emit("change");
  }

  private send(ws: WebSocket, packet: { op: number; t?: string; d: unknown }): void {
    if (ws.readyState !== ws.OPEN) return;
    const s = (this.sequences.get(ws) ?? 0) + 1;
    this.sequences.set(ws, s);
    ws.send(JSON.stringify({ ...packet, s: packet.op === 0 ? s : null }));
  }

  // ---- REST ----

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? "/", "http://fake.invalid");
    const raw = await readBody(incoming);
    if (url.pathname.startsWith("/attachments/")) {
      this.downloads.push(url.pathname);
      const file = this.files.get(url.pathname);
      if (!file) return reply(response, 404, { message: "Not Found" });
      response.writeHead(200, { "content-type": file.type, "content-length": String(file.content.length) });
      response.end(file.content);
      return;
    }
    if (!url.pathname.startsWith(API_PREFIX)) return reply(response, 404, { message: "404: Not Found", code: 0 });
    const path = decodeURIComponent(url.pathname.slice(API_PREFIX.length));
    const method = incoming.method ?? "GET";
    const { body, files } = await parseBody(incoming.headers["content-type"] ?? "", raw);
    const record = (status: number) =>
      this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body, files, status, at: Date.now() });

    const auth = incoming.headers.authorization ?? "";
    // Interaction callbacks and webhooks are authorised by their token in the path, not the bot token.
    const needsAuth = !path.startsWith("/interactions/") && !path.startsWith("/webhooks/");
    if (needsAuth && this.options.token !== undefined && auth !== `Bot ${this.options.token}`) {
      record(401);
      reply(response, 401, { message: "401: Unauthorized", code: 0 });
      this.changes.emit("change");
      return;
    }

    const limit = this.rateLimits.findIndex((rule) => rule.method === method && rule.path.test(path));
    if (limit >= 0) {
      const rule = this.rateLimits.splice(limit, 1)[0]!;
      record(429);
      this.rateLimited.push({ method, path, at: Date.now(), retryAfterSeconds: rule.retryAfterSeconds });
      response.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(rule.retryAfterSeconds),
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": String(rule.retryAfterSeconds),
        "x-ratelimit-bucket": "fake-bucket",
        "x-ratelimit-scope": "user",
      });
      response.end(JSON.stringify({ message: "You are being rate limited.", retry_after: rule.retryAfterSeconds, global: false }));
      this.changes.emit("change");
      return;
    }

    let status = 200;
    let answer: unknown;
    try {
      answer = this.route(method, path, url.searchParams, body, files);
      if (answer === undefined) status = 204;
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      answer = { message: (error as Error).message, code: 0 };
    }
    record(status);
    reply(response, status, answer);
    this.changes.emit("change");
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown, files: StoredMessage["files"]): unknown {
    const parts = path.split("/").filter(Boolean);
    const [a, b, c, d, e, f] = parts;
    const json = (body ?? {}) as Record<string, unknown>;
    if (method === "GET" && path === "/gateway/bot") {
      return { url: `ws://127.0.0.1:${this.port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 } };
    }
    if (method === "GET" && path === "/gateway") return { url: `ws://127.0.0.1:${this.port}/gateway` };
    if (method === "GET" && path === "/users/@me") return this.bot;
    if (a === "applications" && method === "PUT" && (parts.length === 3 || parts.length === 5)) {
      const list = (Array.isArray(body) ? body : []) as { name: string; options?: unknown[] }[];
      const registered = list.map((command) => ({ ...command, id: this.snowflake(), application_id: this.applicationId, version: this.snowflake(), type: 1 }));
      if (parts.length === 3) {
        this.commands.clear();
        for (const command of registered) this.commands.set(command.name, command);
      }
      return registered;
    }
    if (a === "channels" && b) {
      const channel = this.channel(b);
      if (method === "GET" && parts.length === 2) return channel;
      if (c === "typing" && method === "POST") return undefined;
      if (c === "threads" && method === "POST" && parts.length === 3) return this.createThread(channel, String(json.name ?? "thread"));
      if (c === "messages") {
        if (method === "POST" && parts.length === 3) return this.createBotMessage(b, json, files).payload;
        const stored = d ? this.messages.get(d) : undefined;
        if (!stored || stored.payload.channel_id !== b) throw new HttpError(404, "Unknown Message");
        if (method === "GET" && parts.length === 4) return stored.payload;
        if (method === "PATCH" && parts.length === 4) return this.editMessage(stored, json, files);
        if (method === "DELETE" && parts.length === 4) {
          this.messages.delete(stored.payload.id);
          this.messageOrder.set(b, (this.messageOrder.get(b) ?? []).filter((id) => id !== stored.payload.id));
          return undefined;
        }
        if (e === "threads" && method === "POST") {
          const thread = this.createThread(channel, String(json.name ?? "thread"), stored.payload.id);
          return thread;
        }
        if (e === "reactions" && f && method === "PUT") {
          stored.reactions.push(f);
          return undefined;
        }
        if (e === "reactions" && f && method === "DELETE") {
          stored.removedReactions.push(f);
          return undefined;
        }
      }
    }
    if (a === "interactions" && b && c && d === "callback" && method === "POST") {
      const interaction = this.interactions.get(c);
      if (!interaction) throw new HttpError(404, "Unknown interaction");
      const data = (json.data ?? {}) as Record<string, unknown>;
      const type = Number(json.type);
      // 4 = reply with a message; 5 = deferred ("is thinking…"), which also shows a message.
      const message = this.createBotMessage(interaction.channelId, type === 5 ? { ...data, content: "" } : data, files, { interaction: true });
      interaction.originalId = message.payload.id;
      if (query.get("with_response") !== "true") return undefined;
      return {
        interaction: { id: b, type: 2, activity_instance_id: null, response_message_id: message.payload.id, response_message_loading: type === 5, response_message_ephemeral: false },
        resource: { type, message: message.payload },
      };
    }
    if (a === "webhooks" && b === this.applicationId && c) {
      const interaction = this.interactions.get(c);
      if (!interaction) throw new HttpError(404, "Unknown Webhook");
      if (method === "POST" && parts.length === 3) return this.createBotMessage(interaction.channelId, json, files, { interaction: true }).payload;
      if (d === "messages" && e) {
        const id = e === "@original" ? interaction.originalId : e;
        const stored = id ? this.messages.get(id) : undefined;
        if (!stored) throw new HttpError(404, "Unknown Message");
        if (method === "GET") return stored.payload;
        if (method === "PATCH") return this.editMessage(stored, json, files);
      }
    }
    throw new HttpError(404, `fake Discord has no route for ${method} ${path}`);
  }

  private createThread(parent: ChannelPayload, name: string, fromMessageId?: string): ChannelPayload {
    if (parent.type !== ChannelKind.GuildText || !parent.guild_id) throw new HttpError(400, "Cannot create a thread here");
    // The thread started from a message has that message's id, as on Discord.
    const thread = threadPayload(fromMessageId ?? this.snowflake(), parent.guild_id, parent.id, name.slice(0, 100), this.bot.id);
    this.channels.set(thread.id, thread);
    return thread;
  }

  private createBotMessage(channelId: string, json: Record<string, unknown>, files: StoredMessage["files"], options: { interaction?: boolean } = {}): StoredMessage {
    const channel = this.channel(channelId);
    const message = messagePayload({
      id: this.snowflake(),
      channel_id: channelId,
      guild_id: channel.guild_id,
      author: this.bot,
      content: typeof json.content === "string" ? json.content : "",
      attachments: files.map((file) => ({ id: this.snowflake(), filename: file.name, size: Buffer.byteLength(file.content), url: `${this.origin}/attachments/x/${file.name}`, proxy_url: "" })),
      ...(options.interaction ? { webhook_id: this.applicationId, application_id: this.applicationId, type: 20 } : {}),
      // 64 = ephemeral: only the person who ran the command sees it.
      flags: typeof json.flags === "number" ? json.flags : 0,
    });
    const stored = this.store(message);
    stored.files.push(...files);
    stored.allowedMentions.push(json.allowed_mentions);
    return stored;
  }

  private editMessage(stored: StoredMessage, json: Record<string, unknown>, files: StoredMessage["files"]): MessagePayload {
    if (typeof json.content === "string") {
      stored.payload = { ...stored.payload, content: json.content, edited_timestamp: new Date().toISOString() };
      stored.contents.push(json.content);
    }
    stored.files.push(...files);
    stored.allowedMentions.push(json.allowed_mentions);
    return stored.payload;
  }

  private store(message: MessagePayload): StoredMessage {
    const stored: StoredMessage = { payload: message, contents: [message.content], files: [], allowedMentions: [], reactions: [], removedReactions: [] };
    this.messages.set(message.id, stored);
    const order = this.messageOrder.get(message.channel_id) ?? [];
    order.push(message.id);
    this.messageOrder.set(message.channel_id, order);
    return stored;
  }

  private channel(id: string): ChannelPayload {
    const channel = this.channels.get(id);
    if (!channel) throw new HttpError(404, "Unknown Channel");
    return channel;
  }

  private snowflake(): string {
    return String(this.nextId++);
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (status === 204 || body === undefined) {
    response.writeHead(204);
    response.end();
    return;
  }
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { "content-type": "application/json", "content-length": String(bytes.length) });
  response.end(bytes);
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON bodies, and multipart bodies (files + payload_json) as discord.js sends attachments. */
async function parseBody(contentType: string, raw: Buffer): Promise<{ body: unknown; files: { name: string; content: string }[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
    const files: { name: string; content: string }[] = [];
    let body: unknown;
    for (const [key, value] of form.entries()) {
      if (key === "payload_json" && typeof value === "string") body = JSON.parse(value);
      else if (typeof value !== "string") files.push({ name: value.name, content: await value.text() });
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString("utf8")), files: [] };
  } catch {
    return { body: raw.toString("utf8"), files: [] };
  }
}

