import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spaces calls per chat: Telegram's flood control counts per chat, across all our requests there (several
 * queued placeholders in one chat all update when the queue moves). Each call reserves the next free slot.
 */
export class ChatPacer {
  private readonly nextFree = new Map<string, number>();

  constructor(private readonly gapMs: number) {}

  /** Resolves when a call in `chatId` may go out. */
  async turn(chatId: string): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.nextFree.get(chatId) ?? 0);
    this.nextFree.set(chatId, at + this.gapMs);
    if (this.nextFree.size > 10_000) this.forgetIdle(now);
    if (at > now) await sleep(at - now);
  }

  private forgetIdle(now: number): void {
    for (const [chat, free] of this.nextFree) if (free < now) this.nextFree.delete(chat);
  }
}
