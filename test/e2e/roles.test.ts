import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, runCli, spawnCli, watchOutput } from "../support/cli.js";
import { FakeTelegram } from "../support/fake-telegram/index.js";
import { SENTENCE_DEFAULT, writeScriptedChatModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `burrow start --role worker` and `--role bots` as two processes: the worker runs the model without
 * any bot token, the bots process holds the token and uses the worker's queue. The real grammY bot talks
 * to a fake Telegram Bot API on loopback.
 */
const tmp = makeTempDir("burrow-roles-");
const model = join(tmp.path, "scripted.gguf");
const fake = new FakeTelegram();
const USER = 4242;

beforeAll(async () => {
  await writeScriptedChatModel(model);
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
  tmp.remove();
});

describe("separate worker and bots processes", () => {
  it("answers a Telegram message through a bots process and a worker process that holds no token", async () => {
    const base = { BURROW_DATA_DIR: join(tmp.path, "data"), BURROW_MODEL: model, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: "2048" };
    const refused = await runCli(["start", "--no-chat", "--role", "bots"], cliEnv({ ...base, BURROW_TELEGRAM_TOKEN: fake.token, BURROW_TELEGRAM_API_ROOT: fake.apiRoot }));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("No Burrow worker is running");
    expect(refused.stderr).toContain("burrow start --role worker");

    const worker = spawnCli(["start", "--no-chat", "--role", "worker"], cliEnv(base));
    const workerErr = watchOutput(worker.stderr!);
    await workerErr.waitFor(/Press Ctrl-C to stop/);
    expect(workerErr.text()).not.toContain("bot is running");
    const bots = spawnCli(
      ["start", "--no-chat", "--role", "bots"],
      cliEnv({ ...base, BURROW_TELEGRAM_TOKEN: fake.token, BURROW_TELEGRAM_API_ROOT: fake.apiRoot, BURROW_ALLOWED_USERS: `telegram:${USER}` }),
    );
    const botsErr = watchOutput(bots.stderr!);
    try {
      await botsErr.waitFor(/Telegram bot is running/);
      const asked = fake.pushMessage({ chatId: USER, userId: USER, text: "hello there" });
      await fake.waitFor(() => fake.botMessagesIn(USER).some((m) => m.replyTo === asked && m.text === SENTENCE_DEFAULT), "the answer from the worker process");
    } finally {
      bots.kill("SIGTERM");
      worker.kill("SIGTERM");
      await Promise.all([bots, worker]);
    }
    expect((await bots).exitCode).toBe(0);
    expect((await worker).exitCode).toBe(0);
  });
});
