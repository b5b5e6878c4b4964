import { setTimeout as sleep } from "node:timers/promises";
import {
  managerToFetchingStrategyOptions,
  SimpleContextFetchingStrategy,
  SimpleShardingStrategy,
  WebSocketShard,
  WebSocketShardEvents,
  WebSocketShardStatus,
  type IShardingStrategy,
  type WebSocketManager,
  type WebSocketShardDestroyOptions,
} from "@discordjs/ws";
import type { GatewaySendPayload } from "discord.js";

/**
 * discord.js 14's own sharding strategy, except that it can be stopped before the gateway said READY.
 *
 * The trap (measured against a local fake gateway): `client.destroy()` while a shard waits for HELLO or
 * READY aborts that wait, and the abort handler itself calls `destroy({ recover: Reconnect })`. That inner
 * destroy replaces the outer one's close handler, so the outer `destroy()` never resolves, and the inner one
 * reconnects — forever. Here a shard that is being stopped ignores destroys that would reconnect, so the
 * outer destroy closes the socket and returns. Every other behaviour is SimpleShardingStrategy's.
 */
export class StoppableShardingStrategy implements IShardingStrategy {
  private readonly shards = new Map<number, StoppableShard>();

  constructor(private readonly manager: WebSocketManager) {}

  async spawn(shardIds: number[]): Promise<void> {
    const strategyOptions = await managerToFetchingStrategyOptions(this.manager);
    for (const shardId of shardIds) {
      const shard = new StoppableShard(new SimpleContextFetchingStrategy(this.manager, strategyOptions), shardId);
      for (const event of Object.values(WebSocketShardEvents)) {
        // The manager re-emits every shard event with its shard id, as SimpleShardingStrategy does.
        shard.on(event, (payload: unknown) => (this.manager.emit as (name: string, data: unknown) => boolean)(event, { ...(payload as object), shardId }));
      }
      this.shards.set(shardId, shard);
    }
  }

  async connect(): Promise<void> {
    await Promise.all([...this.shards.values()].map((shard) => shard.connect()));
  }

  async destroy(options?: Omit<WebSocketShardDestroyOptions, "recover">): Promise<void> {
    const shards = [...this.shards.values()];
    // A shard that was not READY may be inside its own reconnect pause; it could dial again after our
    // destroy returns, so shards that are not idle a moment later are destroyed again.
    const mayReconnect = shards.some((shard) => shard.status !== WebSocketShardStatus.Ready);
    for (const shard of shards) shard.stopping = true;
    await Promise.all(shards.map((shard) => shard.destroy(options)));
    for (let round = 0; mayReconnect && round < 3; round++) {
      await sleep(600);
      const busy = shards.filter((shard) => shard.status !== WebSocketShardStatus.Idle);
      if (busy.length === 0) break;
      await Promise.all(busy.map((shard) => shard.destroy(options)));
    }
    this.shards.clear();
  }

  async send(shardId: number, payload: GatewaySendPayload): Promise<void> {
    const shard = this.shards.get(shardId);
    if (!shard) throw new RangeError(`Shard ${shardId} not found`);
    await shard.send(payload);
  }

  async fetchStatus(): Promise<Awaited<ReturnType<IShardingStrategy["fetchStatus"]>>> {
    // An empty Collection of @discordjs/ws's own version (discord.js bundles an older one), filled here.
    const statuses = await new SimpleShardingStrategy(this.manager).fetchStatus();
    for (const [id, shard] of this.shards) statuses.set(id, shard.status);
    return statuses;
  }
}

class StoppableShard extends WebSocketShard {
  stopping = false;

  override async destroy(options: WebSocketShardDestroyOptions = {}): Promise<void> {
    // While stopping, the only destroys that may run are the ones that do not reconnect.
    if (this.stopping && options.recover !== undefined) return;
    await super.destroy(options);
  }
}
