import { join } from "node:path";
import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAgent } from "../../agent/agent.js";
import { NOT_ALLOWED_REPLY } from "../../bots/access.js";
import { PRIVACY_ADMINS_ONLY } from "../../bots/render/privacy-text.js";
import { openFenceAtEnd, splitMessage } from "../../bots/render/split-message.js";
import { markdownToTelegram } from "../../bots/render/telegram-markdown.js";
import { JobMessageStream } from "../../bots/stream.js";
import { ChatPacer } from "../../bots/telegram/chat-pacer.js";
import { createTelegramBot, TELEGRAM_MESSAGE_LIMIT, type TelegramBot } from "../../bots/telegram/index.js";
import { TelegramSink } from "../../bots/telegram/telegram-sink.js";
import { ModelEngine } from "../../models/engine.js";
import { HistoryStore } from "../../queue/history-store.js";
import { RequestProducer } from "../../queue/producer.js";
import { RatingStore } from "../../queue/ratings.js";
import { RequestWorker } from "../../queue/worker.js";
import type { JobEvent } from "../../src/contracts.js";
import { EgressGate, type EgressRecord } from "../../src/egress.js";
import { silentLogger } from "../../src/log.js";
import { formatPrivacyReport, summarizeAuditLog } from "../../src/privacy-report.js";
import { connectRedis } from "../../src/redis.js";
import { FakeTelegram, type ChatMessage } from "../support/fake-telegram/index.js";
import { SENTENCE_DEFAULT, SENTENCE_REMEMBERED, writeScriptedChatModel } from "../support/models/index.js";
import { startRedisFixture, type RedisFixture } from "../support/redis-fixture.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The real grammY bot against a fake Telegram Bot API on loopback, through the real queue, the real
 * worker and real llama.cpp on the scripted chat model (it answers SENTENCE_DEFAULT; SENTENCE_REMEMBERED
 * when "pineapple" is anywhere in its context; " la" forever when "forever" is).
 */

const ALICE = 111; // allowed
const BOB = 222; // allowed
const ADMIN = 999;
const STRANGER = 333;
const EDIT_INTERVAL_MS = 300;

const tmp = makeTempDir("burrow-telegram-");
let modelPath: string;
let redis: RedisFixture;
let engine: ModelEngine;
let worker: RequestWorker | undefined;
let producer: RequestProducer;
let history: HistoryStore;
let fake: FakeTelegram;
let bot: TelegramBot | undefined;
let audit: EgressRecord[];

async function startWorker(): Promise<void> {
  const agent = createAgent({
    engine,
    tools: { unavailable: new Map() },
    maxTokens: 1500,
    temperature: 0,
    maxToolSteps: 0,
    timeoutMs: 60_000,
    thoughtTokens: 64,
    fixRounds: 0,
    pageTokens: 500,
  });
  worker = new RequestWorker({ target: redis.target, agent, logger: silentLogger(), historyTurns: 6, stopGraceMs: 100 });
  await worker.start();
}

async function startEngine(): Promise<ModelEngine> {
  const started = new ModelEngine({ modelPath, threads: 1, contextSize: 2048, logger: silentLogger() });
  await started.start();
  return started;
}

async function startBot(overrides: { maxQueuedPerUser?: number; ratings?: RatingStore } = {}): Promise<TelegramBot> {
  audit = [];
  const gate = new EgressGate((record) => audit.push(record));
  bot = createTelegramBot({
    config: {
      telegram: { token: fake.token, apiRoot: fake.apiRoot },
      access: { allowedUsers: [`telegram:${ALICE}`, `telegram:${BOB}`], admins: [`telegram:${ADMIN}`], maxQueuedPerUser: overrides.maxQueuedPerUser ?? 3 },
    },
    queue: { producer, history, ratings: overrides.ratings },
    logger: silentLogger(),
    status: () => ({ model: "scripted.gguf", uptimeSeconds: 125 }),
    // The daemon's source reads the audit log file; here the same summary of this bot's own gate records.
    privacyReport: () => formatPrivacyReport(summarizeAuditLog(audit), { maxQueries: 5 }),
    gate,
    editIntervalMs: EDIT_INTERVAL_MS,
    pollingTimeoutSeconds: 5,
  });
  await bot.start();
  return bot;
}

