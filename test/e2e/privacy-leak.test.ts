import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, cliEnv, watchOutput } from "../support/cli.js";
import { writeToolCallerModel } from "../support/models/index.js";
import { connectionsByDestination, findLeaks, PacketCapture, type LeakPolicy, type SentPacket } from "../support/netns/capture.js";
import { PAGE_MARKER, type PageRequest } from "../support/netns/fake-page-server.js";
import { canUseNetns, createNamespacePair, type NamespacePair } from "../support/netns/namespaces.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The privacy promise, checked on the wire. The daemon runs in its own network namespace whose only link
 * leads to a second namespace holding the fakes (SearXNG, the Telegram Bot API, a DNS server, and a web
 * page on a public-looking address, since the page reader contacts no private ones); its default route
 * goes there too, so a connection to ANY address shows in the packet capture on the daemon's interface —
 * and goes nowhere, since the fakes' namespace does not forward. A full conversation runs through the real
 * Telegram bot and `burrow ask`: a chat with a web search, a page read (the agent's read_page fetches a page
 * from the search results through the real page reader and egress gates), a code run (the answer's code
 * is run in the sandbox), and a /review of an attached file. A unique canary is in the messages and the
 * file. The capture must show: connections only to the fakes, DNS queries only for their names, and the
 * canary in no packet. The same run proves Burrow answers with no internet at all. Then a daemon with a
 * planted leak (BURROW_TEST_PLANT_LEAK, a test-only hook that contacts an outside address from a child
 * process, where no in-process check can see it) must make the same check fail.
 */
const support = canUseNetns();
if (!support.ok) {
  const message = `privacy leak test: ${support.reason}. It needs root, iproute2 and tshark (sh setup.sh test installs them).`;
  // In CI the proof must run: a machine that cannot run it fails here instead of skipping silently.
  if (process.env.CI) throw new Error(message);
  process.stderr.write(`SKIPPED ${message}\n`);
}

const ROOT = resolve(import.meta.dirname, "../..");
const QUERY = "burrow privacy";
const ANSWER = "Here it is:\n\n```python\nprint(6 * 7)\n```";
const USER = 424242;
const OUTSIDE = "198.51.100.7"; // TEST-NET-2: stands for "somewhere on the internet"
const canary = `canary${randomBytes(8).toString("hex")}`;

const tmp = makeTempDir("burrow-leak-");
let pair: NamespacePair;
let fakes: ChildProcess;
let ready: { searxngPort: number; telegramPort: number; token: string };
let model: string;
let nextId = 1;
const pending = new Map<number, (result: unknown) => void>();

function rpc<T>(command: Record<string, unknown>): Promise<T> {
  const id = nextId++;
  return new Promise((resolvePromise) => {
    pending.set(id, (result) => resolvePromise(result as T));
    fakes.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
  });
}

const searchHost = "search.burrow.test";
const telegramHost = "telegram.burrow.test";
const pageHost = "pages.burrow.test";
const PAGE_PATH = "/privacy-notes";
/** The first search result; the scripted model reads it after searching (the page's marker word ends its calls). */
const PAGE_URL = `http://${pageHost}${PAGE_PATH}`;

function settings(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    BURROW_DATA_DIR: dataDir,
    BURROW_MODEL: model,
    BURROW_THREADS: "1",
    BURROW_CONTEXT_SIZE: "4096",
    BURROW_SEARCH_PROVIDER: "searxng",
    BURROW_SEARXNG_URL: `http://${searchHost}:${ready.searxngPort}`,
    BURROW_TELEGRAM_TOKEN: ready.token,
    BURROW_TELEGRAM_API_ROOT: `http://${telegramHost}:${ready.telegramPort}`,
    BURROW_ADMINS: `telegram:${USER}`,
    ...extra,
  });
}

function policy(): LeakPolicy {
  const fake = pair.fakesAddress;
  return {
    destinations: new Set([`${fake}:53`, `${fake}:${ready.searxngPort}`, `${fake}:${ready.telegramPort}`, `${pair.pageAddress}:80`]),
    names: new Set([searchHost, telegramHost, pageHost]),
    // Only the search query may carry what the user wrote (here the scripted query holds no canary).
    canaryAllowedTo: new Set([`${fake}:${ready.searxngPort}`]),
    canary,
  };
}

/** Runs a command in the daemon's namespace and resolves with its exit code and output. */
function inDaemonNs(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("ip", ["netns", "exec", pair.daemon, process.execPath, CLI_PATH, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise) => child.once("exit", (code) => resolvePromise({ code, stdout, stderr })));
}

