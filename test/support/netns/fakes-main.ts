// The leak test's far side: run inside the fakes' network namespace (`ip netns exec B node --import tsx
// test/support/netns/fakes-main.ts <address> <json records> <page address> <page url>`). It starts a fake
// SearXNG, a fake Telegram Bot API and a DNS server on <address>, and a web page server on port 80 of
// <page address> serving <page url>'s path; SearXNG's results lead with <page url>, so the agent may read
// it. It prints one JSON line {"ready": {...}}, then answers JSON-line commands on stdin ({"id", "cmd", ...})
// with {"id", "result"} lines, so the test (in the host namespace) can drive the conversation and read what
// the fakes received.
import { createInterface } from "node:readline";
import { startFakeSearxng } from "../fake-search/index.js";
import { FakeTelegram, type PushMessage } from "../fake-telegram/index.js";
import { FakeDnsServer } from "./fake-dns-server.js";
import { FakePageServer, PAGE_TITLE } from "./fake-page-server.js";

const [address, recordsJson, pageAddress, pageUrl] = process.argv.slice(2);
if (!address || !recordsJson || !pageAddress || !pageUrl) throw new Error("usage: fakes-main.ts <address> <records json> <page address> <page url>");

const searxng = await startFakeSearxng(address, {
  extraResults: [{ url: pageUrl, title: PAGE_TITLE, content: "What Burrow sends when it answers, and what it keeps on your machine." }],
});
const telegram = new FakeTelegram();
await telegram.start(address);
const dns = new FakeDnsServer(JSON.parse(recordsJson) as Record<string, string>);
await dns.start(address);
const page = new FakePageServer(new URL(pageUrl).pathname);
await page.start(pageAddress, 80);

const write = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
write({ ready: { searxngPort: Number(new URL(searxng.url).port), telegramPort: Number(new URL(telegram.apiRoot).port), token: telegram.token } });

type Command = { id: number; cmd: "push"; message: PushMessage } | { id: number; cmd: "botMessages"; chatId: number } | { id: number; cmd: "state" } | { id: number; cmd: "stop" };

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const command = JSON.parse(line) as Command;
  switch (command.cmd) {
    case "push":
      write({ id: command.id, result: telegram.pushMessage(command.message) });
      break;
    case "botMessages":
      write({ id: command.id, result: telegram.botMessagesIn(command.chatId).map((message) => message.text) });
      break;
    case "state":
      write({
        id: command.id,
        result: { dnsQueries: dns.queries, searches: searxng.requests.map((r) => r.query), telegramMethods: telegram.calls.map((c) => c.method), pageRequests: page.requests },
      });
      break;
    case "stop":
      await Promise.all([searxng.close(), telegram.stop(), dns.stop(), page.stop()]);
      write({ id: command.id, result: "stopped" });
      process.exit(0);
  }
}
