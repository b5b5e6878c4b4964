#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { loadConfig, type Config } from "./config.js";
import { dataPaths } from "./data-paths.js";
import { BurrowError, ConfigError, describeError } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { configuredAuditSink } from "./audit-log.js";
import { egressEndpoints } from "./egress-endpoints.js";
import { installSocketGate } from "./socket-gate.js";

/**
 * The `burrow` command: routes subcommands, turns errors into one clear message and an exit code.
 * Commands import their pieces lazily: llama.cpp, BullMQ and friends take most of a second to load, which
 * `--help` and a config error should not pay.
 */

const streams = { out: process.stdout, err: process.stderr };

function setup(): { config: Config; logger: Logger } {
  const config = loadConfig();
  const logger = createLogger(dataPaths(config.dataDir).logFile, config.logLevel);
  installEgressPolicy(config);
  // A stray rejection in a handler must not take the daemon (and everyone's queued work) down.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  // An exception nobody caught leaves state unknown: record it, say so, and exit. Queued jobs are safe in
  // Redis, and the job that was running is retried on the next start (BullMQ's stalled-job check).
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception");
    process.stderr.write(`burrow: internal error: ${describeError(error)}\nDetails are in ${dataPaths(config.dataDir).logFile}.\n`);
    process.exit(1);
  });
  return { config, logger };
}

/**
 * Holds every connection this process opens to the egress policy (src/socket-gate.ts), before any command
 * loads a library that could open one. The configured Redis and the data directory's unix sockets are
 * destinations for the whole run; the HTTP gate registers the rest while it allows them.
 */
function installEgressPolicy(config: Config): void {
  egressEndpoints.allowSocketDir(config.dataDir);
  if (config.redisUrl) egressEndpoints.allowUrl("redis", new URL(config.redisUrl));
  installSocketGate({ endpoints: egressEndpoints, audit: configuredAuditSink(config) });
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) {
        process.stderr.write("Forced exit.\n");
        process.exit(1);
      }
      seen = true;
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

async function startCommand(options: { chat: boolean; role: "all" | "worker" | "bots"; offline: boolean }): Promise<number> {
  // --offline is BURROW_OFFLINE=1 for this run (and for a worker or bots process it starts alongside).
  if (options.offline) process.env.BURROW_OFFLINE = "1";
  const { config, logger } = setup();
  const [{ Daemon }, { runChat }, { describeRedisTarget }] = await Promise.all([
    import("./daemon.js"),
    import("../bots/terminal/chat.js"),
    import("./redis.js"),
  ]);
  const daemon = new Daemon(config, logger, options.role === "all" ? "daemon" : options.role);
  const stopping = untilSignal();
  if (options.role !== "bots") {
    // On a 2-core laptop the first start with a model measures threads and reads the prompt prefix
    // (a minute or two for a 7B); later starts load both from disk. Say so rather than look hung.
    process.stderr.write("Starting Burrow: loading the model (the first start with a new model takes a few minutes)…\n");
  }
  await daemon.start();
  const engine = daemon.engineInfo;
  if (engine) {
    process.stderr.write(
      `Burrow is running (pid ${process.pid}): model ${engine.model.name ?? config.modelPath}, ${engine.threads} threads${engine.threadChoice !== "explicit" ? " (measured)" : ""}, ` +
        `context ${engine.contextSize}${engine.adapter ? `, LoRA adapter ${engine.adapter.name ?? engine.adapter.path} (scale ${engine.adapter.scale})` : ""}; Redis ${describeRedisTarget(daemon.redisTarget)}; data in ${config.dataDir}.\n`,
    );
  } else {
    process.stderr.write(`Burrow's chat bots are running (pid ${process.pid}) on the queue at ${describeRedisTarget(daemon.redisTarget)}.\n`);
  }
  for (const bot of daemon.botStatus) {
    process.stderr.write(bot.running ? `${bot.name} bot is running.\n` : `${bot.name} bot did not start: ${bot.reason}\n`);
  }
  // A terminal on stdin also gets the terminal chat.
  if (options.chat && options.role !== "bots" && process.stdin.isTTY) {
    const [{ RatingStore }, { connectRedis }] = await Promise.all([import("../queue/ratings.js"), import("./redis.js")]);
    const ratingsRedis = connectRedis(daemon.redisTarget, "client", "chat-ratings");
    ratingsRedis.on("error", (error) => logger.warn({ err: error }, "ratings redis connection error"));
    const chatDone = runChat(
      { producer: daemon.producer, history: daemon.history },
      { chatId: "default", input: process.stdin, streams, ratings: new RatingStore(ratingsRedis) },
    );
    await Promise.race([chatDone, stopping]);
    ratingsRedis.disconnect();
  } else {
    process.stderr.write("Press Ctrl-C to stop.\n");
    await stopping;
  }
  process.stderr.write("Stopping Burrow…\n");
  await daemon.stop();
  return 0;
}

