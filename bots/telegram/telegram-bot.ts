import { Bot, type Context } from "grammy";
import type { Message } from "grammy/types";
import type { Config } from "../../src/config.js";
import type { Attachment } from "../../src/contracts.js";
import type { EgressGate } from "../../src/egress.js";
import { BurrowError, ConfigError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { AccessPolicy } from "../access.js";
import { ChatIntake, type BotQueueAccess, type ConversationRef, type Sender } from "../chat-intake.js";
import { formatWait } from "../render/job-status.js";
import { fitPrivacyReport, PRIVACY_ADMINS_ONLY, PRIVACY_UNAVAILABLE, type PrivacyReportSource } from "../render/privacy-text.js";
import { formatStatus, type BurrowStatus } from "../render/status-text.js";
import { ChatPacer } from "./chat-pacer.js";
import { readTextDocument, type FileDownloader } from "./documents.js";
import { telegramError } from "./telegram-errors.js";
import { CANCEL_PREFIX, parseRateData, TelegramSink, type TelegramTarget } from "./telegram-sink.js";

type GrammySignal = NonNullable<Parameters<Bot["init"]>[0]>;

/** Telegram's limit for one message (after entity parsing; Burrow sends plain text). */
export const TELEGRAM_MESSAGE_LIMIT = 4096;

export interface TelegramBotOptions {
  readonly config: Pick<Config, "telegram" | "access">;
  /** The daemon's QueueAccess. */
  readonly queue: BotQueueAccess;
  readonly logger: Logger;
  /** Model and uptime for /status (the queue counts come from the queue). */
  readonly status: () => BurrowStatus | Promise<BurrowStatus>;
  /** The egress audit summary /privacy shows to admins. */
  readonly privacyReport?: PrivacyReportSource;
  /** When given, every Bot API call and file download passes it (purpose "chat-platform") and is audited. */
  readonly gate?: EgressGate;
  /** Least time between two edits in one chat. Default 1000 ms (Telegram's flood control is ~1/s per chat). */
  readonly editIntervalMs?: number;
  /** Largest text file inlined into a request. Default 200 kB (the request contract's limit). */
  readonly maxAttachmentBytes?: number;
  /** Answers longer than this arrive as a file. Default 12,000 characters (three messages). */
  readonly fileThreshold?: number;
  /** Long-polling timeout of getUpdates. Default 30 s. */
  readonly pollingTimeoutSeconds?: number;
  /** How long start() may try to reach Telegram before it gives up with a clear error. Default 30 s. */
  readonly startTimeoutMs?: number;
}

/** A front end with an explicit lifecycle, as the daemon runs them. */
export interface TelegramBot {
  /** Resolves once the bot is polling (token checked with getMe); rejects with a clear error otherwise. */
  start(): Promise<void>;
  /** Stops polling and following jobs; queued jobs stay queued. */
  stop(): Promise<void>;
}

const COMMANDS = [
  { command: "new", description: "Start a fresh conversation" },
  { command: "cancel", description: "Stop your current request" },
  { command: "status", description: "Queue, model and uptime" },
  { command: "review", description: "Review code (send it with the command, or as a file with /review as caption)" },
  { command: "privacy", description: "What left this machine (admins)" },
  { command: "start", description: "What this bot does" },
] as const;

const HELP = [
  "I am Burrow, a private assistant running on a small computer. Send me a message, or a text file with a question as its caption.",
  "Your requests wait in a queue; the message I post shows your place and then the answer as it is written.",
  "",
  "/new — forget this conversation and start over",
  "/cancel — stop your current request (or press Cancel under it)",
  "/status — what Burrow is doing",
  "/review — a code review: /review followed by the code, a file with /review as its caption, or /review as a reply to a file",
  "/privacy — what left this machine: destinations, search queries, anything refused (admins only)",
].join("\n");

/**
 * The Telegram front end: grammY with long polling (no public URL needed). DMs and forum topics (each
 * topic is its own conversation); in other group chats it answers only when mentioned or replied to.
 */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { token, apiRoot } = options.config.telegram;
  if (!token) throw new ConfigError("BURROW_TELEGRAM_TOKEN", "The Telegram bot needs BURROW_TELEGRAM_TOKEN (or BURROW_TELEGRAM_TOKEN_FILE).", { hint: "Create a bot with @BotFather and set its token." });
  return new TelegramFrontEnd(options, token, apiRoot);
}

class TelegramFrontEnd implements TelegramBot {
  private readonly bot: Bot;
  private readonly intake: ChatIntake;
  private readonly pacer: ChatPacer;
  private readonly logger: Logger;
  private polling: Promise<void> | undefined;
  private releaseGate: (() => void) | undefined;

