import { setTimeout as sleep } from "node:timers/promises";
import {
  ChannelType,
  Client,
  DefaultRestOptions,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  ThreadAutoArchiveDuration,
  type Attachment as DiscordAttachment,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type RESTOptions,
  type SendableChannels,
  type User,
} from "discord.js";
import type { Config } from "../../src/config.js";
import type { Attachment, JobEvent } from "../../src/contracts.js";
import { EgressRefusedError, type EgressGate } from "../../src/egress.js";
import { BurrowError, ConfigError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { AccessPolicy, NOT_ALLOWED_REPLY, qualifiedUserId } from "../access.js";
import { ChatIntake, type BotQueueAccess, type ConversationRef, type Sender } from "../chat-intake.js";
import { fitPrivacyReport, PRIVACY_ADMINS_ONLY, PRIVACY_UNAVAILABLE, type PrivacyReportSource } from "../render/privacy-text.js";
import { formatStatus, type BurrowStatus } from "../render/status-text.js";
import { DISCORD_CDN_ORIGINS, MAX_ATTACHMENT_BYTES, readAttachments } from "./attachments.js";
import { SLASH_COMMANDS } from "./commands.js";
import { CANCEL_EMOJI, DiscordSink, NO_MENTIONS, RATE_DOWN_EMOJI, RATE_UP_EMOJI } from "./discord-sink.js";
import { StoppableShardingStrategy } from "./stoppable-gateway.js";

/** Discord's limit for one message's content. */
export const DISCORD_MESSAGE_LIMIT = 2000;

export interface DiscordBotOptions {
  readonly config: Pick<Config, "discord" | "access">;
  /** The daemon's QueueAccess (with a rating store, answers get 👍/👎). */
  readonly queue: BotQueueAccess;
  /** Attachment downloads pass it (purpose "chat-platform"), and every REST call is checked and audited. */
  readonly gate: EgressGate;
  readonly logger: Logger;
  /** Model and uptime for /status (the queue counts come from the queue). */
  readonly status: () => BurrowStatus | Promise<BurrowStatus>;
  /** The egress audit summary /privacy shows to admins (only to them: the reply is ephemeral). */
  readonly privacyReport?: PrivacyReportSource;
  /** Least time between two edits of one placeholder. Default 1500 ms (Discord allows ~5 edits per 5 s per channel). */
  readonly editIntervalMs?: number;
  /** Largest text file inlined into a request. Default 200 kB (the request contract's limit). */
  readonly maxAttachmentBytes?: number;
  /** Answers longer than this arrive as a file. Default 12,000 characters (six messages). */
  readonly fileThreshold?: number;
  /** How long start() waits for the gateway to be ready. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** The privacy report in a code block (keeps its table aligned); a ``` inside a search query must not close it. */
function inCodeBlock(report: string): string {
  const fence = "```";
  return `${fence}\n${fitPrivacyReport(report.replaceAll(fence, "`\u200b``"), DISCORD_MESSAGE_LIMIT - 8)}\n${fence}`;
}

/** A front end with an explicit lifecycle, as the daemon runs them. */
export interface DiscordBot {
  /** Resolves once the gateway is ready and the slash commands are registered; rejects with a clear error otherwise. */
  start(): Promise<void>;
  /** Stops following jobs and closes the gateway; queued jobs stay queued. Safe at any point, also mid-login. */
  stop(): Promise<void>;
}

/**
 * The Discord front end (discord.js 14). A mention in an allowed channel opens a thread and the answer
 * streams there; later messages in that thread continue the conversation (history is kept per thread).
 * DMs work without a mention. Slash commands: /ask, /review, /cancel, /status, /new. A ❌ reaction on the
 * bot's message cancels (requester or admin only).
 */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const { token } = options.config.discord;
  if (!token) {
    throw new ConfigError("BURROW_DISCORD_TOKEN", "The Discord bot needs BURROW_DISCORD_TOKEN (or BURROW_DISCORD_TOKEN_FILE).", {
      hint: "Create an application with a bot at https://discord.com/developers/applications and set its token.",
    });
  }
  return new DiscordFrontEnd(options, token);
}

/** A request the bot follows: who asked, where, and the messages showing it (for ❌ and /cancel). */
interface TrackedJob {
  readonly requester: string;
  readonly chatId: string;
  readonly messageIds: Set<string>;
}

/** Where an interaction or message happened, as far as Burrow is concerned. */
interface Place {
  readonly conversation: ConversationRef;
  readonly channel: SendableChannels;
  /** A server channel (not a thread): a new request opens a thread first. */
  readonly opensThread: boolean;
}

const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
];

