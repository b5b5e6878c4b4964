import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../agent/agent.js";
import { NOT_ALLOWED_REPLY } from "../../bots/access.js";
import { PRIVACY_ADMINS_ONLY } from "../../bots/render/privacy-text.js";
import { splitMessage } from "../../bots/render/split-message.js";
import { createDiscordBot, DISCORD_MESSAGE_LIMIT, type DiscordBot } from "../../bots/discord/index.js";
import { ModelEngine } from "../../models/engine.js";
import { HistoryStore } from "../../queue/history-store.js";
import { KEY_PREFIX, REQUESTS_QUEUE } from "../../queue/keys.js";
import { RequestProducer } from "../../queue/producer.js";
import { RequestWorker } from "../../queue/worker.js";
import { loadConfig, type Config } from "../../src/config.js";
import { conversationKey, type Agent, type AgentEvent, type ChatRequest, type JobEvent } from "../../src/contracts.js";
import type { QueueAccess } from "../../src/daemon.js";
import { EgressGate, type EgressRecord } from "../../src/egress.js";
import { ConfigError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { formatPrivacyReport, summarizeAuditLog } from "../../src/privacy-report.js";
import { connectRedis } from "../../src/redis.js";
import { FakeDiscord, type StoredMessage, type UserPayload } from "../support/fake-discord/index.js";
import { SENTENCE_DEFAULT, SENTENCE_REMEMBERED, writeScriptedChatModel } from "../support/models/index.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";
import { until } from "../support/until.js";

/**
 * The real discord.js 14 client against a local fake Discord (REST + WebSocket gateway + attachment CDN
 * on loopback), through the real queue and serial worker, a real redis-server, and real llama.cpp running
 * the scripted chat model (it answers SENTENCE_DEFAULT; SENTENCE_REMEMBERED once "pineapple" is anywhere in
 * its context; with "forever" it never stops).
 *
 * Two tests need answers the tiny model cannot write (one containing "@everyone", one 10,000 characters
 * long): requests starting with "ECHO:" or "LONG:" are answered by a scripted agent in place of the model.
 * Everything between the agent and Discord is the same code path.
 */

const TOKEN = "fake-discord-bot-token-0123456789";
const dir = makeTempDir("burrow-discord-");
let redis: RedisFixture;
let fake: FakeDiscord;
let engine: ModelEngine;
let worker: RequestWorker;
let producer: RequestProducer;
let queueView: Queue;
const connections: { disconnect(): void }[] = [];
/** A Redis connection for the test's own use, closed in afterAll. */
const redisConnection = (name: string) => {
  const connection = connectRedis(redis.target, "client", name);
  connections.push(connection);
  return connection;
};
let bot: DiscordBot;
let botStopped = false;
let config: Config;
const audit: EgressRecord[] = [];
const logLines: string[] = [];
const seen: ChatRequest[] = [];

let general: string;
let offTopic: string;
let otherGuildChannel: string;
let alice: UserPayload;
let bob: UserPayload;
let admin: UserPayload;
let mallory: UserPayload;

beforeAll(async () => {
  fake = await new FakeDiscord({ token: TOKEN }).start();
  const guild = fake.addGuild("home", ["general", "off-topic"]);
  const elsewhere = fake.addGuild("elsewhere", ["lobby"]);
  general = guild.channels["general"]!;
  offTopic = guild.channels["off-topic"]!;
  otherGuildChannel = elsewhere.channels["lobby"]!;
  [alice, bob, admin, mallory] = ["alice", "bob", "admin", "mallory"].map((name) => fake.addUser(name)) as [UserPayload, UserPayload, UserPayload, UserPayload];

  const tokenFile = join(dir.path, "discord-token");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  config = loadConfig({
    HOME: dir.path,
    XDG_CONFIG_HOME: join(dir.path, "config"),
    XDG_DATA_HOME: join(dir.path, "data"),
    BURROW_DISCORD_TOKEN_FILE: tokenFile,
    BURROW_DISCORD_GUILDS: guild.id,
    BURROW_DISCORD_CHANNELS: general,
    BURROW_DISCORD_API: fake.apiUrl,
    BURROW_ALLOWED_USERS: `discord:${alice.id},discord:${bob.id},telegram:42`,
    BURROW_ADMINS: `discord:${admin.id}`,
    BURROW_MAX_QUEUED_PER_USER: "5",
  });

  redis = await startRedisFixture();
  const modelPath = join(dir.path, "scripted.gguf");
  await writeScriptedChatModel(modelPath);
  engine = new ModelEngine({ modelPath, threads: 1, contextSize: 8192, logger: silentLogger() });
  await engine.start();
  const modelAgent = createAgent({
    engine,
    tools: { unavailable: new Map() },
    maxTokens: 7000,
    temperature: 0.7,
    maxToolSteps: 0,
    timeoutMs: 60_000,
    thoughtTokens: 0,
    fixRounds: 0,
    pageTokens: 500,
  });
  const agent: Agent = (request, context) => {
    seen.push(request);
    if (request.text.startsWith("ECHO:")) return scripted(request.text.slice("ECHO:".length));
    if (request.text.startsWith("LONG:")) return scripted(longAnswer(Number(request.text.slice("LONG:".length))));
    return modelAgent(request, context);
  };
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 6 });
  await worker.start();
  producer = new RequestProducer({ redis: redisConnection("discord-test"), target: redis.target, logger: silentLogger() });
  await producer.start();
  queueView = new Queue(REQUESTS_QUEUE, { connection: redisConnection("discord-test-view"), prefix: KEY_PREFIX });
  const queue: QueueAccess = { producer, history: new HistoryStore(redisConnection("discord-test-history")) };

  // Everything the bot logs, at the most verbose level, to prove the token never appears.
  const logger = pino({ level: "trace" }, new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString("utf8")), done()) }));
  bot = createDiscordBot({
    config,
    queue,
    gate: new EgressGate((record) => audit.push(record)),
    logger,
    status: () => ({ model: "scripted.gguf", uptimeSeconds: 42 }),
    // The daemon's source reads the audit log file; here the same summary of this bot's own gate records.
    privacyReport: () => formatPrivacyReport(summarizeAuditLog(audit), { maxQueries: 5 }),
    editIntervalMs: 100,
    maxAttachmentBytes: 10_000,
    readyTimeoutMs: 10_000,
  });
  await bot.start();
});