async function askCommand(words: string[], options: { chat?: string; json: boolean; quiet: boolean }): Promise<number> {
  const question = words.length === 1 && words[0] === "-" ? readFileSync(0, "utf8") : words.join(" ");
  if (question.trim() === "") throw new BurrowError("empty_question", "No question given.", { hint: 'Usage: burrow ask "your question" (or `-` to read it from stdin).' });
  const { config, logger } = setup();
  const [{ openQueueClient }, { runAsk }] = await Promise.all([import("./daemon.js"), import("../bots/terminal/ask.js")]);
  const client = await openQueueClient(config, logger);
  const cancel = new AbortController();
  void untilSignal().then(() => cancel.abort());
  try {
    return await runAsk(client, { question, chatId: options.chat, json: options.json, quiet: options.quiet }, streams, cancel.signal);
  } finally {
    await client.close();
  }
}

async function reviewCommand(inputs: string[], options: { json: boolean; quiet: boolean }): Promise<number> {
  const files = inputs.map((input) => ({ name: input, bytes: input === "-" ? readFileSync(0) : readFileSync(input) }));
  const { config, logger } = setup();
  const [{ openQueueClient }, { runReview, prepareReview }] = await Promise.all([import("./daemon.js"), import("../bots/terminal/review.js")]);
  // Refused before Redis or the model start: nothing is queued, and the answer is immediate.
  const review = prepareReview(files);
  const client = await openQueueClient(config, logger);
  const cancel = new AbortController();
  void untilSignal().then(() => cancel.abort());
  try {
    return await runReview(client, { review, json: options.json, quiet: options.quiet }, streams, cancel.signal);
  } finally {
    await client.close();
  }
}

async function chatCommand(options: { chat: string }): Promise<number> {
  const { config, logger } = setup();
  const [{ openQueueClient }, { runChat }, { RatingStore }, { readLiveInstance }, { connectRedis }] = await Promise.all([
    import("./daemon.js"),
    import("../bots/terminal/chat.js"),
    import("../queue/ratings.js"),
    import("./instance-file.js"),
    import("./redis.js"),
  ]);
  const client = await openQueueClient(config, logger);
  // Ratings (/good, /bad) go to the queue's Redis: the host's, recorded in the instance file.
  const target = config.redisUrl ? { kind: "url" as const, url: config.redisUrl } : readLiveInstance(dataPaths(config.dataDir).instanceFile)?.redis;
  const ratingsRedis = target ? connectRedis(target, "client", "chat-ratings") : undefined;
  ratingsRedis?.on("error", (error) => logger.warn({ err: error }, "ratings redis connection error"));
  try {
    await runChat(client, { chatId: options.chat, input: process.stdin, streams, ratings: ratingsRedis ? new RatingStore(ratingsRedis) : undefined });
  } finally {
    await ratingsRedis?.quit().catch(() => {});
    await client.close();
  }
  return 0;
}