  constructor(
    private readonly options: TelegramBotOptions,
    private readonly token: string,
    private readonly apiRoot: string,
  ) {
    this.logger = options.logger.child({ bot: "telegram" });
    const { access } = options.config;
    const editIntervalMs = options.editIntervalMs ?? 1000;
    this.pacer = new ChatPacer(editIntervalMs);
    this.intake = new ChatIntake({
      queue: options.queue,
      access: new AccessPolicy({ allowedUsers: new Set(access.allowedUsers), admins: new Set(access.admins), maxQueuedPerUser: access.maxQueuedPerUser }),
      logger: this.logger,
      stream: { limit: TELEGRAM_MESSAGE_LIMIT, editIntervalMs, fileThreshold: options.fileThreshold ?? 12_000 },
    });
    const gate = options.gate;
    this.bot = new Bot(token, {
      client: {
        apiRoot,
        // The long poll must outlive its own timeout.
        timeoutSeconds: (options.pollingTimeoutSeconds ?? 30) + 30,
        buildUrl: (root, secret, method) => {
          const url = new URL(`${root}/bot${secret}/${method}`);
          if (gate) {
            const refusal = gate.check("chat-platform", url);
            gate.record("chat-platform", url, { method: "POST", outcome: refusal ? "refused" : "allowed", reason: refusal });
            if (refusal) throw new BurrowError("egress_refused", `Burrow refused to contact ${url.host} for chat-platform: ${refusal}`);
          }
          return url;
        },
      },
    });
    this.registerHandlers();
  }

  async start(): Promise<void> {
    if (this.polling) return;
    if (this.options.gate) this.releaseGate = this.options.gate.allowOrigins("chat-platform", [this.apiRoot]);
    // grammY retries network failures of getMe forever; a laptop that starts offline must not hang here.
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const giveUp = new AbortController();
    // grammY types its signal with the abort-controller polyfill's class; Node's is what it uses at run time.
    const signal = giveUp.signal as unknown as GrammySignal;
    const timer = setTimeout(() => giveUp.abort(), timeoutMs);
    try {
      await this.bot.init(signal);
      await this.bot.api.setMyCommands([...COMMANDS], undefined, signal);
    } catch (error) {
      this.releaseGate?.();
      if (giveUp.signal.aborted) {
        throw new BurrowError("telegram_unreachable", `Could not reach the Telegram Bot API at ${new URL(this.apiRoot).host} within ${formatWait(timeoutMs / 1000)}.`, {
          hint: "Check the network (and BURROW_TELEGRAM_API_ROOT if set); the Telegram bot starts with the next start of Burrow.",
        });
      }
      throw this.startError(error);
    } finally {
      clearTimeout(timer);
    }
    this.intake.start();
    await new Promise<void>((resolve, reject) => {
      this.polling = this.bot
        .start({
          onStart: () => resolve(),
          timeout: this.options.pollingTimeoutSeconds ?? 30,
          allowed_updates: ["message", "callback_query"],
        })
        .catch((error: unknown) => {
          const safe = this.startError(error);
          this.logger.error({ err: safe }, "telegram polling stopped");
          this.polling = undefined;
          this.releaseGate?.();
          reject(safe);
        });
    });
    this.logger.info({ username: this.bot.botInfo.username }, "telegram bot started");
  }

  async stop(): Promise<void> {
    if (this.bot.isRunning()) await this.bot.stop().catch((error: unknown) => this.logger.warn({ err: telegramError(error, this.token) }, "telegram stop: confirming updates failed"));
    await this.polling;
    this.polling = undefined;
    await this.intake.stop();
    this.releaseGate?.();
    this.releaseGate = undefined;
    this.logger.info("telegram bot stopped");
  }

  private startError(error: unknown): Error {
    const safe = telegramError(error, this.token);
    if ((safe as { error_code?: number }).error_code === 401) {
      return new ConfigError("BURROW_TELEGRAM_TOKEN", "Telegram refused the bot token (401 Unauthorized).", { hint: "Check BURROW_TELEGRAM_TOKEN with @BotFather (/token), or revoke and set a new one." });
    }
    if ((safe as { error_code?: number }).error_code === 409) {
      return new BurrowError("telegram_conflict", "Another program is already polling Telegram with this bot token (409 Conflict).", { hint: "Stop the other Burrow (or bot) using this token, or give this one its own bot." });
    }
    return safe;
  }

