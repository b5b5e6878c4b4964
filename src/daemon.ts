import { mkdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { agentSettings, createAgent } from "../agent/agent.js";
import { openAgentTools, type AgentToolSet } from "../agent/tool-setup.js";
import { createReviewAgent, REVIEW_INPUT_LOOKUP } from "../agent/review/review-agent.js";
import { routeByKind } from "../agent/route-by-kind.js";
import { resolveActiveAdapter, type EngineAdapter } from "../models/adapter-select.js";
import { ModelEngine, type EngineInfo, type EngineOptions } from "../models/engine.js";
import { inspectModelFile } from "../models/model-file.js";
import { HistoryStore } from "../queue/history-store.js";
import { RequestProducer } from "../queue/producer.js";
import { RatingStore } from "../queue/ratings.js";
import { RequestWorker } from "../queue/worker.js";
import type { Config } from "./config.js";
import { dataPaths } from "./data-paths.js";
import { configuredAuditSink, readAuditLog } from "./audit-log.js";
import { EgressGate } from "./egress.js";
import { EmbeddedRedis } from "./embedded-redis.js";
import { BurrowError, describeError, RedisError } from "./errors.js";
import { claimInstance, isAlive, readLiveInstance, releaseInstance, updateInstance, type InstanceRecord } from "./instance-file.js";
import type { Logger } from "./log.js";
import { formatPrivacyReport, summarizeAuditLog } from "./privacy-report.js";
import { connectRedis, describeRedisTarget, type RedisTarget } from "./redis.js";

/** What a front end needs: put requests on the queue, follow their events, manage history. */
export interface QueueAccess {
  readonly producer: RequestProducer;
  readonly history: HistoryStore;
}

/** Queue access that must be closed when the front end is done. */
export interface QueueClient extends QueueAccess {
  close(): Promise<void>;
}

/**
 * What this process runs. "daemon": everything; "worker": Redis, the model and the worker, no chat bots
 * (so the process that runs model code holds no bot tokens); "bots": only the chat bots, on the queue of
 * a worker running elsewhere; "ask": a one-shot host for `burrow ask`/`chat` when no daemon runs.
 */
export type DaemonRole = "daemon" | "worker" | "bots" | "ask";

/** A chat front end with an explicit lifecycle (Telegram, Discord). */
interface ChatBot {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface BotReport {
  readonly name: string;
  readonly running: boolean;
  readonly reason?: string;
}

/** The LoRA adapter state at start-up: none chosen, loaded, or chosen but skipped (and why). */
export type AdapterReport =
  | { readonly state: "none" }
  | { readonly state: "active"; readonly name: string; readonly scale: number }
  | { readonly state: "skipped"; readonly name: string; readonly reason: string };

export class AlreadyRunningError extends BurrowError {
  constructor(dataDir: string, owner: InstanceRecord) {
    super("already_running", `Burrow is already running on ${dataDir} (pid ${owner.pid}, started by \`burrow ${owner.role === "daemon" ? "start" : "ask"}\`).`, {
      hint: "Use it with `burrow chat` or `burrow ask`, stop it first, or set BURROW_DATA_DIR to run another instance.",
    });
  }
}

/**
 * Wires Burrow's long-lived pieces in order — data-directory claim, Redis (embedded or configured), model
 * engine, serial worker, producer — and stops them in reverse. Used by `burrow start`, and by `burrow ask`
 * and `burrow chat` when no daemon runs on the data directory.
 */
export class Daemon {
  private readonly paths;
  private embeddedRedis: EmbeddedRedis | undefined;
  private commands: Redis | undefined;
  private engine: ModelEngine | undefined;
  private toolSet: AgentToolSet | undefined;
  private bots: ChatBot[] = [];
  private botReports: BotReport[] = [];
  private readonly gate: EgressGate;
  private worker: RequestWorker | undefined;
  private producerInstance: RequestProducer | undefined;
  private historyStore: HistoryStore | undefined;
  private target: RedisTarget | undefined;
  private claimed = false;
  private adapterReport: AdapterReport = { state: "none" };

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly role: DaemonRole = "daemon",
    /** Where start-up warnings a person should see go (a skipped adapter); stderr by default. */
    private readonly notice: (text: string) => void = (text) => void process.stderr.write(text),
  ) {
    this.paths = dataPaths(config.dataDir);
    this.gate = new EgressGate(configuredAuditSink(config), { offline: config.offline });
  }

  get producer(): RequestProducer {
    if (!this.producerInstance) throw new Error("Daemon.producer read before start()");
    return this.producerInstance;
  }

  get history(): HistoryStore {
    if (!this.historyStore) throw new Error("Daemon.history read before start()");
    return this.historyStore;
  }

  get redisTarget(): RedisTarget {
    if (!this.target) throw new Error("Daemon.redisTarget read before start()");
    return this.target;
  }

  get engineInfo(): EngineInfo | undefined {
    return this.engine?.info;
  }

  /** Whether the active LoRA adapter was loaded, or skipped and why. */
  get adapterStatus(): AdapterReport {
    return this.adapterReport;
  }

  async start(): Promise<void> {
    try {
      await this.startPieces();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async startPieces(): Promise<void> {
    const { config, logger } = this;
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    if (this.role === "bots") return this.startBotsOnly();
    const target: RedisTarget = config.redisUrl ? { kind: "url", url: config.redisUrl } : { kind: "socket", path: this.paths.redisSocket };
    const record: InstanceRecord = { pid: process.pid, role: this.role === "ask" ? "ask" : "daemon", redis: target, startedAt: Date.now() };
    const claim = claimInstance(this.paths.instanceFile, record);
    if (!claim.claimed) throw new AlreadyRunningError(config.dataDir, claim.owner);
    this.claimed = true;
    if (claim.stale?.redisPid) await killOrphanRedis(claim.stale.redisPid, this.paths.redisSocket, logger);

    if (config.redisUrl) {
      this.target = target;
    } else {
      this.embeddedRedis = new EmbeddedRedis({ dir: this.paths.redisDir, socketPath: this.paths.redisSocket, logger });
      this.target = await this.embeddedRedis.start();
      updateInstance(this.paths.instanceFile, { ...record, redisPid: this.embeddedRedis.pid });
    }
    this.commands = await openCommands(this.target, logger);
    this.historyStore = new HistoryStore(this.commands);

    // The model loads before the worker starts, so a bad model file fails start-up instead of every job.
    const engineOptions: EngineOptions = {
      modelPath: config.modelPath,
      threads: config.threads,
      contextSize: config.contextSize,
      logger,
      tuningFile: this.paths.tuningFile,
      states: config.stateBudgetBytes > 0 ? { dir: this.paths.kvStatesDir, budgetBytes: config.stateBudgetBytes } : undefined,
    };
    const adapter = await this.activeAdapter();
    this.engine = new ModelEngine({ ...engineOptions, adapter });
    try {
      await this.engine.start();
    } catch (error) {
      // An adapter llama.cpp refuses despite the checks must not keep Burrow down: run without it.
      if (!adapter || !(error instanceof BurrowError) || !["adapter_invalid", "adapter_load_failed"].includes(error.code)) throw error;
      this.skipAdapter(adapter.name ?? adapter.path, describeError(error).split("\n")[0] ?? error.code);
      this.engine = new ModelEngine(engineOptions);
      await this.engine.start();
    }
    this.toolSet = await openAgentTools(config, this.gate, logger);
    const agent = createAgent({ engine: this.engine, tools: this.toolSet.tools, ...agentSettings(config) });
    // The prompt prefix (system prompt + tool definitions) is read once and its state kept on disk, so
    // neither the first job nor any job after a restart pays for it again.
    await agent.warmUp();
    const review = createReviewAgent({
      engine: this.engine,
      code: this.toolSet.tools.code,
      codeUnavailable: this.toolSet.tools.unavailable.get("run_code"),
      maxTokens: config.maxTokens,
      temperature: config.temperature,
      timeoutMs: config.agent.jobTimeoutSeconds * 1000,
      inputLookup: REVIEW_INPUT_LOOKUP,
    });
    const engine = this.engine;
    this.worker = new RequestWorker({
      target: this.target,
      agent: routeByKind({ chat: agent, review }),
      logger,
      historyTurns: config.historyTurns,
      onConversationReset: async (conversation) => void (await engine.forgetConversation(conversation)),
    });
    await this.worker.start();

    this.producerInstance = new RequestProducer({ redis: this.commands, target: this.target, logger });
    await this.producerInstance.start();
    if (this.role === "daemon") await this.startBots();
    // Test-only (src/test-leak-hook.ts): loaded only when the leak test asks for it.
    if (process.env.BURROW_TEST_PLANT_LEAK) (await import("./test-leak-hook.js")).plantLeakForTests(process.env.BURROW_TEST_PLANT_LEAK, logger);
    logger.info({ role: this.role, redis: describeRedisTarget(this.target), offline: config.offline }, "burrow started");
  }

  /**
   * The adapter chosen with `burrow adapters use`, if it can be used with the model about to load. One that
   * cannot (deleted, changed, made for another model) is reported and left out rather than failing start-up.
   */
  private async activeAdapter(): Promise<EngineAdapter | undefined> {
    let model;
    try {
      model = await inspectModelFile(this.config.modelPath);
    } catch {
      return undefined; // The engine reports a bad model file.
    }
    const active = await resolveActiveAdapter(this.paths, model);
    if (active.kind === "unusable") this.skipAdapter(active.name, active.reason);
    if (active.kind !== "ok") return undefined;
    this.adapterReport = { state: "active", name: active.name, scale: active.scale };
    return active.engine;
  }

  private skipAdapter(name: string, reason: string): void {
    this.logger.warn({ adapter: name, reason }, "the active LoRA adapter is not used");
    this.adapterReport = { state: "skipped", name, reason };
    this.notice(
      `burrow: the active LoRA adapter "${name}" is not used: ${reason}\n` +
        "Burrow runs without it. `burrow adapters list` shows the adapters; `burrow adapters off` or `burrow adapters rollback` changes the choice.\n",
    );
  }

  /** The bots-only process: the queue of the worker that runs on this data directory (or at BURROW_REDIS_URL). */
  private async startBotsOnly(): Promise<void> {
    const { config, logger } = this;
    const live = readLiveInstance(this.paths.instanceFile);
    const target: RedisTarget | undefined = config.redisUrl ? { kind: "url", url: config.redisUrl } : live?.redis;
    if (!target) {
      throw new BurrowError("worker_not_running", `No Burrow worker is running on ${config.dataDir}, so the bots have no queue to use.`, {
        hint: "Start it first with `burrow start --role worker` (same BURROW_DATA_DIR), or set BURROW_REDIS_URL to the worker's Redis.",
      });
    }
    this.target = target;
    this.commands = await openCommands(target, logger);
    this.historyStore = new HistoryStore(this.commands);
    this.producerInstance = new RequestProducer({ redis: this.commands, target, logger });
    await this.producerInstance.start();
    await this.startBots();
    logger.info({ role: this.role, redis: describeRedisTarget(target) }, "burrow bots started");
  }

  /**
   * Starts the chat bots whose tokens are set. A bot that cannot start (Telegram unreachable from an
   * offline laptop, a revoked token) is reported and left out; Burrow keeps running for the others.
   */
  private async startBots(): Promise<void> {
    const { config, logger } = this;
    // With a rating store the bots put 👍/👎 on finished answers (for `burrow training export`).
    const queue = { producer: this.producer, history: this.history, ratings: new RatingStore(this.commands!) };
    const startedAt = Date.now();
    const status = () => ({
      model: this.role === "bots" ? undefined : (this.engine?.info.model.name ?? config.modelPath),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    });
    // /privacy for admins: the same summary as `burrow privacy report`, read fresh from the audit log each time.
    const egressLog = this.paths.egressLog;
    const privacyReport = () => {
      const offline = config.offline ? "Offline mode is on: no search queries or pages leave this machine.\n\n" : "";
      return `${offline}${formatPrivacyReport(summarizeAuditLog(readAuditLog(egressLog)), { maxQueries: 5, maxRefused: 5 })}`;
    };
    const candidates: [string, () => Promise<ChatBot>][] = [];
    if (config.telegram.token) {
      candidates.push(["Telegram", async () => (await import("../bots/telegram/index.js")).createTelegramBot({ config, queue, logger, status, privacyReport, gate: this.gate })]);
    }
    if (config.discord.token) {
      candidates.push(["Discord", async () => (await import("../bots/discord/index.js")).createDiscordBot({ config, queue, logger, status, privacyReport, gate: this.gate })]);
    }
    for (const [name, create] of candidates) {
      try {
        const bot = await create();
        await bot.start();
        this.bots.push(bot);
        this.botReports.push({ name, running: true });
      } catch (error) {
        logger.error({ err: error, bot: name }, "chat bot did not start");
        this.botReports.push({ name, running: false, reason: describeError(error) });
      }
    }
  }

  /** Which chat bots run, and why any did not start. */
  get botStatus(): readonly BotReport[] {
    return this.botReports;
  }

  /** Resolves once no job is waiting or running (a one-shot host waits for others' jobs it accepted). */
  async waitUntilIdle(pollMs = 100): Promise<void> {
    const queue = this.producerInstance;
    if (!queue) return;
    for (;;) {
      const counts = await queue.counts();
      if (counts.waiting + counts.active === 0) return;
      await sleep(pollMs);
    }
  }

  async stop(): Promise<void> {
    const { logger } = this;
    // Reverse order of start; every step runs even if an earlier one fails.
    const bots = this.bots.splice(0).reverse();
    this.botReports = [];
    const steps: [string, () => Promise<void> | void][] = [
      ...bots.map((bot, i): [string, () => Promise<void>] => [`chat bot ${i + 1}`, () => bot.stop()]),
      ["producer", () => this.producerInstance?.stop()],
      ["worker", () => this.worker?.stop()],
      ["tools", () => this.toolSet?.stop()],
      ["engine", () => this.engine?.stop()],
      ["redis connection", async () => void (await this.commands?.quit())],
      ["redis-server", () => this.embeddedRedis?.stop()],
      ["instance file", () => (this.claimed ? releaseInstance(this.paths.instanceFile, process.pid) : undefined)],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, `stopping ${name} failed`);
      }
    }
    this.producerInstance = undefined;
    this.worker = undefined;
    this.engine = undefined;
    this.toolSet = undefined;
    this.commands = undefined;
    this.embeddedRedis = undefined;
    this.claimed = false;
    logger.info("burrow stopped");
  }
}

/**
 * A queue client for a front end: the running daemon's queue when one runs on this data directory,
 * otherwise a Daemon started in this process (and stopped by close(), once its queue is idle).
 */
export async function openQueueClient(config: Config, logger: Logger): Promise<QueueClient> {
  const paths = dataPaths(config.dataDir);
  const live = readLiveInstance(paths.instanceFile);
  if (live) {
    const commands = await openCommands(live.redis, logger);
    const producer = new RequestProducer({ redis: commands, target: live.redis, logger });
    await producer.start();
    return {
      producer,
      history: new HistoryStore(commands),
      close: async () => {
        await producer.stop();
        await commands.quit().catch(() => {});
      },
    };
  }
  const daemon = new Daemon(config, logger, "ask");
  try {
    await daemon.start();
  } catch (error) {
    // Lost a race with another process that just became the host: use its queue.
    if (error instanceof AlreadyRunningError) return openQueueClient(config, logger);
    throw error;
  }
  return {
    producer: daemon.producer,
    history: daemon.history,
    close: async () => {
      await daemon.waitUntilIdle();
      await daemon.stop();
    },
  };
}

async function openCommands(target: RedisTarget, logger: Logger): Promise<Redis> {
  const redis = connectRedis(target, "client", "commands");
  redis.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
  // Our own socket may belong to a host that is still starting its redis-server: give it time. A
  // configured URL that does not answer (after the client's own retries) is a configuration problem.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await redis.ping();
      return redis;
    } catch (error) {
      if (target.kind === "url" || Date.now() >= deadline) {
        redis.disconnect();
        throw new RedisError(`Cannot reach Redis at ${describeRedisTarget(target)}: ${(error as Error).message}`, {
          hint: target.kind === "url" ? "Check REDIS_URL and that the server runs, or unset it to use the embedded Redis." : "Run `burrow doctor`.",
          cause: error,
        });
      }
      await sleep(200);
    }
  }
}

/** A host that crashed may leave its redis-server running on our socket; end it before starting ours. */
async function killOrphanRedis(pid: number, socketPath: string, logger: Logger): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("redis-server") || !cmdline.includes(socketPath)) return;
  } catch {
    return;
  }
  logger.warn({ redisPid: pid }, "ending an orphaned embedded redis-server left by a crashed Burrow");
  process.kill(pid, "SIGTERM");
  // Two servers must never write the same append-only file: wait for it to be gone.
  for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 50) await sleep(50);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
