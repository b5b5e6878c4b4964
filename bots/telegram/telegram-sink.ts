import { InputFile, type Api } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { markdownToTelegram, type TelegramText } from "../render/telegram-markdown.js";
import type { MessageSink, SendOptions } from "../stream.js";
import type { ChatPacer } from "./chat-pacer.js";
import { TelegramApiError, telegramError } from "./telegram-errors.js";

/** Callback data of the Cancel button: `cancel:<jobId>` (a UUID keeps it under Telegram's 64 bytes). */
export const CANCEL_PREFIX = "cancel:";
/** Callback data of the rating buttons: `rate:<jobId>:up` / `rate:<jobId>:down` (46 bytes at most). */
export const RATE_PREFIX = "rate:";

/** The rating a `rate:` button carries, or undefined for other data. */
export function parseRateData(data: string): { readonly jobId: string; readonly rating: 1 | -1 } | undefined {
  const match = /^rate:([^:]+):(up|down)$/.exec(data);
  return match ? { jobId: match[1]!, rating: match[2] === "up" ? 1 : -1 } : undefined;
}

export interface TelegramTarget {
  readonly chatId: number;
  /** Forum topic (message_thread_id). */
  readonly threadId: number | undefined;
  /** The user's message the placeholder answers. */
  readonly replyTo: number | undefined;
}

/**
 * Markdown as entities (bots/render/telegram-markdown.ts); a message that would be empty without its
 * markers (e.g. an empty code block) goes as written, since Telegram refuses empty text.
 */
function asTelegramText(markdown: string): TelegramText {
  const result = markdownToTelegram(markdown);
  return result.text.trim() === "" ? { text: markdown, entities: [] } : result;
}

/** Model output is untrusted: no link previews (they would fetch attacker-chosen URLs and show them). */
const NO_PREVIEW = { is_disabled: true } as const;

/**
 * One request's messages in one Telegram chat: Markdown sent as text plus entities (no parse mode, so model
 * output cannot break a message or inject formatting), a Cancel button while the request is live, edits paced per chat.
 * Flood control (429) becomes a RetryAfterError carrying Telegram's retry_after; other failures become
 * TelegramApiErrors that are safe to log.
 */
export class TelegramSink implements MessageSink {
  private placeholderSent = false;

  constructor(
    private readonly api: Api,
    private readonly target: TelegramTarget,
    private readonly jobId: string,
    private readonly pacer: ChatPacer,
    private readonly token: string,
    /** Put 👍/👎 buttons under the last message of a finished answer. */
    private readonly rating = false,
  ) {}

  async send(text: string, options?: SendOptions): Promise<string> {
    // Only the first message answers the user's message; the rest of a long answer follows it.
    const reply = !this.placeholderSent && this.target.replyTo !== undefined ? { message_id: this.target.replyTo, allow_sending_without_reply: true } : undefined;
    const formatted = asTelegramText(text);
    const message = await this.call(() =>
      this.api.sendMessage(this.target.chatId, formatted.text, {
        entities: formatted.entities,
        message_thread_id: this.target.threadId,
        link_preview_options: NO_PREVIEW,
        reply_parameters: reply,
        reply_markup: this.keyboard(options),
      }),
    );
    this.placeholderSent = true;
    return String(message.message_id);
  }

  async edit(messageId: string, text: string, options?: SendOptions): Promise<void> {
    await this.pacer.turn(String(this.target.chatId));
    const formatted = asTelegramText(text);
    await this.call(() =>
      // Without reply_markup an edit removes the keyboard: progress edits keep Cancel, the final one drops it.
      this.api.editMessageText(this.target.chatId, Number(messageId), formatted.text, {
        entities: formatted.entities,
        link_preview_options: NO_PREVIEW,
        reply_markup: this.keyboard(options),
      }),
    ).catch((error: unknown) => {
      // The text and buttons are already what we wanted.
      if (error instanceof TelegramApiError && /message is not modified/i.test(error.description)) return;
      throw error;
    });
  }

  async sendFile(name: string, content: string, caption?: string): Promise<void> {
    await this.call(() =>
      this.api.sendDocument(this.target.chatId, new InputFile(Buffer.from(content, "utf8"), name), {
        caption,
        message_thread_id: this.target.threadId,
      }),
    );
  }

  /** Cancel while the request is live; on the final answer nothing, or the rating buttons. */
  private keyboard(options: SendOptions | undefined): InlineKeyboardMarkup | undefined {
    if (!(options?.final ?? true)) return this.cancelKeyboard();
    if (this.rating && options?.rateable) {
      return {
        inline_keyboard: [
          [
            { text: "👍", callback_data: `${RATE_PREFIX}${this.jobId}:up` },
            { text: "👎", callback_data: `${RATE_PREFIX}${this.jobId}:down` },
          ],
        ],
      };
    }
    return undefined;
  }

  private cancelKeyboard(): InlineKeyboardMarkup {
    return { inline_keyboard: [[{ text: "✖ Cancel", callback_data: `${CANCEL_PREFIX}${this.jobId}` }]] };
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw telegramError(error, this.token);
    }
  }
}