  private registerHandlers(): void {
    const bot = this.bot;
    bot.catch((error) => {
      this.logger.error({ err: telegramError(error.error, this.token), update: error.ctx.update.update_id }, "a telegram update failed");
    });
    // Documents first: grammY's command filter does not handle commands in captions.
    bot.on("callback_query:data", (ctx) => this.onButton(ctx));
    bot.on("message:document", (ctx) => this.onDocument(ctx));
    bot.command("start", (ctx) => this.withAccess(ctx, () => this.say(ctx, HELP)));
    bot.command("new", (ctx) => this.onNew(ctx));
    bot.command("cancel", (ctx) => this.onCancel(ctx));
    bot.command("status", (ctx) => this.onStatus(ctx));
    bot.command("review", (ctx) => this.onReview(ctx));
    bot.command("privacy", (ctx) => this.onPrivacy(ctx));
    bot.on("message:text", (ctx) => this.onText(ctx));
    bot.on("message", (ctx) => {
      if (!this.addressedToBot(ctx.message)) return;
      return this.withAccess(ctx, () => this.say(ctx, "I can read text messages and text files (code, notes, logs) only."));
    });
  }

  private sender(ctx: Context): Sender {
    return { platform: "telegram", userId: String(ctx.from?.id ?? "unknown") };
  }

  /** The conversation key part: ids as strings. */
  private ref(message: Message): ConversationRef {
    const topic = message.is_topic_message ? message.message_thread_id : undefined;
    return { platform: "telegram", chatId: String(message.chat.id), threadId: topic === undefined ? undefined : String(topic) };
  }

  private target(message: Message): TelegramTarget {
    return { chatId: message.chat.id, threadId: message.is_topic_message ? message.message_thread_id : undefined, replyTo: message.message_id };
  }

  /** Private chats always; in groups only a mention of the bot, a reply to it, or a command. */
  private addressedToBot(message: Message): boolean {
    if (message.chat.type === "private") return true;
    const text = message.text ?? message.caption ?? "";
    if (text.startsWith("/")) return true;
    if (message.reply_to_message?.from?.id === this.bot.botInfo.id) return true;
    return text.toLowerCase().includes(`@${this.bot.botInfo.username.toLowerCase()}`);
  }

  private withoutMention(text: string): string {
    return text.replace(new RegExp(`@${this.bot.botInfo.username}\\b`, "gi"), "").trim();
  }

  /** Runs `then` for listed users; strangers get the one polite refusal (only the first time). */
  private async withAccess(ctx: Context, then: () => Promise<unknown>): Promise<void> {
    const refusal = this.intake.refusal(this.sender(ctx));
    if (refusal) {
      if (refusal.reply) await this.say(ctx, refusal.reply);
      return;
    }
    await then();
  }

  /** A plain reply in the same chat and topic. */
  private async say(ctx: Context, text: string): Promise<void> {
    const message = ctx.message;
    if (!message) return;
    const { chatId, threadId } = this.target(message);
    try {
      await this.bot.api.sendMessage(chatId, text, { message_thread_id: threadId, reply_parameters: { message_id: message.message_id, allow_sending_without_reply: true }, link_preview_options: { is_disabled: true } });
    } catch (error) {
      this.logger.warn({ err: telegramError(error, this.token) }, "could not reply on telegram");
    }
  }

  private async ask(ctx: Context, message: Message, text: string, attachments: Attachment[], kind: "chat" | "review"): Promise<void> {
    const outcome = await this.intake.submit({ ...this.ref(message), userId: String(message.from?.id ?? "unknown"), text, attachments, kind }, (jobId) => new TelegramSink(this.bot.api, this.target(message), jobId, this.pacer, this.token, this.intake.ratingsEnabled));
    if (outcome.status === "refused" && outcome.reply) await this.say(ctx, outcome.reply);
  }

  private async onText(ctx: Context): Promise<void> {
    const message = ctx.message!;
    if (!this.addressedToBot(message)) return;
    const text = this.withoutMention(message.text ?? "");
    if (text.startsWith("/")) {
      await this.withAccess(ctx, () => this.say(ctx, `I do not know that command.\n\n${HELP}`));
      return;
    }
    if (text === "") return;
    await this.ask(ctx, message, text, [], "chat");
  }