/** `burrow start --no-chat` in the daemon's namespace, resolved once the Telegram bot runs. */
async function startDaemon(env: Record<string, string>): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn("ip", ["netns", "exec", pair.daemon, process.execPath, CLI_PATH, "start", "--no-chat"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const stderr = watchOutput(child.stderr!);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(20_000).then(() => child.kill("SIGKILL"))]);
  };
  try {
    await stderr.waitFor(/Telegram bot (is running\.|did not start[^\n]*)\n/, 60_000);
    expect(stderr.text()).toContain("Telegram bot is running.");
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, stop };
}

async function waitForBotMessages(chatId: number, matching: string, count: number): Promise<string[]> {
  let texts: string[] = [];
  for (let waited = 0; waited < 60_000; waited += 200) {
    texts = await rpc<string[]>({ cmd: "botMessages", chatId });
    if (texts.filter((text) => text.includes(matching)).length >= count) return texts;
    await sleep(200);
  }
  throw new Error(`the bot did not send ${count} message(s) containing ${JSON.stringify(matching)}; it sent ${JSON.stringify(texts)}`);
}

describe.skipIf(!support.ok)("privacy leak test in network namespaces", () => {
  beforeAll(async () => {
    // Searches, then reads the page from the results, then answers.
    model = (
      await writeToolCallerModel(join(tmp.path, "tool-caller.gguf"), {
        call: { name: "web_search", arguments: { query: QUERY } },
        then: { call: { name: "read_page", arguments: { url: PAGE_URL } }, marker: PAGE_MARKER },
        answer: ANSWER,
      })
    ).path;
    pair = createNamespacePair();
    const records = { [searchHost]: pair.fakesAddress, [telegramHost]: pair.fakesAddress, [pageHost]: pair.pageAddress, "*.leak.burrow.test": OUTSIDE };
    const args = ["test/support/netns/fakes-main.ts", pair.fakesAddress, JSON.stringify(records), pair.pageAddress, PAGE_URL];
    fakes = spawn("ip", ["netns", "exec", pair.fakes, process.execPath, "--import", "tsx", ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    ready = await new Promise((resolvePromise, reject) => {
      fakes.once("exit", (code) => reject(new Error(`the fakes exited (${code})`)));
      createInterface({ input: fakes.stdout! }).on("line", (line) => {
        const message = JSON.parse(line) as { ready?: typeof ready; id?: number; result?: unknown };
        if (message.ready) resolvePromise(message.ready);
        else if (message.id !== undefined) pending.get(message.id)?.(message.result);
      });
    });
  });

  afterAll(async () => {
    if (fakes && fakes.exitCode === null) {
      await Promise.race([rpc({ cmd: "stop" }), sleep(3000)]);
      fakes.kill("SIGKILL");
    }
    pair?.remove();
    tmp.remove();
  });

  let normal: SentPacket[] = [];

  it("a whole conversation (Telegram chat with search, page read and code run, /review of a file, burrow ask) sends nothing but the query", async () => {
    const capture = new PacketCapture(pair.daemon, pair.daemonIf, join(tmp.path, "normal.pcap"));
    await capture.start();
    const dataDir = join(tmp.path, "data-normal");
    const env = settings(dataDir);
    const daemon = await startDaemon(env);
    try {
      await rpc({ cmd: "push", message: { chatId: USER, userId: USER, text: `What do you know about ${canary}?` } });
      await waitForBotMessages(USER, "print(6 * 7)", 1);
      await rpc({
        cmd: "push",
        message: { chatId: USER, userId: USER, document: { name: "secret.py", content: `API_KEY = "${canary}"\nprint(API_KEY)\n`, caption: "/review" } },
      });
      await waitForBotMessages(USER, "Code review (python)", 1);
      const ask = await inDaemonNs(["ask", "--chat", "leak-test", `Tell me about ${canary}`], env);
      expect(ask.stderr).toContain(`Searching SearXNG for "${QUERY}"`);
      expect(ask.stderr).toContain(`Reading ${pageHost}${PAGE_PATH}`);
      expect(ask.stderr).not.toContain("Could not read the page");
      // The answer itself shows the page's text reached the model: the scripted model answers only once the page's marker is in its context.
      expect(ask.stdout).toContain("print(6 * 7)");
      expect(ask.code).toBe(0);
    } finally {
      await daemon.stop();
      await capture.stop();
    }
    // The fakes got what the conversation needs: the query of each chat job (the chat and the ask; a review does not search), the Telegram calls,
    // and one plain GET of the page per chat job, naming nothing but the page (the canary is in no path or header).
    const state = await rpc<{ dnsQueries: string[]; searches: Record<string, string>[]; telegramMethods: string[]; pageRequests: PageRequest[] }>({ cmd: "state" });
    expect(state.searches.map((q) => q.q)).toEqual([QUERY, QUERY]);
    expect(state.telegramMethods).toEqual(expect.arrayContaining(["getUpdates", "sendMessage", "getFile"]));
    process.stderr.write(`leak test, page requests: ${JSON.stringify(state.pageRequests)}\n`);
    expect(state.pageRequests.map((r) => `${r.method} ${r.url} ${r.headers["host"]}`)).toEqual([`GET ${PAGE_PATH} ${pageHost}`, `GET ${PAGE_PATH} ${pageHost}`]);
    for (const r of state.pageRequests) expect(Object.keys(r.headers).sort()).toEqual(["accept", "accept-encoding", "connection", "host", "user-agent"]);
    expect(JSON.stringify(state.pageRequests)).not.toContain(canary);

    normal = capture.sentBy(pair.daemonAddress);
    const connections = connectionsByDestination(normal);
    process.stderr.write(`leak test, normal run: ${normal.length} packets sent, TCP connections ${JSON.stringify(connections)}, DNS queries ${JSON.stringify([...new Set(normal.flatMap((p) => p.dnsName ?? []))])}\n`);
    expect(findLeaks(normal, policy())).toEqual([]);
    expect(Object.keys(connections).sort()).toEqual([`${pair.fakesAddress}:${ready.searxngPort}`, `${pair.fakesAddress}:${ready.telegramPort}`, `${pair.pageAddress}:80`].sort());
    // The messages did reach the daemon (the canary is in what Telegram sent it), so its absence outbound means something.
    expect(normal.some((packet) => packet.payload.includes(`q=${QUERY.replace(" ", "+")}`))).toBe(true);
    // The page read is on the wire too, to the page's address.
    expect(normal.some((packet) => packet.destination === pair.pageAddress && packet.payload.includes(`GET ${PAGE_PATH} HTTP/1.1`))).toBe(true);

    // `burrow privacy report` lists exactly these destinations, the queries, and nothing refused.
    const report = await inDaemonNs(["privacy", "report", "--json"], env);
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout) as { destinations: { purpose: string; destination: string }[]; queries: { query: string }[]; refused: unknown[] };
    expect(parsed.destinations.map((d) => `${d.purpose} ${d.destination}`)).toEqual([
      `chat-platform ${telegramHost}:${ready.telegramPort}`,
      `page ${pageHost}:80`,
      `search ${searchHost}:${ready.searxngPort}`,
    ]);
    expect(parsed.queries.map((q) => q.query)).toEqual([QUERY, QUERY]);
    expect(parsed.refused).toEqual([]);
    expect(report.stdout).not.toContain(canary);
    // The text a person reads says the same: the three destinations, the query, nothing refused.
    const text = await inDaemonNs(["privacy", "report"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`search         ${searchHost}:${ready.searxngPort}`);
    expect(text.stdout).toContain(`page           ${pageHost}:80`);
    expect(text.stdout).toContain(`chat-platform  ${telegramHost}:${ready.telegramPort}`);
    expect(text.stdout).toContain(`"${QUERY}" → ${searchHost}:${ready.searxngPort}`);
    expect(text.stdout).toContain("Nothing was refused.");
    process.stderr.write(`leak test, burrow privacy report:\n${text.stdout}`);
  }, 240_000);

  it("fails when a planted call contacts an outside address with the canary (the check can fail)", async () => {
    const capture = new PacketCapture(pair.daemon, pair.daemonIf, join(tmp.path, "planted.pcap"));
    await capture.start();
    const leakName = `${canary}.leak.burrow.test`;
    const env = settings(join(tmp.path, "data-planted"), { BURROW_TEST_PLANT_LEAK: `http://${leakName}/collect?c=${canary}` });
    const daemon = await startDaemon(env);
    try {
      // The planted child resolves the name (a DNS query carrying the canary) and tries to connect (a SYN).
      for (let waited = 0; waited < 15_000; waited += 250) {
        const state = await rpc<{ dnsQueries: string[] }>({ cmd: "state" });
        if (state.dnsQueries.includes(leakName)) break;
        await sleep(250);
      }
      await sleep(1500);
    } finally {
      await daemon.stop();
      await capture.stop();
    }
    const planted = capture.sentBy(pair.daemonAddress);
    const findings = findLeaks(planted, policy());
    process.stderr.write(`leak test, planted run: ${planted.length} packets sent, TCP connections ${JSON.stringify(connectionsByDestination(planted))}, findings ${JSON.stringify(findings)}\n`);
    expect(findings).toEqual(
      expect.arrayContaining([`a DNS query for ${leakName}`, `the canary in a udp payload to ${pair.fakesAddress}:53`, `tcp to ${OUTSIDE}:80, which is not an allowed fake`]),
    );
    // The same check passed on the normal run: the difference is the planted call alone.
    expect(findLeaks(normal, policy())).toEqual([]);
  }, 120_000);
});