/** Answers remembered for rating by reaction (older ones and those from before a restart can no longer be rated). */
const MAX_RATEABLE = 2000;

const HELP = "Mention me with a question (or use /ask) and I answer in a thread; write in that thread to continue. /new forgets a thread's or DM's history, /cancel or ❌ on my message stops an answer, /status shows the queue, /privacy (admins) what left this machine.";

/** A message that starts with /review (sent as text, e.g. with several files attached). */
const REVIEW_PREFIX = /^\/review\b\s*/i;
const REVIEW_HELP = "To get a code review, attach the files (or a diff) to a message that starts with /review, or put the code after /review in a ``` block; the /review command takes one file.";

class DiscordFrontEnd implements DiscordBot {
  private readonly logger: Logger;
  private readonly access: AccessPolicy;
  private readonly intake: ChatIntake;
  private readonly guilds: ReadonlySet<string>;
  private readonly channels: ReadonlySet<string>;
  private readonly jobs = new Map<string, TrackedJob>();
  private readonly jobByMessage = new Map<string, string>();
  /** Answers that can be rated by reaction: message id → job id, the most recent ones only. */
  private readonly rateable = new Map<string, string>();
  private client: Client | undefined;
  private ready = false;
  private stopped = false;
  private releaseGate: (() => void) | undefined;
  /** The gateway (and resume) WebSocket origins discord.js was given, allowed for the socket gate. */
  private readonly gatewayGrants = new Map<string, () => void>();

  constructor(
    private readonly options: DiscordBotOptions,
    private readonly token: string,
  ) {
    this.logger = options.logger.child({ bot: "discord" });
    const { access, discord } = options.config;
    this.access = new AccessPolicy({ allowedUsers: new Set(access.allowedUsers), admins: new Set(access.admins), maxQueuedPerUser: access.maxQueuedPerUser });
    this.intake = new ChatIntake({
      queue: options.queue,
      access: this.access,
      logger: this.logger,
      stream: { limit: DISCORD_MESSAGE_LIMIT, editIntervalMs: options.editIntervalMs ?? 1500, fileThreshold: options.fileThreshold ?? 12_000 },
    });
    this.guilds = new Set(discord.guilds);
    this.channels = new Set(discord.channels);
  }