afterAll(async () => {
  // Process-level backstop (the discord.js destroy-before-ready trap): if stopping hangs, this worker
  // process is ended instead of the whole run hanging. Unref'd, and disarmed once stop() has returned.
  setTimeout(() => {
    if (!botStopped) {
      console.error("discord-bot.test: bot.stop() hung for 20 s; ending the test process");
      process.exit(1);
    }
  }, 20_000).unref();
  await bot?.stop();
  botStopped = true;
  await worker?.stop();
  await producer?.stop();
  await queueView?.close();
  await engine?.stop();
  await fake?.close();
  for (const connection of connections) connection.disconnect();
  await redis?.stop();
  dir.remove();
});

async function* scripted(answer: string): AsyncGenerator<AgentEvent> {
  for (let i = 0; i < answer.length; i += 700) {
    yield { type: "delta", text: answer.slice(i, i + 700) };
    await sleep(5);
  }
  yield { type: "done", answer, sources: [] };
}

/** Numbered prose lines with a TypeScript block in the middle, `length` characters in all. */
function longAnswer(length: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 1; size < length; i++) {
    const line = i % 40 >= 20 && i % 40 < 32 ? `  const value${i} = compute(${i}); // step ${i}` : `Line ${String(i).padStart(4, "0")}: the answer goes on, in order, without a gap.`;
    if (i % 40 === 20) lines.push("```ts");
    lines.push(line);
    if (i % 40 === 31) lines.push("```");
    size = lines.join("\n").length;
  }
  return lines.join("\n").slice(0, length).trimEnd();
}

