import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscordBot, type DiscordBot } from "../../bots/discord/index.js";
import { HistoryStore } from "../../queue/history-store.js";
import { RequestProducer } from "../../queue/producer.js";
import { RatingStore } from "../../queue/ratings.js";
import { RequestWorker } from "../../queue/worker.js";
import { loadConfig } from "../../src/config.js";
import type { Agent, AgentEvent } from "../../src/contracts.js";
import { EgressGate } from "../../src/egress.js";
import { silentLogger } from "../../src/log.js";
import { connectRedis } from "../../src/redis.js";
import { FakeDiscord, type UserPayload } from "../support/fake-discord/index.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";
import { until } from "../support/until.js";

/**
 * Rating answers by reaction: the real discord.js client against the local fake Discord, the real queue
 * and worker (a scripted agent: the model is not what is tested here) and a real Redis. A bot with a
 * rating store puts 👍/👎 under a finished answer; a reaction by the requester (or an admin) rates it.
 */
const TOKEN = "fake-discord-bot-token-ratings-0123";
const dir = makeTempDir("burrow-discord-rate-");
let redis: RedisFixture;
let fake: FakeDiscord;
let worker: RequestWorker;
let producer: RequestProducer;
let ratings: RatingStore;
let bot: DiscordBot | undefined;
let general: string;
let alice: UserPayload;
let bob: UserPayload;
let admin: UserPayload;
const connections: { disconnect(): void }[] = [];

const agent: Agent = async function* (request): AsyncGenerator<AgentEvent> {
  yield { type: "delta", text: "Thinking about it" };
  yield { type: "done", answer: `The answer to: ${request.text}`, sources: [] };
};

beforeAll(async () => {
  fake = await new FakeDiscord({ token: TOKEN }).start();
  const guild = fake.addGuild("home", ["general"]);
  general = guild.channels["general"]!;
  [alice, bob, admin] = ["alice", "bob", "admin"].map((name) => fake.addUser(name)) as [UserPayload, UserPayload, UserPayload];
  const tokenFile = join(dir.path, "discord-token");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const config = loadConfig({
    HOME: dir.path,
    XDG_CONFIG_HOME: join(dir.path, "config"),
    XDG_DATA_HOME: join(dir.path, "data"),
    BURROW_DISCORD_TOKEN_FILE: tokenFile,
    BURROW_DISCORD_GUILDS: guild.id,
    BURROW_DISCORD_API: fake.apiUrl,
    BURROW_ALLOWED_USERS: `discord:${alice.id},discord:${bob.id}`,
    BURROW_ADMINS: `discord:${admin.id}`,
  });
  redis = await startRedisFixture();
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 6 });
  await worker.start();
  const commands = connectRedis(redis.target, "client", "discord-ratings-test");
  connections.push(commands);
  producer = new RequestProducer({ redis: commands, target: redis.target, logger: silentLogger() });
  await producer.start();
  ratings = new RatingStore(commands);
  bot = createDiscordBot({
    config,
    queue: { producer, history: new HistoryStore(commands), ratings },
    gate: new EgressGate(() => {}),
    logger: silentLogger(),
    status: () => ({ model: "scripted.gguf", uptimeSeconds: 1 }),
    editIntervalMs: 100,
    readyTimeoutMs: 10_000,
  });
  await bot.start();
});

afterAll(async () => {
  await bot?.stop();
  await worker?.stop();
  await producer?.stop();
  await fake?.close();
  for (const connection of connections) connection.disconnect();
  await redis?.stop();
  dir.remove();
});

describe("Discord ratings", () => {
  it("offers 👍/👎 under a finished answer; the requester's or an admin's reaction rates it, others' are ignored", async () => {
    const question = fake.post(general, alice, "what is a closure?", { mentionBot: true });
    const thread = await fake.waitFor(() => fake.threadsOf(general).find((t) => t.id === question.id), 5000, "the thread");
    const answer = await fake.waitFor(() => fake.botMessagesIn(thread.id).find((m) => m.payload.content === "The answer to: what is a closure?"), 10_000, "the answer");
    await fake.waitFor(() => answer.reactions.includes("👎"), 5000, "the rating reactions");
    expect(answer.reactions).toEqual(["❌", "👍", "👎"]);
    await fake.waitFor(() => answer.removedReactions.length === 1, 5000, "the ❌ to be removed");

    // Bob is allowed to use Burrow but did not ask: his 👎 is ignored.
    fake.react(thread.id, answer.payload.id, bob, "👎");
    await sleep(300);
    const rated = async () => {
      const all = [];
      for await (const record of ratings.all()) all.push(record);
      return all;
    };
    expect(await rated()).toEqual([]);

    fake.react(thread.id, answer.payload.id, alice, "👍");
    await until(async () => (await rated()).length === 1, 5000, "Alice's rating");
    expect((await rated())[0]).toMatchObject({ rating: 1, ratedBy: `discord:${alice.id}`, request: { text: "what is a closure?", threadId: thread.id }, answer: { text: "The answer to: what is a closure?" } });

    fake.react(thread.id, answer.payload.id, admin, "👎");
    await until(async () => (await rated())[0]?.rating === -1, 5000, "the admin's rating");
    expect((await rated())[0]).toMatchObject({ rating: -1, ratedBy: `discord:${admin.id}` });
  });
});