  async start(): Promise<void> {
    if (this.client) throw new Error("the Discord bot is already started");
    if (this.stopped) throw new Error("a stopped Discord bot cannot be started again; create a new one");
    const { gate } = this.options;
    const apiUrl = this.options.config.discord.apiUrl;
    this.releaseGate = gate.allowOrigins("chat-platform", [new URL(apiUrl).origin, ...DISCORD_CDN_ORIGINS]);
    const client = new Client({
      intents: INTENTS,
      // DM channels are not cached before their first message; reactions may land on uncached messages.
      partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
      allowedMentions: NO_MENTIONS,
      rest: { api: apiUrl, makeRequest: gatedRequest(gate, (url) => this.allowGateway(url)) },
      ws: { buildStrategy: (manager) => new StoppableShardingStrategy(manager) },
    });
    this.client = client;
    this.registerHandlers(client);
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 30_000;
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    try {
      await withTimeout(Promise.all([client.login(this.token), ready]), readyTimeoutMs);
      this.ready = true;
      await client.application!.commands.set(SLASH_COMMANDS).catch((error: unknown) => {
        this.logger.warn({ err: safeError(error) }, "could not register the Discord slash commands; mentions and DMs still work");
      });
    } catch (error) {
      // Nothing was followed yet: only the client goes, so start() may be tried again.
      await this.closeClient();
      throw startError(error, readyTimeoutMs);
    }
    this.logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, "discord bot started");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.intake.stop();
    await this.closeClient();
    this.jobs.clear();
    this.jobByMessage.clear();
    this.rateable.clear();
    this.logger.info("discord bot stopped");
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.ready = false;
    // The gateway strategy makes destroy() safe before READY too (the discord.js trap: it would never
    // resolve and reconnect forever); the bound is a last resort so shutdown can never hang here.
    const destroyed = await withTimeout(client.destroy().then(() => true), 10_000).catch(() => false);
    if (!destroyed) this.logger.warn("the Discord gateway connection did not close within 10 s");
    this.client = undefined;
    this.releaseGate?.();
    this.releaseGate = undefined;
    for (const release of this.gatewayGrants.values()) release();
    this.gatewayGrants.clear();
  }

  /** Allows a gateway WebSocket origin (ws:// or wss://) for the socket gate until the bot stops. */
  private allowGateway(url: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return;
    }
    if (this.stopped || this.gatewayGrants.has(origin)) return;
    this.gatewayGrants.set(origin, this.options.gate.allowOrigins("chat-platform", [origin]));
  }

  private registerHandlers(client: Client): void {
    client.on(Events.MessageCreate, (message) => void this.guarded("message", () => this.onMessage(message)));
    client.on(Events.InteractionCreate, (interaction) => void this.guarded("interaction", () => this.onInteraction(interaction)));
    client.on(Events.MessageReactionAdd, (reaction, user) => void this.guarded("reaction", () => this.onReaction(reaction, user)));
    client.on(Events.Error, (error) => this.logger.error({ err: safeError(error) }, "discord client error"));
    client.on(Events.ShardError, (error) => this.logger.warn({ err: safeError(error) }, "discord gateway error"));
    // A resumed session reconnects to READY's resume_gateway_url: allow it before discord.js needs it.
    client.on(Events.Raw, (packet: { t?: unknown; d?: { resume_gateway_url?: unknown } }) => {
      if (packet.t === "READY" && typeof packet.d?.resume_gateway_url === "string") this.allowGateway(packet.d.resume_gateway_url);
    });
    client.rest.on("rateLimited", (info) => this.logger.info({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, "discord rate limit: waiting"));
  }

  /** Handlers never throw into discord.js: a failure is logged, and the next event is handled. */
  private async guarded(what: string, handler: () => Promise<void>): Promise<void> {
    if (!this.ready) return;
    try {
      await handler();
    } catch (error) {
      this.logger.error({ err: safeError(error) }, `handling a discord ${what} failed`);
    }
  }

  private get botId(): string {
    return this.client!.user!.id;
  }

  private sender(user: User | PartialUser): Sender {
    return { platform: "discord", userId: user.id };
  }

  // ---- messages ----

  private async onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.system) return;
    const place = this.placeOfMessage(message);
    if (!place) return;
    const sender = this.sender(message.author);
    const refusal = this.intake.refusal(sender);
    if (refusal) {
      if (refusal.reply) await this.say(message.channel as SendableChannels, refusal.reply);
      return;
    }
    const content = this.withoutMention(message.content);
    // "/review …" typed as a message (in a DM, a Burrow thread or with a mention) is a review: unlike the
    // slash command it can carry several files, or the code itself in the message.
    const review = REVIEW_PREFIX.exec(content);
    const text = review ? content.slice(review[0].length).trim() : content;
    const files = [...message.attachments.values()];
    if (text === "" && files.length === 0) {
      await this.say(place.channel, review ? REVIEW_HELP : HELP);
      return;
    }
    const attachments = await this.attachmentsOf(files, place.channel);
    if (!attachments) return;
    if (review) {
      await this.ask(place, message, sender, text || `Please review the attached ${files.length === 1 ? "file" : "files"}.`, attachments, "review");
      return;
    }
    await this.ask(place, message, sender, text || `Please read the attached ${files.length === 1 ? "file" : "files"}.`, attachments, "chat");
  }

  /** Where a message is answered, or undefined when Burrow should not react to it at all. */
  private placeOfMessage(message: Message): Place | undefined {
    const channel = message.channel;
    if (!message.inGuild()) {
      return { conversation: { platform: "discord", chatId: message.channelId }, channel: channel as SendableChannels, opensThread: false };
    }
    if (!this.guilds.has(message.guildId)) return undefined;
    const mentioned = message.mentions.users.has(this.botId);
    if (channel.isThread()) {
      if (!channel.parentId || !this.channelAllowed(channel.parentId)) return undefined;
      // In a thread Burrow opened, every message continues the conversation; elsewhere only a mention.
      if (!mentioned && channel.ownerId !== this.botId) return undefined;
      return { conversation: { platform: "discord", chatId: channel.parentId, threadId: channel.id }, channel, opensThread: false };
    }
    if (!mentioned || !this.channelAllowed(channel.id) || !channel.isSendable()) return undefined;
    const threadable = channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement;
    return { conversation: { platform: "discord", chatId: channel.id }, channel, opensThread: threadable };
  }

  private channelAllowed(channelId: string): boolean {
    return this.channels.size === 0 || this.channels.has(channelId);
  }

  private withoutMention(content: string): string {
    return content.replace(new RegExp(`<@!?${this.botId}>`, "g"), "").trim();
  }

  /**
   * Opens the thread (when the request starts in a server channel), queues the request and streams its
   * events into the thread, DM or channel. `origin` is the message the thread hangs off.
   */
  private async ask(place: Place, origin: Message, sender: Sender, text: string, attachments: Attachment[], kind: "chat" | "review"): Promise<void> {
    let { conversation, channel } = place;
    if (place.opensThread) {
      // The per-user cap is checked again on submit; checking it first keeps refused requests out of threads.
      const cap = await this.access.checkQueueLimit("discord", sender.userId, (platform, userId) => this.options.queue.producer.countQueuedBy(platform, userId));
      if (!cap.allowed) {
        await this.say(channel, cap.reply);
        return;
      }
      let thread;
      try {
        thread = await origin.startThread({ name: threadName(text), autoArchiveDuration: ThreadAutoArchiveDuration.OneDay });
      } catch (error) {
        this.logger.warn({ err: safeError(error) }, "could not open a discord thread");
        await this.say(channel, "I could not open a thread for this here. Ask an admin to give me the Create Public Threads and Send Messages in Threads permissions, or ask me in a DM.");
        return;
      }
      conversation = { ...conversation, threadId: thread.id };
      channel = thread;
    }
    const requester = qualifiedUserId("discord", sender.userId);
    const outcome = await this.intake.submit({ ...conversation, userId: sender.userId, text, attachments, kind }, (jobId) => {
      this.jobs.set(jobId, { requester, chatId: conversation.chatId, messageIds: new Set() });
      return new DiscordSink(channel, {
        onMessage: (messageId) => {
          this.jobs.get(jobId)?.messageIds.add(messageId);
          this.jobByMessage.set(messageId, jobId);
        },
        onError: (error) => this.logger.debug({ err: safeError(error), jobId }, "could not change the cancel or rating reactions"),
        onRateable: this.intake.ratingsEnabled ? (messageId) => this.rememberRateable(messageId, jobId) : undefined,
      });
    });
    if (outcome.status === "refused") {
      if (outcome.reply) await this.say(channel, outcome.reply);
      return;
    }
    const { jobId } = outcome;
    void outcome.done.then((last) => this.forget(jobId, last));
  }

  private rememberRateable(messageId: string, jobId: string): void {
    if (this.rateable.size >= MAX_RATEABLE) this.rateable.delete(this.rateable.keys().next().value!);
    this.rateable.set(messageId, jobId);
  }

  private forget(jobId: string, last: JobEvent | undefined): void {
    const job = this.jobs.get(jobId);
    if (job) for (const id of job.messageIds) this.jobByMessage.delete(id);
    this.jobs.delete(jobId);
    this.logger.debug({ jobId, outcome: last?.type }, "discord request finished");
  }

  private async attachmentsOf(files: readonly DiscordAttachment[], channel: SendableChannels): Promise<Attachment[] | undefined> {
    if (files.length === 0) return [];
    const intake = await readAttachments(files, this.options.gate, this.options.maxAttachmentBytes ?? MAX_ATTACHMENT_BYTES);
    if (intake.ok) return intake.attachments;
    await this.say(channel, intake.reply);
    return undefined;
  }

  /** A plain message from Burrow itself (never pings anyone). */
  private async say(channel: SendableChannels, text: string): Promise<void> {
    try {
      await channel.send({ content: text, allowedMentions: NO_MENTIONS });
    } catch (error) {
      this.logger.warn({ err: safeError(error) }, "could not reply on discord");
    }
  }

  // ---- reactions ----

  private async onReaction(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser): Promise<void> {
    if (user.id === this.botId) return;
    const emoji = reaction.emoji.name;
    if (emoji === RATE_UP_EMOJI || emoji === RATE_DOWN_EMOJI) {
      const rated = this.rateable.get(reaction.message.id);
      if (!rated) return;
      // Refusals stay quiet, like a stranger's ❌: a reaction is not a conversation.
      const reply = await this.intake.rate(rated, this.sender(user), emoji === RATE_UP_EMOJI ? 1 : -1);
      this.logger.info({ jobId: rated, reply }, "rating by reaction");
      return;
    }
    if (emoji !== CANCEL_EMOJI) return;
    const jobId = this.jobByMessage.get(reaction.message.id);
    const job = jobId ? this.jobs.get(jobId) : undefined;
    if (!jobId || !job) return;
    const who = qualifiedUserId("discord", user.id);
    // Others' ❌ are ignored quietly: a reaction is not a conversation.
    if (!this.access.isAllowed(who) || !this.access.canCancel(who, job.requester)) return;
    const reply = await this.intake.cancel(jobId, this.sender(user));
    this.logger.info({ jobId, reply }, "cancel by reaction");
  }

  // ---- slash commands ----

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (!interaction.isChatInputCommand()) return;
    const place = this.placeOfInteraction(interaction);
    if (!place) {
      await interaction.reply({ content: "Burrow is not enabled in this channel.", flags: MessageFlags.Ephemeral });
      return;
    }
    const sender = this.sender(interaction.user);
    const refusal = this.intake.refusal(sender);
    if (refusal) {
      // An interaction must be answered; strangers only ever see it themselves.
      await interaction.reply({ content: refusal.reply ?? NOT_ALLOWED_REPLY, flags: MessageFlags.Ephemeral });
      return;
    }
    switch (interaction.commandName) {
      case "ask":
      case "review":
        return this.onAskCommand(interaction, place, sender);
      case "cancel":
        return this.onCancelCommand(interaction, place, sender);
      case "new":
        return this.onNewCommand(interaction, place, sender);
      case "status": {
        const [counts, status] = await Promise.all([this.options.queue.producer.counts(), this.options.status()]);
        await interaction.reply({ content: formatStatus(counts, status), flags: MessageFlags.Ephemeral });
        return;
      }
      case "privacy": {
        const source = this.options.privacyReport;
        const content = !this.intake.isAdmin(sender) ? PRIVACY_ADMINS_ONLY : source ? inCodeBlock(await source()) : PRIVACY_UNAVAILABLE;
        await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
        return;
      }
      default:
        await interaction.reply({ content: `I do not know /${interaction.commandName}. ${HELP}`, flags: MessageFlags.Ephemeral });
    }
  }

  private placeOfInteraction(interaction: ChatInputCommandInteraction): Place | undefined {
    const channel = interaction.channel;
    if (!channel || !channel.isSendable()) return undefined;
    if (!interaction.inGuild()) return { conversation: { platform: "discord", chatId: channel.id }, channel, opensThread: false };
    if (!this.guilds.has(interaction.guildId)) return undefined;
    if (channel.isThread()) {
      if (!channel.parentId || !this.channelAllowed(channel.parentId)) return undefined;
      return { conversation: { platform: "discord", chatId: channel.parentId, threadId: channel.id }, channel, opensThread: false };
    }
    if (!this.channelAllowed(channel.id)) return undefined;
    const threadable = channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement;
    return { conversation: { platform: "discord", chatId: channel.id }, channel, opensThread: threadable };
  }

  private async onAskCommand(interaction: ChatInputCommandInteraction, place: Place, sender: Sender): Promise<void> {
    const review = interaction.commandName === "review";
    // Downloading a file may take longer than the 3 s Discord gives for a first answer.
    await interaction.deferReply();
    const file = interaction.options.getAttachment("file", review);
    const files = file ? [file] : [];
    let attachments: Attachment[] = [];
    if (files.length > 0) {
      const intake = await readAttachments(files, this.options.gate, this.options.maxAttachmentBytes ?? MAX_ATTACHMENT_BYTES);
      if (!intake.ok) {
        await interaction.editReply({ content: intake.reply, allowedMentions: NO_MENTIONS });
        return;
      }
      attachments = intake.attachments;
    }
    const question = review
      ? interaction.options.getString("focus")?.trim() || `Please review ${file?.name ?? "this code"}.`
      : interaction.options.getString("question", true).trim();
    const shown = review ? `🔍 **Code review** of \`${file?.name ?? "file"}\`: ${question}` : `❓ ${question}${file ? `\n📎 ${file.name}` : ""}`;
    // The reply shows what was asked (a slash command leaves no message of its own) and anchors the thread.
    const anchor = await interaction.editReply({ content: clip(shown, DISCORD_MESSAGE_LIMIT), allowedMentions: NO_MENTIONS });
    await this.ask(place, anchor, sender, question, attachments, review ? "review" : "chat");
  }

  private async onCancelCommand(interaction: ChatInputCommandInteraction, place: Place, sender: Sender): Promise<void> {
    let reply: string | undefined;
    if (place.opensThread) {
      // In a server channel the requests live in their threads: the sender's latest one started here.
      const who = qualifiedUserId("discord", sender.userId);
      const jobId = [...this.jobs.entries()].reverse().find(([, job]) => job.chatId === place.conversation.chatId && this.access.canCancel(who, job.requester))?.[0];
      reply = jobId ? await this.intake.cancel(jobId, sender) : "You have nothing waiting or running here.";
    } else {
      reply = await this.intake.cancelInConversation(place.conversation, sender);
    }
    await interaction.reply({ content: reply ?? NOT_ALLOWED_REPLY, flags: MessageFlags.Ephemeral });
  }

  private async onNewCommand(interaction: ChatInputCommandInteraction, place: Place, sender: Sender): Promise<void> {
    if (place.opensThread) {
      await interaction.reply({ content: "Every question here already starts its own thread. Use /new inside a thread (or in a DM) to make me forget it.", flags: MessageFlags.Ephemeral });
      return;
    }
    const reply = await this.intake.newConversation(place.conversation, sender);
    await interaction.reply({ content: reply ?? NOT_ALLOWED_REPLY, allowedMentions: NO_MENTIONS });
  }
}