/** The bot's messages in a channel, and waiting for one whose content satisfies `test`. */
const waitForBotMessage = (channelId: string, test: (content: string) => boolean, what: string, timeoutMs = 10_000): Promise<StoredMessage> =>
  fake.waitFor(() => fake.botMessagesIn(channelId).find((m) => test(m.payload.content)), timeoutMs, what);

const threadOf = (messageId: string) => fake.waitFor(() => fake.threadsOf(general).find((t) => t.id === messageId), 5000, "the thread");

/** Events of a job, once it has ended. */
async function eventsOf(jobId: string): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of producer.events.follow(jobId)) events.push(event);
  return events;
}

async function jobCount(): Promise<number> {
  const counts = await queueView.getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized");
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** REST bodies the bot sent that create or edit messages in `channelId` (or answer interactions there). */
function messageBodies(channelId: string): Record<string, unknown>[] {
  return fake.requests
    .filter((r) => (r.method === "POST" || r.method === "PATCH") && new RegExp(`^/channels/${channelId}/messages(/\\d+)?$`).test(r.path))
    .map((r) => r.body as Record<string, unknown>);
}

describe("Discord bot (real discord.js against a fake Discord)", () => {
  it("logged in with the token from BURROW_DISCORD_TOKEN_FILE, the intents it needs, and its slash commands", () => {
    expect(config.discord.token).toBe(TOKEN);
    expect(fake.identifies).toHaveLength(1);
    // Guilds 1, GuildMessages 512, GuildMessageReactions 1024, DirectMessages 4096, DirectMessageReactions 8192, MessageContent 32768.
    expect(fake.identifies[0]!.intents).toBe(1 + 512 + 1024 + 4096 + 8192 + 32768);
    expect([...fake.commands.keys()].sort()).toEqual(["ask", "cancel", "new", "privacy", "review", "status"]);
    // Every REST call went through the egress gate as "chat-platform", to the configured host only.
    expect(audit.length).toBeGreaterThan(0);
    expect(new Set(audit.map((r) => `${r.purpose} ${r.host}`))).toEqual(new Set([`chat-platform ${new URL(fake.origin).host}`]));
  });

  it("a mention in an allowed channel opens a thread: placeholder with queue position, then the answer there", async () => {
    const question = fake.post(general, alice, "hello there, who are you?", { mentionBot: true });
    const thread = await threadOf(question.id);
    expect(thread).toMatchObject({ parent_id: general, owner_id: fake.bot.id, name: "hello there, who are you?" });
    const answer = await waitForBotMessage(thread.id, (c) => c === SENTENCE_DEFAULT, "the answer in the thread");
    // One placeholder, edited in place: first the queue position, last the answer.
    expect(fake.botMessagesIn(thread.id)).toHaveLength(1);
    expect(answer.contents[0]).toMatch(/^⏳ Queued: you are next\.$/);
    expect(answer.contents.at(-1)).toBe(SENTENCE_DEFAULT);
    // The ❌ control was offered while it ran and taken back at the end.
    expect(answer.reactions).toEqual(["❌"]);
    await fake.waitFor(() => answer.removedReactions.length === 1, 5000, "the ❌ to be removed");
    // The request carried the thread: its history is kept per thread.
    const request = seen.at(-1)!;
    expect(request).toMatchObject({ platform: "discord", chatId: general, threadId: thread.id, userId: alice.id, text: "hello there, who are you?", kind: "chat" });
    const history = await new HistoryStore(redis.client).load(conversationKey(request), 5);
    expect(history.map((t) => t.text)).toEqual(["hello there, who are you?", SENTENCE_DEFAULT]);
    // Nothing was posted in the channel itself.
    expect(fake.botMessagesIn(general)).toHaveLength(0);
  });

  it("follow-ups in the thread continue the conversation (history reaches the model); /new forgets it", async () => {
    const question = fake.post(general, alice, "my favourite fruit is pineapple", { mentionBot: true });
    const thread = await threadOf(question.id);
    await waitForBotMessage(thread.id, (c) => c === SENTENCE_REMEMBERED, "the first answer");
    // No mention needed inside Burrow's thread; the marker word is only in the history now.
    fake.post(thread.id, alice, "what did I tell you?");
    await fake.waitFor(() => fake.botMessagesIn(thread.id).filter((m) => m.payload.content === SENTENCE_REMEMBERED).length === 2, 10_000, "the follow-up answer");
    expect(fake.threadsOf(general).filter((t) => t.id === question.id)).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ chatId: general, threadId: thread.id, text: "what did I tell you?" });

    fake.command("new", {}, alice, thread.id);
    await waitForBotMessage(thread.id, (c) => c.startsWith("🆕 New conversation"), "the /new reply");
    fake.post(thread.id, alice, "and now?");
    await waitForBotMessage(thread.id, (c) => c === SENTENCE_DEFAULT, "an answer without the old history");
  });

  it("answers in DMs (no mention needed) and continues there", async () => {
    fake.dm(bob, "hello from a DM");
    const dm = fake.dmChannelOf(bob);
    await waitForBotMessage(dm, (c) => c === SENTENCE_DEFAULT, "the DM answer");
    expect(seen.at(-1)).toMatchObject({ platform: "discord", chatId: dm, userId: bob.id });
    expect(seen.at(-1)!.threadId).toBeUndefined();
    fake.dm(bob, "pineapple, remember that");
    fake.dm(bob, "what was it?");
    await fake.waitFor(() => fake.botMessagesIn(dm).filter((m) => m.payload.content === SENTENCE_REMEMBERED).length === 2, 10_000, "two remembered answers");
  });

  it("ignores messages without a mention, other channels and other servers", async () => {
    const before = await jobCount();
    fake.post(general, alice, "just chatting, no mention");
    fake.post(offTopic, alice, "not an allowed channel", { mentionBot: true });
    fake.post(otherGuildChannel, alice, "not an allowed server", { mentionBot: true });
    await sleep(300);
    expect(await jobCount()).toBe(before);
    expect(fake.threadsOf(offTopic)).toHaveLength(0);
    expect(fake.botMessagesIn(offTopic)).toHaveLength(0);
    expect(fake.botMessagesIn(otherGuildChannel)).toHaveLength(0);
  });

  it("refuses an unlisted user once, politely, and queues nothing", async () => {
    const before = await jobCount();
    fake.post(general, mallory, "let me in", { mentionBot: true });
    await waitForBotMessage(general, (c) => c === NOT_ALLOWED_REPLY, "the refusal");
    fake.post(general, mallory, "please?", { mentionBot: true });
    fake.dm(mallory, "and here?", { attachments: [fake.addAttachment("secret.txt", "x")] });
    fake.command("ask", { question: "now?" }, mallory, general);
    // The slash command must be answered: it gets the refusal only mallory can see.
    const ephemeral = await fake.waitFor(() => fake.requests.find((r) => r.path.endsWith("/callback") && (r.body as { data?: { content?: string } }).data?.content === NOT_ALLOWED_REPLY), 5000, "the ephemeral refusal");
    expect((ephemeral.body as { data: { flags: number } }).data.flags & 64).toBe(64);
    await sleep(300);
    // One public refusal in the channel (the slash command's one is ephemeral: only mallory sees it).
    const visible = fake.botMessagesIn(general).filter((m) => m.payload.content === NOT_ALLOWED_REPLY && (m.payload.flags & 64) === 0);
    expect(visible).toHaveLength(1);
    expect(fake.botMessagesIn(fake.dmChannelOf(mallory))).toHaveLength(0);
    const malloryMessages = new Set(fake.messagesIn(general).filter((m) => m.payload.author.id === mallory.id).map((m) => m.payload.id));
    expect(fake.threadsOf(general).filter((t) => malloryMessages.has(t.id))).toHaveLength(0);
    expect(fake.downloads.filter((d) => d.endsWith("/secret.txt"))).toHaveLength(0);
    expect(await jobCount()).toBe(before);
  });

  it("❌ on the bot's message stops a running generation (only the requester or an admin); the worker is free again", async () => {
    const question = fake.post(general, alice, "sing forever", { mentionBot: true });
    const thread = await threadOf(question.id);
    // Streamed edits: the placeholder shows the answer growing while the model writes.
    const placeholder = await waitForBotMessage(thread.id, (c) => (c.match(/la/g) ?? []).length >= 20, "the answer to stream");
    const job = [...(await queueView.getJobs(["active"]))][0]!;
    expect(job.data).toMatchObject({ text: "sing forever", threadId: thread.id });
    // Someone else's ❌ does nothing.
    fake.react(thread.id, placeholder.payload.id, bob, "❌");
    await sleep(300);
    expect(await job.getState()).toBe("active");
    const reactedAt = Date.now();
    fake.react(thread.id, placeholder.payload.id, alice, "❌");
    const events = await eventsOf(job.id!);
    const stoppedMs = Date.now() - reactedAt;
    expect(events.at(-1)).toMatchObject({ type: "cancelled" });
    // Loose on purpose (a busy 2-core machine): a 7,000-token answer that ran to its end would take far longer.
    expect(stoppedMs).toBeLessThan(5000);
    const laLengths = placeholder.contents.map((c) => (c.match(/la/g) ?? []).length);
    expect(laLengths.filter((n, i) => i > 0 && n > laLengths[i - 1]!).length).toBeGreaterThanOrEqual(2);
    await waitForBotMessage(thread.id, (c) => c.endsWith("Cancelled."), "the cancelled message");
    // The worker is free: the next question is answered at once.
    const next = fake.post(general, alice, "are you there?", { mentionBot: true });
    const nextThread = await threadOf(next.id);
    await waitForBotMessage(nextThread.id, (c) => c === SENTENCE_DEFAULT, "the next answer", 10_000);
  });

  it("/cancel removes a waiting request, and an admin's /cancel stops someone else's running one", async () => {
    const running = fake.post(general, alice, "sing forever again", { mentionBot: true });
    const runningThread = await threadOf(running.id);
    await waitForBotMessage(runningThread.id, (c) => c.includes("la la"), "the first answer to run");
    const waiting = fake.post(general, bob, "hello after that", { mentionBot: true });
    const waitingThread = await threadOf(waiting.id);
    const waitingPlaceholder = await waitForBotMessage(waitingThread.id, (c) => c.startsWith("⏳ Queued: 1 request ahead of you"), "the waiting placeholder");

    // Bob's /cancel in the channel finds his request (it lives in its thread) and removes it from the queue.
    fake.command("cancel", {}, bob, general);
    await fake.waitFor(() => fake.requests.find((r) => r.path.endsWith("/callback") && (r.body as { data?: { content?: string } }).data?.content === "Removed from the queue."), 5000, "bob's /cancel reply");
    await fake.waitFor(() => waitingPlaceholder.payload.content === "Cancelled.", 5000, "the waiting request to show Cancelled.");
    expect(await queueView.getJobCounts("waiting")).toMatchObject({ waiting: 0 });

    // Bob may not cancel alice's request; the admin may.
    fake.command("cancel", {}, bob, runningThread.id);
    await fake.waitFor(() => fake.requests.find((r) => r.path.endsWith("/callback") && (r.body as { data?: { content?: string } }).data?.content === "You have nothing waiting or running here."), 5000, "bob's refusal");
    fake.command("cancel", {}, admin, runningThread.id);
    await fake.waitFor(() => fake.requests.find((r) => r.path.endsWith("/callback") && (r.body as { data?: { content?: string } }).data?.content === "Stopping…"), 5000, "the admin's /cancel reply");
    await waitForBotMessage(runningThread.id, (c) => c.endsWith("Cancelled."), "the running request to be cancelled", 5000);
    await until(async () => (await queueView.getJobCounts("active")).active === 0, 5000, "the worker to be idle");
    expect(await queueView.getJobCounts("active", "waiting")).toMatchObject({ active: 0, waiting: 0 });
  });

  it("model output with @everyone pings nobody: allowed_mentions parse [] on every message and edit", async () => {
    fake.dm(alice, "ECHO:@everyone @here <@&1234> <@5678> look at this");
    const dm = fake.dmChannelOf(alice);
    await waitForBotMessage(dm, (c) => c.startsWith("@everyone"), "the echoed answer");
    const bodies = messageBodies(dm);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) expect(body.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it("a 429 with retry_after is honoured by the library: the answer still arrives, after the wait", async () => {
    const dm = fake.dmChannelOf(admin);
    const before = fake.botMessagesIn(dm).length;
    fake.rateLimitNext("POST", new RegExp(`^/channels/${dm}/messages$`), 1);
    fake.dm(admin, "hello, admin here");
    await fake.waitFor(() => fake.botMessagesIn(dm).length > before && fake.botMessagesIn(dm).at(-1)!.payload.content === SENTENCE_DEFAULT, 10_000, "the answer after the 429");
    expect(fake.rateLimited).toHaveLength(1);
    const limited = fake.rateLimited[0]!;
    const retry = fake.requests.find((r) => r.method === "POST" && r.path === `/channels/${dm}/messages` && r.status === 200 && r.at >= limited.at)!;
    expect(retry.at - limited.at).toBeGreaterThanOrEqual(950);
    expect(fake.botMessagesIn(dm).length).toBe(before + 1);
  });

  it("a 10,000-character answer arrives complete, in order, each message within 2,000 characters; longer ones as a file", async () => {
    fake.dm(bob, "LONG:10000");
    const dm = fake.dmChannelOf(bob);
    const expected = splitMessage(longAnswer(10_000), DISCORD_MESSAGE_LIMIT);
    expect(expected.length).toBeGreaterThanOrEqual(5);
    await fake.waitFor(() => fake.botMessagesIn(dm).at(-1)?.payload.content === expected.at(-1), 10_000, "the last chunk");
    const messages = fake.botMessagesIn(dm).slice(-expected.length).map((m) => m.payload.content);
    expect(messages).toEqual(expected);
    for (const text of messages) {
      expect(text.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect((text.match(/^```/gm) ?? []).length % 2).toBe(0);
    }

    fake.dm(bob, "LONG:15000");
    const file = await fake.waitFor(() => fake.botMessagesIn(dm).find((m) => m.files.length > 0), 10_000, "the answer file");
    expect(file.files[0]!.content).toBe(longAnswer(15_000));
    expect(fake.botMessagesIn(dm).at(-2)!.payload.content).toBe(`📎 The answer is ${longAnswer(15_000).length.toLocaleString("en")} characters long, so it is attached as answer.md.`);
  });

  it("text attachments reach the model through the egress gate; binary and oversized files are refused, nothing queued", async () => {
    const dm = fake.dmChannelOf(alice);
    fake.dm(alice, "what is in my notes?", { attachments: [fake.addAttachment("notes.txt", "remember: pineapple\n")] });
    await fake.waitFor(() => fake.botMessagesIn(dm).at(-1)?.payload.content === SENTENCE_REMEMBERED, 10_000, "an answer that read the file");
    expect(seen.at(-1)!.attachments).toEqual([{ name: "notes.txt", mimeType: "text/plain; charset=utf-8", text: "remember: pineapple\n" }]);
    expect(fake.downloads.some((d) => d.endsWith("/notes.txt"))).toBe(true);

    const before = await jobCount();
    fake.dm(alice, "and this?", { attachments: [fake.addAttachment("image.bin", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]), "application/octet-stream")] });
    await waitForBotMessage(dm, (c) => c.startsWith("“image.bin” is not a text file"), "the binary refusal");
    fake.dm(alice, "and this one?", { attachments: [fake.addAttachment("huge.log", "x".repeat(20_000))] });
    await waitForBotMessage(dm, (c) => c.startsWith("“huge.log” is 20 KB"), "the size refusal");
    expect(fake.downloads.some((d) => d.endsWith("/huge.log"))).toBe(false);
    expect(await jobCount()).toBe(before);
  });

  it("/ask opens a thread from its reply; /review queues a review with the file; /status answers", async () => {
    fake.command("ask", { question: "hello via slash command" }, alice, general);
    const reply = await fake.waitFor(() => fake.botMessagesIn(general).find((m) => m.payload.content === "❓ hello via slash command"), 5000, "the /ask reply");
    const thread = await threadOf(reply.payload.id);
    await waitForBotMessage(thread.id, (c) => c === SENTENCE_DEFAULT, "the /ask answer");
    expect(seen.at(-1)).toMatchObject({ chatId: general, threadId: thread.id, text: "hello via slash command" });

    const code = fake.addAttachment("add.py", "def add(a, b):\n    return a - b\n", "text/x-python");
    fake.command("review", { file: code, focus: "is it correct?" }, alice, fake.dmChannelOf(alice));
    await fake.waitFor(() => seen.some((r) => r.kind === "review"), 10_000, "the review job");
    expect(seen.find((r) => r.kind === "review")).toMatchObject({ kind: "review", text: "is it correct?", attachments: [{ name: "add.py", text: "def add(a, b):\n    return a - b\n" }] });

    fake.command("status", {}, bob, general);
    const status = await fake.waitFor(() => fake.requests.find((r) => r.path.endsWith("/callback") && /Model: scripted\.gguf/.test((r.body as { data?: { content?: string } }).data?.content ?? "")), 5000, "the /status reply");
    expect((status.body as { data: { content: string } }).data.content).toMatch(/^Burrow is (idle|answering a request); \d+ requests? waiting\.\nModel: scripted\.gguf\nUp for 42 s\.$/);
  });

  it("a message starting with /review in a Burrow thread queues a review of all its files there; /review alone says how", async () => {
    const question = fake.post(general, alice, "let us look at my code", { mentionBot: true });
    const thread = await threadOf(question.id);
    await waitForBotMessage(thread.id, (c) => c === SENTENCE_DEFAULT, "the first answer in the thread");
    const files = [fake.addAttachment("calc.py", "def half(x):\n    return x / 0\n", "text/x-python"), fake.addAttachment("slug.js", "export const slug = (s) => s.trim();\n", "text/javascript")];
    fake.post(thread.id, alice, "/review look at the edge cases", { attachments: files });
    const inThread = () => seen.find((r) => r.kind === "review" && r.threadId === thread.id);
    await fake.waitFor(inThread, 10_000, "the review job");
    expect(inThread()).toMatchObject({
      kind: "review",
      chatId: general,
      threadId: thread.id,
      text: "look at the edge cases",
      attachments: [
        { name: "calc.py", text: "def half(x):\n    return x / 0\n" },
        { name: "slug.js", text: "export const slug = (s) => s.trim();\n" },
      ],
    });

    const before = await jobCount();
    fake.post(thread.id, alice, "/review");
    await waitForBotMessage(thread.id, (c) => c.startsWith("To get a code review, attach the files"), "the /review usage reply");
    expect(await jobCount()).toBe(before);
  });

  it("/privacy shows an admin, privately, what left the machine (a search query too); an allowed non-admin is refused", async () => {
    audit.push({ at: new Date().toISOString(), purpose: "search", method: "GET", host: "search.example", query: "@everyone ```breakout", outcome: "allowed", status: 200, bytesOut: 80, bytesIn: 900 });
    const callbackWith = (pattern: RegExp) => () => fake.requests.find((r) => r.path.endsWith("/callback") && pattern.test((r.body as { data?: { content?: string } }).data?.content ?? ""));
    fake.command("privacy", {}, admin, general);
    const shown = await fake.waitFor(callbackWith(/Contacted:/), 5000, "the admin's /privacy reply");
    const data = (shown.body as { data: { content: string; flags: number } }).data;
    expect(data.flags & 64).toBe(64); // ephemeral: only the admin sees it
    expect(data.content.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
    expect(data.content).toMatch(new RegExp(`chat-platform\\s+${new URL(fake.origin).host.replace(/\./g, "\\.")}\\s+\\d+`));
    // The query is listed, inside one code block that the query's own ``` cannot close.
    expect(data.content).toContain("→ search.example:443");
    expect(data.content.match(/```/g)).toHaveLength(2);
    fake.command("privacy", {}, bob, general);
    const refused = await fake.waitFor(callbackWith(/^Only an admin/), 5000, "Bob's /privacy reply");
    expect((refused.body as { data: { content: string } }).data.content).toBe(PRIVACY_ADMINS_ONLY);
  });

  it("every message and edit Burrow sent in this run pings nobody (allowed_mentions parse [])", () => {
    const sent = fake.requests.filter((r) => r.status < 300 && (r.method === "POST" || r.method === "PATCH") && /\/messages(\/[^/]+)?$|\/callback$|^\/webhooks\/\d+\/[^/]+$/.test(r.path));
    const withContent = sent.map((r) => (r.path.endsWith("/callback") ? (r.body as { data?: Record<string, unknown> }).data : (r.body as Record<string, unknown>))).filter((b) => b && "content" in b);
    expect(withContent.length).toBeGreaterThan(50);
    for (const body of withContent) expect(body!.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it("never logs the token", () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("")).not.toContain(TOKEN);
  });
});

describe("Discord bot start-up failures", () => {
  const queue = (): QueueAccess => ({ producer, history: new HistoryStore(redis.client) });
  const options = (fakeApi: string, token: string) => ({
    config: { ...config, discord: { ...config.discord, token, apiUrl: fakeApi } },
    queue: queue(),
    gate: new EgressGate(() => {}),
    logger: silentLogger(),
    status: () => ({ model: undefined, uptimeSeconds: 0 }),
    readyTimeoutMs: 1000,
  });

  it("a missing token is a configuration error", () => {
    expect(() => createDiscordBot({ ...options(fake.apiUrl, ""), config: { ...config, discord: { ...config.discord, token: undefined } } })).toThrow(ConfigError);
  });

  it("a token Discord refuses fails start() with a clear error, quickly, without a connection left", async () => {
    const other = await new FakeDiscord({ token: TOKEN }).start();
    try {
      const wrong = createDiscordBot(options(other.apiUrl, "not-the-right-token-000000000"));
      const error = await wrong.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/refused the bot token/);
      expect((error as ConfigError).message).not.toContain("not-the-right-token");
      expect(other.connections).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("a gateway that never says READY: start() gives up after its timeout and stop() really stops (no reconnects)", async () => {
    const other = await new FakeDiscord({ token: TOKEN }).start();
    other.setGatewayMode("silent");
    try {
      const stuck = createDiscordBot(options(other.apiUrl, TOKEN));
      const started = Date.now();
      const error = await stuck.start().catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/did not confirm the bot's login within 1 s/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(other.connections).toBe(0);
      const identifies = other.identifies.length;
      await sleep(1200);
      expect(other.identifies.length).toBe(identifies);
      expect(other.connections).toBe(0);
      // Once the gateway answers again, the same bot can be started after all.
      other.setGatewayMode("normal");
      await stuck.start();
      expect(other.connections).toBe(1);
      await stuck.stop();
      await until(() => other.connections === 0, 2000, "the gateway connection to close");
    } finally {
      await other.close();
    }
  });
});