/** The bot's message that answers the user's message `replyTo`. */
const answerTo = (chatId: number, replyTo: number, threadId?: number) => fake.botMessagesIn(chatId, threadId).find((m) => m.replyTo === replyTo);
const finalText = (message: ChatMessage | undefined) => (message && message.keyboard === undefined ? message.text : undefined);
/** The bot's plain replies (not placeholders) in a chat, by text. */
const botTexts = (chatId: number) => fake.botMessagesIn(chatId).map((m) => m.text);
const jobIdOf = (message: ChatMessage) => message.keyboard![0]![0]!.callback_data!.replace("cancel:", "");

beforeAll(async () => {
  redis = await startRedisFixture();
  modelPath = (await writeScriptedChatModel(join(tmp.path, "scripted.gguf"))).path;
  engine = await startEngine();
});
afterAll(async () => {
  await engine.stop();
  await redis.stop();
  tmp.remove();
});
beforeEach(async () => {
  await redis.client.flushall();
  const commands = connectRedis(redis.target, "client", "test-bot");
  producer = new RequestProducer({ redis: commands, target: redis.target, logger: silentLogger() });
  await producer.start();
  history = new HistoryStore(commands);
  fake = new FakeTelegram();
  await fake.start();
  await startWorker();
});
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  await worker?.stop();
  worker = undefined;
  await producer.stop();
  await fake.stop();
});