/** A thread name from the question: its first line, cut to fit (Discord allows 100 characters). */
function threadName(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const cleaned = line.replace(/<[@#][!&]?\d+>/g, "").replace(/\s+/g, " ").trim();
  return clip(cleaned || "Burrow", 90);
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * discord.js's own REST transport, behind the egress gate: each call is checked against the
 * "chat-platform" rules and written to the audit log (host, method, status; never paths or bodies).
 */
function gatedRequest(gate: EgressGate, onGateway: (url: string) => void): RESTOptions["makeRequest"] {
  return async (url, init) => {
    const target = new URL(url);
    const method = (init.method ?? "GET").toUpperCase();
    const refusal = gate.check("chat-platform", target);
    if (refusal !== undefined) {
      gate.record("chat-platform", target, { method, outcome: "refused", reason: refusal });
      throw new EgressRefusedError("chat-platform", target, refusal);
    }
    const started = performance.now();
    try {
      const response = await DefaultRestOptions.makeRequest(url, init);
      gate.record("chat-platform", target, { method, status: response.status, ms: Math.round(performance.now() - started) });
      // The gateway's WebSocket address comes from REST: it becomes a chat-platform destination too.
      if (response.ok && target.pathname.endsWith("/gateway/bot")) {
        const copy = (response as unknown as Partial<Pick<Response, "clone">>).clone?.();
        const body = (await copy?.json().catch(() => undefined)) as { url?: unknown } | undefined;
        if (typeof body?.url === "string") onGateway(body.url);
      }
      return response;
    } catch (error) {
      gate.record("chat-platform", target, { method, outcome: "failed", ms: Math.round(performance.now() - started), reason: (error as Error).message });
      throw error;
    }
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: timeout.signal }).then(() => {
        throw new TimeoutError(ms);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

function startError(error: unknown, readyTimeoutMs: number): Error {
  if (error instanceof TimeoutError) {
    return new BurrowError("discord_not_ready", `Discord did not confirm the bot's login within ${Math.round(readyTimeoutMs / 1000)} s.`, {
      hint: "Check the network and https://discordstatus.com; Burrow keeps running without the Discord bot until restarted.",
    });
  }
  const code = (error as { code?: unknown }).code;
  if (code === "TokenInvalid" || (error as { status?: unknown }).status === 401) {
    return new ConfigError("BURROW_DISCORD_TOKEN", "Discord refused the bot token (401 Unauthorized).", {
      hint: "Copy the token again from the Bot page of your application (Reset Token), and set BURROW_DISCORD_TOKEN.",
    });
  }
  if (code === "DisallowedIntents" || (error as { message?: unknown }).message === "Used disallowed intents") {
    return new ConfigError("BURROW_DISCORD_TOKEN", "Discord refused the bot's intents: the Message Content intent is not enabled.", {
      hint: "On the Bot page of your application, turn on MESSAGE CONTENT INTENT under Privileged Gateway Intents.",
    });
  }
  return error instanceof Error ? safeError(error) : new Error(String(error));
}

/**
 * What may be logged of a discord.js error: name, message, codes and the route. DiscordAPIError also
 * carries the request body (what people and the model wrote), which stays out of the logs.
 */
function safeError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const safe = new Error(error.message);
  safe.name = error.name;
  safe.stack = error.stack;
  const extra = error as unknown as { code?: unknown; status?: unknown; method?: unknown; url?: unknown };
  Object.assign(safe, { code: extra.code, status: extra.status, method: extra.method, url: typeof extra.url === "string" ? extra.url.replace(/\/interactions\/\d+\/[^/]+/, "/interactions/…").replace(/\/webhooks\/\d+\/[^/]+/, "/webhooks/…") : undefined });
  return safe;
}