async function doctorCommand(options: { json: boolean }): Promise<number> {
  const config = loadConfig();
  const [{ formatDoctor, runDoctor }, { toolChecks }] = await Promise.all([import("./doctor.js"), import("../agent/tool-checks.js")]);
  const results = await runDoctor(config, toolChecks(config));
  process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${formatDoctor(results)}\n`);
  return results.some((r) => r.status === "fail") ? 1 : 0;
}

/** `burrow models …`: the commands live in models/models-command.ts; a pull stops (resumably) on Ctrl-C. */
async function modelsCommand(run: (commands: typeof import("../models/models-command.js"), config: Config, signal: AbortSignal) => Promise<number>): Promise<number> {
  const { config } = setup();
  const commands = await import("../models/models-command.js");
  const cancel = new AbortController();
  void untilSignal().then(() => cancel.abort());
  return run(commands, config, cancel.signal);
}

/** `burrow adapters …`: the commands live in models/adapters-command.ts. */
async function adaptersCommand(run: (commands: typeof import("../models/adapters-command.js"), config: Config) => Promise<number>): Promise<number> {
  const { config } = setup();
  return run(await import("../models/adapters-command.js"), config);
}

/** Runs an action and exits with its code; errors become a clear message, never a stack trace. */
function action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = await run(...args);
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`burrow: ${error.message}\n`);
        code = 2;
      } else if (error instanceof BurrowError) {
        process.stderr.write(`burrow: ${error.toUserText()}\n`);
        code = 1;
      } else {
        process.stderr.write(`burrow: internal error: ${describeError(error)}\nThe log in the data directory has details (burrow doctor shows where).\n`);
        code = 1;
      }
    }
    // Exit explicitly: llama.cpp and Redis handles may otherwise keep a finished command alive.
    process.exit(code);
  };
}

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("burrow")
  .description("A private AI assistant that runs on your own computer.")
  .version(version)
  .showHelpAfterError();

program
  .command("start")
  .description("run Burrow: embedded Redis, the model and the worker (and a terminal chat when run in a terminal)")
  .addOption(new Option("--no-chat", "do not open the terminal chat, only run the daemon"))
  .addOption(
    new Option("--role <role>", "all: everything; worker: the model and queue, no chat bots (holds no bot tokens); bots: only the chat bots, on a running worker's queue")
      .choices(["all", "worker", "bots"])
      .default("all"),
  )
  .option("--offline", "offline mode (BURROW_OFFLINE=1): no web search or pages; only the configured chat platforms and Redis are contacted", false)
  .action(action(startCommand));

program
  .command("chat")
  .description("chat in the terminal, through the queue (uses the running daemon, or starts one for the session)")
  .option("--chat <id>", "conversation to continue (its history is kept)", "default")
  .action(action(chatCommand));

program
  .command("ask")
  .description('ask one question and print the answer, e.g. burrow ask "what is a monad?" (- reads stdin)')
  .argument("<question...>")
  .option("--chat <id>", "continue this conversation (default: a fresh one)")
  .option("--json", "print each job event as a JSON line", false)
  .option("-q, --quiet", "no status lines on stderr", false)
  .action(action(askCommand));

program
  .command("review")
  .description("queue a code review of files or a diff and print it, e.g. git diff | burrow review - (questions go first)")
  .argument("<inputs...>", "source files or diffs; - reads stdin")
  .option("--json", "print the structured review as JSON", false)
  .option("-q, --quiet", "no status lines on stderr", false)
  .action(action(reviewCommand));

program
  .command("doctor")
  .description("check Node, Redis, the model file, memory and disk, and say what to fix")
  .option("--json", "machine-readable output", false)
  .action(action(doctorCommand));

const models = program.command("models").description("download, choose and remove models (within the disk budget, BURROW_DISK_BUDGET)");

models
  .command("list")
  .description("the catalog: size, RAM needed, which are installed and which is active; and the disk budget")
  .option("--json", "machine-readable output", false)
  .action(action((options: { json: boolean }) => modelsCommand((m, config) => m.listCommand(config, streams, options))));

models
  .command("pull")
  .description("download a model from BURROW_MODEL_HOST, verify it and install it (Ctrl-C stops; run again to resume)")
  .argument("<name>", "a name from `burrow models list`")
  .option("--force", "download again even if installed (discards a partial download)", false)
  .action(action((name: string, options: { force: boolean }) => modelsCommand((m, config, signal) => m.pullCommand(config, streams, name, options, signal))));

models
  .command("use")
  .description("make an installed model the one Burrow runs (BURROW_MODEL still overrides it)")
  .argument("<name>")
  .action(action((name: string) => modelsCommand((m, config) => m.useCommand(config, streams, name))));

models
  .command("rm")
  .description("delete an installed model (or a partial download) and say how much was freed")
  .argument("<name>")
  .option("--force", "also remove the active model", false)
  .action(action((name: string, options: { force: boolean }) => modelsCommand((m, config) => m.rmCommand(config, streams, name, options))));

const adapters = program.command("adapters").description("add, choose and roll back LoRA adapters for the active model (e.g. one fine-tuned with training/)");

adapters
  .command("add")
  .description("check a GGUF LoRA adapter against the active model and copy it into the data directory")
  .argument("<file>", "the adapter .gguf (e.g. from llama.cpp's convert_lora_to_gguf.py)")
  .option("--name <name>", "what to call it (default: the file name)")
  .action(action((file: string, options: { name?: string }) => adaptersCommand((a, config) => a.addCommand(config, streams, file, options))));

adapters
  .command("use")
  .description("load this adapter on top of the model from the next start")
  .argument("<name>")
  .option("--scale <x>", "how strongly it applies (1 = as trained, 0 = not at all)", "1")
  .action(action((name: string, options: { scale: string }) => adaptersCommand((a, config) => a.useCommand(config, streams, name, options))));

adapters
  .command("off")
  .description("run the model without an adapter from the next start")
  .action(action(() => adaptersCommand((a, config) => a.offCommand(config, streams))));

adapters
  .command("rollback")
  .description("go back to the adapter (or no adapter) that was active before the last change")
  .action(action(() => adaptersCommand((a, config) => a.rollbackCommand(config, streams))));

adapters
  .command("list")
  .description("the added adapters, whether each fits the active model, and which is active")
  .option("--json", "machine-readable output", false)
  .action(action((options: { json: boolean }) => adaptersCommand((a, config) => a.listCommand(config, streams, options))));

const training = program.command("training").description("learn from use: export rated conversations for the fine-tuning notebook (training/)");

training
  .command("export")
  .description("write the 👍-rated conversations of allowlisted users as JSONL for training/burrow-finetune.ipynb")
  .option("--out <file>", "write to this file (default: stdout)")
  .option("--min-rating <n>", "lowest rating exported: 1 (👍 only), 0 or -1", (value: string) => Number(value), 1)
  .option("--strip-ids", "replace user and chat ids by pseudonyms", false)
  .action(
    action(async (options: { out?: string; minRating: number; stripIds: boolean }) => {
      const { config, logger } = setup();
      const { exportCommand } = await import("../training/export-command.js");
      return exportCommand(config, logger, streams, options);
    }),
  );

const privacy = program.command("privacy").description("what left this machine: the egress audit log");

privacy
  .command("report")
  .description("every destination contacted (per purpose, with bytes), the search queries sent, and everything refused")
  .option("--json", "machine-readable output", false)
  .action(
    action(async (options: { json: boolean }) => {
      const config = loadConfig();
      const [{ readAuditLog }, { formatPrivacyReport, summarizeAuditLog }] = await Promise.all([import("./audit-log.js"), import("./privacy-report.js")]);
      const logPath = dataPaths(config.dataDir).egressLog;
      const report = summarizeAuditLog(readAuditLog(logPath));
      process.stdout.write(options.json ? `${JSON.stringify({ log: logPath, offline: config.offline, ...report }, null, 2)}\n` : `${formatPrivacyReport(report, { logPath })}\n`);
      return 0;
    }),
  );

program
  .command("eval")
  .description("measure the agent on the evaluation suites (real model, tools and sandbox) and write a report; Ctrl-C writes a partial one")
  .option("--suite <names...>", "categories to run: simple-functions, complex-algorithms, debugging, web-assisted, architecture, humaneval, mbpp (default: all loaded)")
  .option("--task <ids...>", "only these task ids (patterns with * allowed, e.g. 'sf-*')")
  .option("--limit <n>", "at most n tasks per category", (value: string) => Number(value))
  .option("--repeat <n>", "run every task n times (tighter intervals)", (value: string) => Number(value), 1)
  .option("--model <file|name>", "a GGUF file or an installed model's name (default: the configured model)")
  .option("--adapter <name|none>", "a LoRA adapter added with `burrow adapters add`, or none for the base model (default: the active adapter)")
  .option("--adapter-scale <x>", "scale of the adapter (default: its chosen scale, or 1)", (value: string) => Number(value))
  .option("--humaneval <file>", "also run a HumanEval JSONL file (HumanEval.jsonl)")
  .option("--mbpp <file>", "also run an MBPP JSONL file (mbpp.jsonl)")
  .option("--suites-dir <dir>", "read the suite YAML files from this folder instead of the shipped ones")
  .option("--out <dir>", "where the JSON and Markdown reports go (default: <BURROW_DATA_DIR>/eval)")
  .action(
    action(async (options: import("../agent/eval/eval-command.js").EvalOptions) => {
      const { config, logger } = setup();
      const { evalCommand } = await import("../agent/eval/eval-command.js");
      const cancel = new AbortController();
      void untilSignal().then(() => {
        process.stderr.write("Stopping the current task; writing a partial report…\n");
        cancel.abort(new Error("stopped by Ctrl-C"));
      });
      return evalCommand(config, logger, streams, options, cancel.signal);
    }),
  );

await program.parseAsync();
