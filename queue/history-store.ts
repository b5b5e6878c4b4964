import type { ChainableCommander, Redis } from "ioredis";
import { HistoryTurnSchema, type HistoryTurn } from "../src/contracts.js";
import { redisKeys } from "./keys.js";

/** Turns kept per conversation in Redis; older ones are trimmed (the prompt uses far fewer). */
const MAX_STORED_TURNS = 400;

/** Conversation history in Redis: one list per conversation, oldest turn first, kept across restarts. */
export class HistoryStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Up to `turns` recent exchanges (user + assistant pairs) of a conversation, oldest first. The window's
   * start moves in steps of half its size rather than one exchange per turn: the model keeps the evaluated
   * tokens of a conversation only while its beginning stays the same, so a window sliding every turn would
   * make the model read the whole history again each time.
   */
  async load(conversation: string, turns: number): Promise<HistoryTurn[]> {
    if (turns <= 0) return [];
    const key = redisKeys.history(conversation);
    const exchanges = Math.floor((await this.redis.llen(key)) / 2);
    const start = historyWindowStart(exchanges, turns);
    const raw = await this.redis.lrange(key, start * 2, -1);
    return raw.map((entry) => HistoryTurnSchema.parse(JSON.parse(entry)));
  }

  /** Queues the append of one exchange on a MULTI, so it commits together with the reply marker. */
  appendTo(pipeline: ChainableCommander, conversation: string, user: HistoryTurn, assistant: HistoryTurn): void {
    const key = redisKeys.history(conversation);
    pipeline.rpush(key, JSON.stringify(user), JSON.stringify(assistant));
    pipeline.ltrim(key, -MAX_STORED_TURNS, -1);
  }

  /**
   * Forgets a conversation (`/new`), and tells the worker so it deletes the conversation's saved model
   * state too (the worker may run in another process).
   */
  async clear(conversation: string): Promise<void> {
    await this.redis.multi().del(redisKeys.history(conversation)).publish(redisKeys.resetChannel, conversation).exec();
  }
}

/**
 * First exchange of the window for `exchanges` stored and at most `turns` shown: 0 until the window is
 * full, then advancing by half a window at a time (so between turns/2 and turns exchanges are shown).
 */
export function historyWindowStart(exchanges: number, turns: number): number {
  if (exchanges <= turns) return 0;
  const step = Math.max(1, Math.floor(turns / 2));
  return Math.ceil((exchanges - turns) / step) * step;
}