  private async onDocument(ctx: Context): Promise<void> {
    const message = ctx.message!;
    if (!this.addressedToBot(message)) return;
    await this.withAccess(ctx, async () => {
      const caption = this.withoutMention(message.caption ?? "");
      const review = /^\/review(@\w+)?(\s|$)/i.test(caption);
      const question = (review ? caption.replace(/^\/review(@\w+)?/i, "") : caption).trim();
      const reading = await readTextDocument(this.bot.api, message.document!, this.downloader(), this.options.maxAttachmentBytes ?? 200_000).catch((error: unknown) => {
        this.logger.warn({ err: telegramError(error, this.token) }, "could not download a telegram document");
        return { ok: false as const, reply: "I could not download that file from Telegram; please send it again." };
      });
      if (!reading.ok) {
        await this.say(ctx, reading.reply);
        return;
      }
      const text = question || (review ? `Please review the attached file ${reading.attachment.name}.` : `Please read the attached file ${reading.attachment.name}.`);
      await this.ask(ctx, message, text, [reading.attachment], review ? "review" : "chat");
    });
  }

  private async onReview(ctx: Context): Promise<void> {
    const message = ctx.message!;
    await this.withAccess(ctx, async () => {
      const code = typeof ctx.match === "string" ? ctx.match.trim() : "";
      // `/review` as a reply to a document reviews that document; text after the command is the focus.
      const document = message.reply_to_message?.document;
      if (document) {
        const reading = await readTextDocument(this.bot.api, document, this.downloader(), this.options.maxAttachmentBytes ?? 200_000).catch((error: unknown) => {
          this.logger.warn({ err: telegramError(error, this.token) }, "could not download a telegram document");
          return { ok: false as const, reply: "I could not download that file from Telegram; please send it again." };
        });
        if (!reading.ok) {
          await this.say(ctx, reading.reply);
          return;
        }
        await this.ask(ctx, message, code || `Please review the attached file ${reading.attachment.name}.`, [reading.attachment], "review");
        return;
      }
      if (code === "") {
        await this.say(ctx, "Send /review followed by the code to review, send the code as a file with /review as its caption, or reply /review to a file.");
        return;
      }
      await this.ask(ctx, message, code, [], "review");
    });
  }

  private async onNew(ctx: Context): Promise<void> {
    const reply = await this.intake.newConversation(this.ref(ctx.message!), this.sender(ctx));
    if (reply) await this.say(ctx, reply);
  }

  private async onCancel(ctx: Context): Promise<void> {
    const jobId = typeof ctx.match === "string" ? ctx.match.trim() : "";
    const sender = this.sender(ctx);
    const reply = jobId ? await this.intake.cancel(jobId, sender) : await this.intake.cancelInConversation(this.ref(ctx.message!), sender);
    if (reply) await this.say(ctx, reply);
  }

  private async onStatus(ctx: Context): Promise<void> {
    await this.withAccess(ctx, async () => {
      const [counts, status] = await Promise.all([this.options.queue.producer.counts(), this.options.status()]);
      await this.say(ctx, formatStatus(counts, status));
    });
  }

  private async onPrivacy(ctx: Context): Promise<void> {
    await this.withAccess(ctx, async () => {
      if (!this.intake.isAdmin(this.sender(ctx))) return this.say(ctx, PRIVACY_ADMINS_ONLY);
      const source = this.options.privacyReport;
      return this.say(ctx, source ? fitPrivacyReport(await source(), TELEGRAM_MESSAGE_LIMIT) : PRIVACY_UNAVAILABLE);
    });
  }

  private async onButton(ctx: Context): Promise<void> {
    const data = ctx.callbackQuery?.data ?? "";
    let reply: string | undefined;
    const rate = parseRateData(data);
    if (data.startsWith(CANCEL_PREFIX)) reply = await this.intake.cancel(data.slice(CANCEL_PREFIX.length), this.sender(ctx));
    else if (rate) reply = await this.intake.rate(rate.jobId, this.sender(ctx), rate.rating);
    try {
      await ctx.answerCallbackQuery(reply ? { text: reply.slice(0, 200) } : undefined);
    } catch (error) {
      this.logger.warn({ err: telegramError(error, this.token) }, "could not answer a telegram button press");
    }
  }

  /** Downloads a stored file, through the egress gate when there is one. */
  private downloader(): FileDownloader {
    return async (filePath, maxBytes) => {
      const url = `${this.apiRoot}/file/bot${this.token}/${filePath}`;
      const gate = this.options.gate;
      if (gate) {
        const response = await gate.request("chat-platform", url, { maxBytes: maxBytes + 1, timeoutMs: 60_000 });
        if (response.status !== 200) throw new Error(`file download answered HTTP ${response.status}`);
        return response.body;
      }
      const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!response.ok) throw new Error(`file download answered HTTP ${response.status}`);
      const declared = Number(response.headers.get("content-length") ?? "0");
      if (declared > maxBytes) {
        await response.body?.cancel();
        return Buffer.alloc(maxBytes + 1);
      }
      return Buffer.from(await response.arrayBuffer());
    };
  }
}
