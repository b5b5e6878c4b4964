import { AttachmentBuilder, MessageFlags, type Message, type MessageMentionOptions, type SendableChannels } from "discord.js";
import type { MessageSink, SendOptions } from "../stream.js";

/**
 * Model output is untrusted: it must never ping anyone (`@everyone`, roles, users), whatever it says.
 * Set on every message and edit, and as the client's default as well.
 */
export const NO_MENTIONS: MessageMentionOptions = { parse: [], repliedUser: false };

/** The reaction that cancels a request; the bot puts it under its placeholder so people can click it. */
export const CANCEL_EMOJI = "❌";
/** Reactions that rate a finished answer; the bot offers them under the answer's last message. */
export const RATE_UP_EMOJI = "👍";
export const RATE_DOWN_EMOJI = "👎";

export interface DiscordSinkHooks {
  /** Every message the sink creates (so a ❌ on any of them can find the job). */
  readonly onMessage?: (messageId: string) => void;
  /** A reaction could not be added or removed (missing permission, message gone). */
  readonly onError?: (error: unknown) => void;
  /** Set when answers can be rated: the last message of a finished answer (it gets 👍/👎). */
  readonly onRateable?: (messageId: string) => void;
}

/**
 * A MessageSink over one Discord channel, thread or DM. discord.js queues each request per route and
 * waits out 429s itself (Retry-After), so the sink never sees a rate limit. The placeholder gets a ❌
 * reaction while the job runs (the cancel control), removed again once the final text is in place.
 */
export class DiscordSink implements MessageSink {
  private placeholder: Message | undefined;
  private reacted: Promise<unknown> | undefined;

  constructor(
    private readonly channel: SendableChannels,
    private readonly hooks: DiscordSinkHooks = {},
  ) {}

  async send(text: string, options?: SendOptions): Promise<string> {
    // Links in model output are not unfurled: no embeds built from what the model wrote.
    const message = await this.channel.send({ content: nonEmpty(text), allowedMentions: NO_MENTIONS, flags: MessageFlags.SuppressEmbeds });
    this.hooks.onMessage?.(message.id);
    if (options?.rateable) this.offerRating(message);
    if (options?.final === false && !this.placeholder) {
      this.placeholder = message;
      // Not awaited: the answer must not wait for a decoration.
      this.reacted = message.react(CANCEL_EMOJI).catch((error: unknown) => this.hooks.onError?.(error));
    }
    return message.id;
  }

  async edit(messageId: string, text: string, options?: SendOptions): Promise<void> {
    await this.channel.messages.edit(messageId, { content: nonEmpty(text), allowedMentions: NO_MENTIONS });
    if (options?.final && this.placeholder?.id === messageId) this.removeCancelControl(this.placeholder);
    if (options?.rateable && this.placeholder?.id === messageId) this.offerRating(this.placeholder);
  }

  async sendFile(name: string, content: string, caption?: string): Promise<void> {
    const message = await this.channel.send({
      content: caption ? nonEmpty(caption) : undefined,
      files: [new AttachmentBuilder(Buffer.from(content, "utf8"), { name })],
      allowedMentions: NO_MENTIONS,
    });
    this.hooks.onMessage?.(message.id);
  }

  /** Not awaited: the answer must not wait for a decoration. In order, so 👍 comes first. */
  private offerRating(message: Message): void {
    if (!this.hooks.onRateable) return;
    this.hooks.onRateable(message.id);
    void message
      .react(RATE_UP_EMOJI)
      .then(() => message.react(RATE_DOWN_EMOJI))
      .catch((error: unknown) => this.hooks.onError?.(error));
  }

  private removeCancelControl(message: Message): void {
    const reacted = this.reacted ?? Promise.resolve();
    this.reacted = undefined;
    void reacted
      .then(() => message.reactions.cache.get(CANCEL_EMOJI)?.users.remove(message.client.user.id))
      .catch((error: unknown) => this.hooks.onError?.(error));
  }
}

/** Discord refuses empty messages; a zero-width space keeps a message that has nothing to show yet. */
function nonEmpty(text: string): string {
  return text === "" ? "\u200b" : text;
}