describe("Telegram bot", () => {
  it("streams a long answer by throttled edits, shows queue position, and /cancel stops a running generation", async () => {
    await startBot();
    const singing = fake.pushMessage({ chatId: BOB, userId: BOB, text: "sing forever please" });
    // Streamed edits: the placeholder grows as the model writes.
    const progressEdits = () => fake.callsOf("editMessageText").filter((c) => c.payload.chat_id === BOB && c.status === 200 && /^la/.test(String(c.payload.text)));
    await fake.waitFor(() => progressEdits().length >= 2, "two streamed edits of the forever answer");
    const [earlier, later] = progressEdits().map((c) => String(c.payload.text));
    expect(later!.startsWith(earlier!)).toBe(true);
    expect(later!.length).toBeGreaterThan(earlier!.length);
    const hello = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "hello" });
    const queued = await fake.waitFor(() => answerTo(ALICE, hello), "Alice's placeholder");
    expect(queued.text).toBe("⏳ Queued: 1 request ahead of you.");
    expect(queued.keyboard?.[0]?.[0]).toMatchObject({ text: "✖ Cancel", callback_data: expect.stringMatching(/^cancel:[0-9a-f-]{36}$/) });

    const cancelAt = performance.now();
    const cancel = fake.pushMessage({ chatId: BOB, userId: BOB, text: "/cancel" });
    await fake.waitFor(() => fake.botMessagesIn(BOB).find((m) => m.replyTo === cancel && m.text === "Stopping…"), "the /cancel reply");
    const stopped = await fake.waitFor(() => finalText(answerTo(BOB, singing))?.endsWith("Cancelled.") && answerTo(BOB, singing)!, "Bob's answer to end with Cancelled.");
    expect(stopped.text).toMatch(/^la( la)*\n\nCancelled\.$/);
    // The worker is free again well before the 1,500-token answer would have ended: Alice gets hers.
    await fake.waitFor(() => finalText(answerTo(ALICE, hello)) === SENTENCE_DEFAULT, "Alice's answer");
    // (A loose bound: the "Cancelled." above is the proof; this catches a cancel that only lands at the end.)
    expect(performance.now() - cancelAt).toBeLessThan(10_000);

    const bobEdits = fake.callsOf("editMessageText").filter((c) => c.payload.chat_id === BOB && c.status === 200);
    // Edits in one chat leave the bot about the interval apart. Measured on arrival here, so timer lateness and
    // loopback transit on a busy 2-core machine shift single gaps by tens of ms: 100 ms of jitter is allowed
    // (without pacing, gaps are a few ms). Every message goes without link previews.
    expect(bobEdits.length).toBeGreaterThan(1);
    for (let i = 1; i < bobEdits.length; i++) expect(bobEdits[i]!.at - bobEdits[i - 1]!.at).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS - 100);
    for (const call of [...fake.callsOf("sendMessage"), ...fake.callsOf("editMessageText")]) expect(call.payload.link_preview_options).toEqual({ is_disabled: true });
    // Every API call passed the egress gate as chat-platform traffic to the configured host only.
    expect(audit.length).toBeGreaterThan(5);
    expect(new Set(audit.map((r) => `${r.purpose} ${r.host} ${r.outcome}`))).toEqual(new Set([`chat-platform ${new URL(fake.apiRoot).host} allowed`]));
    expect(JSON.stringify(audit)).not.toContain(fake.token);
  });

  it("the Cancel button removes a waiting job and stops a running one, for the requester or an admin only", async () => {
    await startBot({ maxQueuedPerUser: 2 });
    const running = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "forever and ever" });
    await fake.waitFor(() => answerTo(ALICE, running)?.text.startsWith("la"), "the running answer");
    const waiting = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "then this" });
    const waitingMessage = await fake.waitFor(() => answerTo(ALICE, waiting), "the waiting placeholder");
    expect(waitingMessage.text).toBe("⏳ Queued: 1 request ahead of you.");
    // The per-user cap: a third request is refused with a clear message, and not queued.
    const third = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "and a third" });
    await fake.waitFor(() => answerTo(ALICE, third)?.text.startsWith("You already have 2 requests waiting or running"), "the cap refusal");
    expect(await producer.countQueuedBy("telegram", String(ALICE))).toBe(2);
    expect(await producer.countQueuedBy("telegram", String(BOB))).toBe(0);

    // Bob may not cancel Alice's request.
    fake.pressButton({ chatId: ALICE, userId: BOB, messageId: waitingMessage.messageId, data: `cancel:${jobIdOf(waitingMessage)}` });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 1, "Bob's button answer");
    expect(fake.callsOf("answerCallbackQuery")[0]!.payload.text).toBe("Only the person who asked (or an admin) can cancel that request.");
    expect(await producer.counts()).toEqual({ waiting: 1, active: 1 });

    // Alice removes her waiting request.
    fake.pressButton({ chatId: ALICE, userId: ALICE, messageId: waitingMessage.messageId, data: `cancel:${jobIdOf(waitingMessage)}` });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 2, "Alice's button answer");
    expect(fake.callsOf("answerCallbackQuery")[1]!.payload.text).toBe("Removed from the queue.");
    await fake.waitFor(() => finalText(answerTo(ALICE, waiting)) === "Cancelled.", "the waiting placeholder to say Cancelled.");

    // The admin stops the running one.
    const runningMessage = answerTo(ALICE, running)!;
    const pressedAt = performance.now();
    fake.pressButton({ chatId: ALICE, userId: ADMIN, messageId: runningMessage.messageId, data: `cancel:${jobIdOf(runningMessage)}` });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 3, "the admin's button answer");
    expect(fake.callsOf("answerCallbackQuery")[2]!.payload.text).toBe("Stopping…");
    await fake.waitFor(() => finalText(answerTo(ALICE, running))?.endsWith("Cancelled."), "the running answer to say Cancelled.");
    expect(performance.now() - pressedAt).toBeLessThan(8000);
    // BullMQ marks the job finished a moment after its last event.
    for (let i = 0; i < 100 && (await producer.counts()).active > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await producer.counts()).toEqual({ waiting: 0, active: 0 });
  });

  it("puts 👍/👎 under a finished answer; a press rates it, for the requester or an admin only", async () => {
    const ratingsRedis = connectRedis(redis.target, "client", "test-ratings");
    const ratings = new RatingStore(ratingsRedis);
    await startBot({ ratings });
    const hello = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "hello" });
    const answer = await fake.waitFor(() => (answerTo(ALICE, hello)?.keyboard?.[0]?.[0]?.text === "👍" ? answerTo(ALICE, hello) : undefined), "the rating buttons under the answer");
    expect(answer.text).toBe(SENTENCE_DEFAULT);
    const [up, down] = answer.keyboard![0]!;
    expect(down).toMatchObject({ text: "👎", callback_data: expect.stringMatching(/^rate:[0-9a-f-]{36}:down$/) });
    const jobId = up!.callback_data!.split(":")[1]!;
    expect(up!.callback_data).toBe(`rate:${jobId}:up`);

    fake.pressButton({ chatId: ALICE, userId: BOB, messageId: answer.messageId, data: down!.callback_data! });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 1, "Bob's button answer");
    expect(fake.callsOf("answerCallbackQuery")[0]!.payload.text).toBe("Only the person who asked (or an admin) can rate that answer.");
    expect(await ratings.get(jobId)).toBeUndefined();

    fake.pressButton({ chatId: ALICE, userId: ALICE, messageId: answer.messageId, data: up!.callback_data! });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 2, "Alice's button answer");
    expect(fake.callsOf("answerCallbackQuery")[1]!.payload.text).toBe("👍 Thanks! Marked as a good answer.");
    expect(await ratings.get(jobId)).toMatchObject({ rating: 1, ratedBy: `telegram:${ALICE}`, request: { text: "hello" }, answer: { text: SENTENCE_DEFAULT } });

    fake.pressButton({ chatId: ALICE, userId: ADMIN, messageId: answer.messageId, data: down!.callback_data! });
    await fake.waitFor(() => fake.callsOf("answerCallbackQuery").length === 3, "the admin's button answer");
    expect(await ratings.get(jobId)).toMatchObject({ rating: -1, ratedBy: `telegram:${ADMIN}` });
    await ratingsRedis.quit();
  });

  it("refuses an unlisted user once, politely, and queues nothing", async () => {
    await startBot();
    fake.pushMessage({ chatId: STRANGER, userId: STRANGER, text: "hello" });
    await fake.waitFor(() => botTexts(STRANGER).length === 1, "the refusal");
    expect(botTexts(STRANGER)).toEqual([NOT_ALLOWED_REPLY]);
    fake.pushMessage({ chatId: STRANGER, userId: STRANGER, text: "hello again" });
    fake.pushMessage({ chatId: STRANGER, userId: STRANGER, text: "/new" });
    fake.pushMessage({ chatId: STRANGER, userId: STRANGER, document: { name: "a.txt", content: "secret" } });
    // A listed user's message after them is answered, so the stranger's have all been handled.
    const hello = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "hello" });
    await fake.waitFor(() => finalText(answerTo(ALICE, hello)) === SENTENCE_DEFAULT, "Alice's answer");
    expect(botTexts(STRANGER)).toEqual([NOT_ALLOWED_REPLY]);
    expect(fake.callsOf("getFile")).toEqual([]);
    const requests = await redis.client.keys("burrow:history:telegram:*");
    expect(requests).toEqual([`burrow:history:telegram:${ALICE}:-`]);
  });

  it("/privacy shows an admin what left the machine (from the audit records), and refuses everyone else", async () => {
    await startBot();
    const searxng = new URL("http://search.example/search?q=x");
    for (const query of ["first query", "second query"]) audit.push({ at: new Date().toISOString(), purpose: "search", method: "GET", host: searxng.host, query, outcome: "allowed", status: 200, bytesOut: 80, bytesIn: 900 });
    audit.push({ at: new Date().toISOString(), purpose: "page", layer: "socket", method: "CONNECT", host: "198.51.100.7:80", outcome: "refused", bytesOut: 0, bytesIn: 0, reason: "not on the egress policy" });
    const asked = fake.pushMessage({ chatId: ADMIN, userId: ADMIN, text: "/privacy" });
    await fake.waitFor(() => answerTo(ADMIN, asked), "the admin's /privacy reply");
    const report = answerTo(ADMIN, asked)!.text;
    // The bot's own Bot API calls are on it, with the fake's host, and so are the queries and the refusal.
    expect(report).toMatch(new RegExp(`chat-platform\\s+${new URL(fake.apiRoot).host.replace(/\./g, "\\.")}`));
    expect(report).toContain('"first query" → search.example');
    expect(report).toContain('"second query" → search.example');
    expect(report).toMatch(/Refused \(1\):\n {2}198\.51\.100\.7:80 \(page, socket\)/);
    const byAlice = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "/privacy" });
    await fake.waitFor(() => answerTo(ALICE, byAlice), "Alice's /privacy reply");
    expect(answerTo(ALICE, byAlice)!.text).toBe(PRIVACY_ADMINS_ONLY);
    expect(answerTo(ALICE, byAlice)!.text).not.toContain("first query");
  });

  it("honours a 429 retry_after: the next edit waits, and the final text still arrives", async () => {
    await startBot();
    fake.rateLimitNext("editMessageText", 1);
    const hello = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "hello" });
    await fake.waitFor(() => finalText(answerTo(ALICE, hello)) === SENTENCE_DEFAULT, "the answer after the rate limit", 20_000);
    const edits = fake.callsOf("editMessageText");
    const limited = edits.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const next = edits[limited + 1]!;
    expect(next.status).toBe(200);
    expect(next.at - edits[limited]!.at).toBeGreaterThanOrEqual(990);
  });

  it("answers in a forum topic when mentioned, keeping that topic's own history", async () => {
    await startBot();
    const group = -1001234567890;
    const asked = fake.pushMessage({ chatId: group, userId: ALICE, threadId: 7, text: "@burrow_test_bot hello" });
    await fake.waitFor(() => finalText(answerTo(group, asked, 7)) === SENTENCE_DEFAULT, "the answer in the topic");
    for (const call of fake.callsOf("sendMessage")) expect(call.payload.message_thread_id).toBe(7);
    expect(await redis.client.llen(`burrow:history:telegram:${group}:7`)).toBe(2);
    // Not addressed to the bot: ignored.
    fake.pushMessage({ chatId: group, userId: ALICE, threadId: 7, text: "just chatting among humans" });
    const status = fake.pushMessage({ chatId: group, userId: ALICE, threadId: 7, text: "/status" });
    await fake.waitFor(() => answerTo(group, status, 7), "the /status reply");
    expect(answerTo(group, status, 7)!.text).toBe("Burrow is idle; 0 requests waiting.\nModel: scripted.gguf\nUp for 2 min.");
    expect(fake.botMessagesIn(group)).toHaveLength(2);
  });

  it("keeps a chat's history across a restart of the worker, engine and bot; /new forgets it", async () => {
    await startBot();
    const first = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "I like pineapple" });
    await fake.waitFor(() => finalText(answerTo(ALICE, first)) === SENTENCE_REMEMBERED, "the first answer");
    await bot!.stop();
    await worker!.stop();
    await engine.stop();
    engine = await startEngine();
    await startWorker();
    await startBot();
    const second = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "what do I like?" });
    await fake.waitFor(() => finalText(answerTo(ALICE, second)) === SENTENCE_REMEMBERED, "the answer that remembers");
    const fresh = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "/new" });
    await fake.waitFor(() => answerTo(ALICE, fresh)?.text.startsWith("🆕 New conversation"), "the /new reply");
    const third = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "what do I like?" });
    await fake.waitFor(() => finalText(answerTo(ALICE, third)) === SENTENCE_DEFAULT, "the answer after /new");
  });

  it("inlines a text file, refuses binary and oversized ones, and queues /review with its file as a review", async () => {
    await startBot();
    const notes = fake.pushMessage({ chatId: ALICE, userId: ALICE, document: { name: "notes.txt", content: "my favourite fruit: pineapple\n", caption: "what is in this file?" } });
    // The marker word is only in the file: the model saw it.
    await fake.waitFor(() => finalText(answerTo(ALICE, notes)) === SENTENCE_REMEMBERED, "the answer about the file");

    const binary = fake.pushMessage({ chatId: ALICE, userId: ALICE, document: { name: "photo.jpg", content: Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10]), mimeType: "image/jpeg" } });
    await fake.waitFor(() => answerTo(ALICE, binary), "the binary refusal");
    expect(answerTo(ALICE, binary)!.text).toBe("photo.jpg does not look like a text file; I can read text files (code, notes, logs), not binary ones. Nothing was queued.");
    const huge = fake.pushMessage({ chatId: ALICE, userId: ALICE, document: { name: "dump.log", content: "x", reportedSize: 350_000 } });
    await fake.waitFor(() => answerTo(ALICE, huge), "the size refusal");
    expect(answerTo(ALICE, huge)!.text).toMatch(/^dump\.log is 350 kB; I can read text files up to 200 kB\. Nothing was queued\./);

    const review = fake.pushMessage({ chatId: ALICE, userId: ALICE, document: { name: "main.py", content: "print('hi')\n", caption: "/review" } });
    const placeholder = await fake.waitFor(() => answerTo(ALICE, review)?.keyboard && answerTo(ALICE, review), "the review placeholder");
    const request = await producer.requestOf(jobIdOf(placeholder));
    expect(request).toMatchObject({ kind: "review", text: "Please review the attached file main.py.", attachments: [{ name: "main.py", text: "print('hi')\n" }] });
    await fake.waitFor(() => finalText(answerTo(ALICE, review)), "the review answer");
    const reviewText = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "/review def f(): return 1" });
    const textPlaceholder = await fake.waitFor(() => answerTo(ALICE, reviewText)?.keyboard && answerTo(ALICE, reviewText), "the /review text placeholder");
    expect(await producer.requestOf(jobIdOf(textPlaceholder))).toMatchObject({ kind: "review", text: "def f(): return 1" });
    await fake.waitFor(() => finalText(answerTo(ALICE, reviewText)), "the second review answer");
    // `/review` as a reply to a file sent earlier reviews that file; the text after it is the focus.
    const replied = fake.pushMessage({ chatId: ALICE, userId: ALICE, text: "/review is it safe?", replyToUserMessage: review });
    const repliedPlaceholder = await fake.waitFor(() => answerTo(ALICE, replied)?.keyboard && answerTo(ALICE, replied), "the reply-to-file review placeholder");
    expect(await producer.requestOf(jobIdOf(repliedPlaceholder))).toMatchObject({ kind: "review", text: "is it safe?", attachments: [{ name: "main.py", text: "print('hi')\n" }] });
    await fake.waitFor(() => finalText(answerTo(ALICE, replied)), "the reply-to-file review answer");
    // Only the four accepted files were fetched: the oversized one never was.
    expect(fake.callsOf("getFile")).toHaveLength(4);
  });

  it("fails to start with a clear error, without the token, when Telegram refuses it or cannot be reached", async () => {
    const wrongToken = "123456789:WRONG-token-that-the-fake-refuses-00";
    const access = { allowedUsers: [], admins: [], maxQueuedPerUser: 1 };
    const common = { queue: { producer, history }, logger: silentLogger(), status: () => ({ model: undefined, uptimeSeconds: 0 }) };
    const refused = createTelegramBot({ ...common, config: { telegram: { token: wrongToken, apiRoot: fake.apiRoot }, access } });
    const error = (await refused.start().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("Telegram refused the bot token (401 Unauthorized).");
    expect(JSON.stringify({ message: error.message, hint: (error as { hint?: string }).hint })).not.toContain("WRONG");
    const offline = createTelegramBot({ ...common, config: { telegram: { token: fake.token, apiRoot: "http://127.0.0.1:9" }, access }, startTimeoutMs: 400 });
    const unreachable = (await offline.start().catch((e: unknown) => e)) as Error;
    expect(unreachable.message).toBe("Could not reach the Telegram Bot API at 127.0.0.1:9 within 1 s.");
    await refused.stop();
    await offline.stop();
  });

  it("delivers a 10,000-character answer through real grammY: complete, in order, each message ≤ 4,096, fences balanced; a very long one as a file", async () => {
    const api = new Api(fake.token, { apiRoot: fake.apiRoot });
    let answer = "";
    for (let i = 0; answer.length < 10_000; i++) answer += `Part ${i} 😀 with some words.\n\`\`\`ts\n${"const x = 1;\n".repeat(20)}\`\`\`\n`;
    answer = answer.slice(0, 10_000);
    const chat = 4242;
    const asked = fake.pushMessage({ chatId: chat, userId: ALICE, text: "long please" });
    const stream = new JobMessageStream({ sink: new TelegramSink(api, { chatId: chat, threadId: undefined, replyTo: asked }, "job-long", new ChatPacer(50), fake.token), limit: TELEGRAM_MESSAGE_LIMIT, editIntervalMs: 50 });
    const event = (body: Record<string, unknown>) => ({ ...body, jobId: "job-long", at: Date.now() }) as JobEvent;
    await stream.handle(event({ type: "queued", position: 0, etaSeconds: null }));
    for (let i = 0; i < answer.length; i += 400) await stream.handle(event({ type: "delta", text: answer.slice(i, i + 400) }));
    await stream.handle(event({ type: "done", answer, sources: [] }));
    await stream.finish();
    // Split as Markdown (each chunk's fences closed and reopened), then each chunk sent as text + entities.
    const chunks = splitMessage(answer, TELEGRAM_MESSAGE_LIMIT);
    for (const chunk of chunks) expect(openFenceAtEnd(chunk)).toBeUndefined();
    const sent = fake.botMessagesIn(chat);
    expect(sent.map((m) => ({ text: m.text, entities: m.entities }))).toEqual(chunks.map((chunk) => markdownToTelegram(chunk)));
    for (const message of sent) {
      expect(message.text.length).toBeLessThanOrEqual(TELEGRAM_MESSAGE_LIMIT);
      // The code shows as code blocks, not as ``` markers.
      expect(message.text).not.toContain("```");
      expect(message.entities.filter((e) => e.type === "pre").length).toBeGreaterThan(0);
      for (const entity of message.entities.filter((e) => e.type === "pre")) expect(message.text.slice(entity.offset, entity.offset + entity.length)).toMatch(/^const x = 1;/);
    }
    expect(sent.map((m) => m.text).join("")).toContain("Part 0 😀 with some words.\nconst x = 1;");

    const fileChat = 4343;
    const fileStream = new JobMessageStream({ sink: new TelegramSink(api, { chatId: fileChat, threadId: undefined, replyTo: undefined }, "job-file", new ChatPacer(50), fake.token), limit: TELEGRAM_MESSAGE_LIMIT, editIntervalMs: 50, fileThreshold: 5000, fileName: "review.md" });
    await fileStream.handle({ type: "done", answer, sources: [], jobId: "job-file", at: Date.now() });
    await fileStream.finish();
    const [note, file] = fake.botMessagesIn(fileChat);
    expect(note!.text).toBe("📎 The answer is 10,000 characters long, so it is attached as review.md.");
    expect(file!.document).toEqual({ name: "review.md", content: answer, caption: "The full answer." });
  });
});
