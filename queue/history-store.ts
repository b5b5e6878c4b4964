import type { ChainableCommander, Redis } from "ioredis";
import { HistoryTurnSchema, type HistoryTurn } from "../src/contracts.js";
import { redisKeys } from "./keys.js";

/** Turns kept per conversation in Redis; older ones are trimmed (the prompt uses far fewer). */
const MAX_STORED_TURNS = 400;

/** Conversation history in Redis: one list per conversation, oldest turn first, kept across restarts. */
export class HistoryStore {
  constructor(private readonly redis: Redis) {}

  /** The last `turns` exchanges (user + assistant pairs) of a conversation. */
  async load(conversation: string, turns: number): Promise<HistoryTurn[]> {
    if (turns <= 0) return [];
    const raw = await this.redis.lrange(redisKeys.history(conversation), -turns * 2, -1);
    return raw.map((entry) => HistoryTurnSchema.parse(JSON.parse(entry)));
  }

  /** Queues the append of one exchange on a MULTI, so it commits together with the reply marker. */
  appendTo(pipeline: ChainableCommander, conversation: string, user: HistoryTurn, assistant: HistoryTurn): void {
    const key = redisKeys.history(conversation);
    pipeline.rpush(key, JSON.stringify(user), JSON.stringify(assistant));
    pipeline.ltrim(key, -MAX_STORED_TURNS, -1);
  }

  /** Forgets a conversation (`/new`). */
  async clear(conversation: string): Promise<void> {
    await this.redis.del(redisKeys.history(conversation));
  }
}
