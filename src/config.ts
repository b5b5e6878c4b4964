import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import envPaths from "env-paths";
import { z } from "zod";
import { dataPaths } from "./data-paths.js";
import { ConfigError } from "./errors.js";

/**
 * Burrow's whole configuration: one zod schema over the environment (and an optional JSON file with the
 * same keys), parsed once at start-up and frozen. Every setting is documented here with its default;
 * the README's settings table is checked against this list by a test.
 */

/**
 * The user's data and config directories. On Linux they follow XDG from the given environment (so tests
 * and several instances can steer them); elsewhere env-paths knows each platform's convention.
 */
function userDirs(env: NodeJS.ProcessEnv): { data: string; config: string } {
  if (process.platform !== "linux") return envPaths("burrow", { suffix: "" });
  const home = env.HOME || homedir();
  return {
    data: join(env.XDG_DATA_HOME || join(home, ".local", "share"), "burrow"),
    config: join(env.XDG_CONFIG_HOME || join(home, ".config"), "burrow"),
  };
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The default model: the design's choice for a 2-core laptop with 8+ GB RAM. */
export const DEFAULT_MODEL_FILE = "qwen2.5-7b-instruct-q4_k_m.gguf";

/** Where `burrow models pull` downloads from unless BURROW_MODEL_HOST names a mirror. */
export const DEFAULT_MODEL_HOST = "https://huggingface.co";

/** Bytes in one GB of BURROW_DISK_BUDGET: decimal, like the sizes model hosts publish (4.68 GB). */
export const BYTES_PER_GB = 1e9;

interface SettingSpec<T> {
  /** What the setting does, for docs and `burrow doctor`. */
  readonly doc: string;
  /** The default, as written in docs. */
  readonly defaultText: string;
  /** What a valid value looks like, used in the one-line error. */
  readonly expected: string;
  readonly schema: z.ZodType<T>;
  /** Secrets may also come from a file named by <NAME>_FILE, and are never shown in errors or logs. */
  readonly secret?: boolean;
}

const wholeNumber = (min: number, max: number) =>
  z.coerce.number().refine((n) => Number.isInteger(n) && n >= min && n <= max);

const redisUrl = z.string().refine((value) => {
  try {
    return ["redis:", "rediss:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
});

const httpUrl = z.string().refine((value) => {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
});

/**
 * Discord ids (snowflakes), comma- or space-separated, or a JSON array of strings. JSON numbers are
 * refused: snowflakes are larger than a double holds exactly.
 */
const discordIdList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(/[\s,]+/)).map((id) => id.trim()).filter((id) => id !== ""))
  .refine((ids) => ids.every((id) => /^\d{15,21}$/.test(id)));

/**
 * Chat users as `platform:userId` (`telegram:123456789`, `discord:80351110224678912`), comma- or
 * space-separated, or a JSON array of strings. The platform is part of the id: numbers collide across
 * platforms.
 */
const chatUserList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(/[\s,]+/)).map((id) => id.trim()).filter((id) => id !== ""))
  .refine((ids) => ids.every((id) => /^(telegram|discord):\d{1,25}$/.test(id)));

export const SEARCH_PROVIDERS = ["duckduckgo", "searxng", "brave", "off"] as const;
export type SearchProviderName = (typeof SEARCH_PROVIDERS)[number];

/** The settings, keyed by their environment name. Order is the order shown in docs. */
export const SETTINGS = {
  BURROW_DATA_DIR: {
    doc: "Where Burrow writes everything: Redis files, history, model states, logs.",
    defaultText: "~/.local/share/burrow (XDG_DATA_HOME/burrow)",
    expected: "a directory path",
    schema: z.string().min(1),
  },
  BURROW_MODEL: {
    doc: "Path of the GGUF model file to run; overrides the model chosen with `burrow models use`.",
    defaultText: `the model chosen with \`burrow models use\`, else <BURROW_DATA_DIR>/models/${DEFAULT_MODEL_FILE} (Qwen2.5-7B-Instruct Q4_K_M)`,
    expected: "a path to a .gguf file",
    schema: z.string().min(1),
  },
  BURROW_MODEL_HOST: {
    doc: "Where `burrow models pull` downloads models from: Hugging Face or a mirror serving the same <repo>/resolve/main/<file> paths.",
    defaultText: DEFAULT_MODEL_HOST,
    expected: "an http:// or https:// URL",
    schema: httpUrl,
  },
  BURROW_CATALOG_FILE: {
    doc: "A JSON file of extra models for `burrow models` (your own GGUFs on your mirror), added to the built-in catalog.",
    defaultText: "unset: only the built-in catalog",
    expected: "a path to a JSON file",
    schema: z.string().min(1),
  },
  BURROW_DISK_BUDGET: {
    doc: "Most disk space, in GB (10^9 bytes), that everything under BURROW_DATA_DIR may use; `models pull` refuses what would not fit.",
    defaultText: "50",
    expected: "a number of GB greater than 0, e.g. 50 or 0.5",
    schema: z.coerce.number().refine((n) => Number.isFinite(n) && n > 0 && n <= 1_000_000),
  },
  BURROW_REDIS_URL: {
    doc: "Use this Redis server instead of the embedded one (REDIS_URL is read too).",
    defaultText: "unset: Burrow runs its own redis-server on a unix socket in the data directory",
    expected: "a redis:// or rediss:// URL",
    schema: redisUrl,
  },
  BURROW_THREADS: {
    doc: "CPU threads for inference; auto = measured once per model and machine among 1..physical cores.",
    defaultText: "auto",
    expected: '"auto" or a whole number from 1 to 256',
    schema: z.union([z.literal("auto"), wholeNumber(1, 256)]),
  },
  BURROW_CONTEXT_SIZE: {
    doc: "Context window in tokens (prompt + history + answer); auto = what fits in free RAM (2k–32k); capped at the model's trained size.",
    defaultText: "auto",
    expected: '"auto" or a whole number from 256 to 262144',
    schema: z.union([z.literal("auto"), wholeNumber(256, 262_144)]),
  },
  BURROW_MAX_TOKENS: {
    doc: "Most tokens one answer may generate.",
    defaultText: "1024",
    expected: "a whole number from 1 to 65536",
    schema: wholeNumber(1, 65_536),
  },
  BURROW_TEMPERATURE: {
    doc: "Sampling temperature; 0 is greedy (deterministic).",
    defaultText: "0.7",
    expected: "a number from 0 to 2",
    schema: z.coerce.number().refine((n) => Number.isFinite(n) && n >= 0 && n <= 2),
  },
  BURROW_HISTORY_TURNS: {
    doc: "How many earlier turns of a conversation are given to the model.",
    defaultText: "12",
    expected: "a whole number from 0 to 500",
    schema: wholeNumber(0, 500),
  },
  BURROW_STATE_BUDGET: {
    doc: "Most gigabytes of saved KV states (prompt prefix + conversations) kept for fast follow-ups; 0 turns saving off.",
    defaultText: "4",
    expected: "a number of GB from 0 to 1000",
    schema: z.coerce.number().refine((n) => Number.isFinite(n) && n >= 0 && n <= 1000),
  },
  BURROW_SEARCH_PROVIDER: {
    doc: "Web search for the agent: duckduckgo (no key), searxng (your instance), brave (API key), or off.",
    defaultText: "duckduckgo",
    expected: "duckduckgo, searxng, brave or off",
    schema: z.enum(SEARCH_PROVIDERS),
  },
  BURROW_SEARXNG_URL: {
    doc: "Base URL of the SearXNG instance (JSON format enabled) when BURROW_SEARCH_PROVIDER=searxng.",
    defaultText: "unset (compose.yaml sets http://searxng:8080)",
    expected: "an http:// or https:// URL",
    schema: httpUrl,
  },
  BURROW_BRAVE_API_KEY: {
    doc: "Brave Search API key when BURROW_SEARCH_PROVIDER=brave (or BURROW_BRAVE_API_KEY_FILE).",
    defaultText: "unset",
    expected: "an API key",
    schema: z.string().min(8).max(200),
    secret: true,
  },
  BURROW_SEARCH_URL: {
    doc: "Send the chosen provider's requests to this base URL instead (a mirror or proxy).",
    defaultText: "unset: the provider's own address",
    expected: "an http:// or https:// URL",
    schema: httpUrl,
  },
  BURROW_MAX_TOOL_STEPS: {
    doc: "Most tool calls (searches, page reads, code runs) one answer may make; 0 turns tools off.",
    defaultText: "6",
    expected: "a whole number from 0 to 50",
    schema: wholeNumber(0, 50),
  },
  BURROW_JOB_TIMEOUT: {
    doc: "Most seconds one answer may take, tools included; the answer so far is kept and marked.",
    defaultText: "900",
    expected: "a whole number of seconds from 10 to 86400",
    schema: wholeNumber(10, 86_400),
  },
  BURROW_THOUGHT_TOKENS: {
    doc: "Most tokens a thinking model (Qwen3) may spend reasoning before it answers.",
    defaultText: "512",
    expected: "a whole number from 0 to 65536",
    schema: wholeNumber(0, 65_536),
  },
  BURROW_FIX_ROUNDS: {
    doc: "How many times the agent may fix code that failed when run in the sandbox; 0 runs it once, no fixes.",
    defaultText: "2",
    expected: "a whole number from 0 to 10",
    schema: wholeNumber(0, 10),
  },
  BURROW_CODE_TIMEOUT: {
    doc: "Seconds one sandboxed code run may take before its whole process tree is killed.",
    defaultText: "10",
    expected: "a whole number from 1 to 600",
    schema: wholeNumber(1, 600),
  },
  BURROW_SANDBOX_UID: {
    doc: "Unprivileged user id that sandboxed code runs as (its process limits only hold for non-root).",
    defaultText: "65534 (nobody)",
    expected: "a whole number from 1 to 4294967294",
    schema: wholeNumber(1, 4_294_967_294),
  },
  BURROW_PAGE_TOKENS: {
    doc: "Most tokens of one web page's text given to the model.",
    defaultText: "1500",
    expected: "a whole number from 100 to 32768",
    schema: wholeNumber(100, 32_768),
  },
  BURROW_DISCORD_TOKEN: {
    doc: "Discord bot token; setting it turns the Discord bot on (or BURROW_DISCORD_TOKEN_FILE).",
    defaultText: "unset: no Discord bot",
    expected: "a Discord bot token",
    schema: z.string().min(20).max(200),
    secret: true,
  },
  BURROW_DISCORD_GUILDS: {
    doc: "Discord servers (guild ids, comma-separated) where the bot answers mentions; DMs are not affected.",
    defaultText: "unset: no server (DMs only)",
    expected: "guild ids (numbers) separated by commas",
    schema: discordIdList,
  },
  BURROW_DISCORD_CHANNELS: {
    doc: "Only these channels (ids, comma-separated) of the allowed servers; threads inherit their channel.",
    defaultText: "unset: every channel of the allowed servers",
    expected: "channel ids (numbers) separated by commas",
    schema: discordIdList,
  },
  BURROW_DISCORD_API: {
    doc: "Base URL of the Discord REST API (without /v10); for tests against a local fake.",
    defaultText: "https://discord.com/api",
    expected: "an http:// or https:// URL",
    schema: httpUrl,
  },
  BURROW_TELEGRAM_TOKEN: {
    doc: "Telegram bot token from @BotFather; setting it turns the Telegram bot on (or BURROW_TELEGRAM_TOKEN_FILE).",
    defaultText: "unset: no Telegram bot",
    expected: "a Telegram bot token like 123456:ABC-DEF…",
    schema: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/),
    secret: true,
  },
  BURROW_TELEGRAM_API_ROOT: {
    doc: "Base URL of the Telegram Bot API; for a local Bot API server or tests against a fake.",
    defaultText: "https://api.telegram.org",
    expected: "an http:// or https:// URL",
    schema: httpUrl,
  },
  BURROW_ALLOWED_USERS: {
    doc: "Who may use the chat bots: platform:userId entries, comma-separated (telegram:123456789,discord:80351110224678912). Everyone else gets one polite refusal.",
    defaultText: "unset: nobody but the admins",
    expected: "platform:userId entries (platform telegram or discord, id a number) separated by commas",
    schema: chatUserList,
  },
  BURROW_ADMINS: {
    doc: "Chat users (platform:userId, comma-separated) who may always use the bots and cancel anyone's request.",
    defaultText: "unset: no admins",
    expected: "platform:userId entries (platform telegram or discord, id a number) separated by commas",
    schema: chatUserList,
  },
  BURROW_MAX_QUEUED_PER_USER: {
    doc: "Most requests one chat user may have waiting or running at once.",
    defaultText: "3",
    expected: "a whole number from 1 to 100",
    schema: wholeNumber(1, 100),
  },
  BURROW_LOG_LEVEL: {
    doc: "Log level of <BURROW_DATA_DIR>/logs/burrow.log.",
    defaultText: "info",
    expected: LOG_LEVELS.join(", "),
    schema: z.enum(LOG_LEVELS),
  },
  BURROW_OFFLINE: {
    doc: "Offline mode: web search and page reading are off (not even a query leaves), `models pull` is refused; only the configured chat platforms and Redis are contacted. `burrow start --offline` sets it too.",
    defaultText: "0",
    expected: "1 or 0 (true or false)",
    schema: z
      .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no"])])
      .transform((value) => value === true || value === "1" || value === "true" || value === "yes"),
  },
  BURROW_AUDIT_LOG_BUDGET: {
    doc: "Most megabytes the egress audit log (<BURROW_DATA_DIR>/logs/egress.log and its one older file) may use; the oldest records go first.",
    defaultText: "10",
    expected: "a number of MB from 0.01 to 10000",
    schema: z.coerce.number().refine((n) => Number.isFinite(n) && n >= 0.01 && n <= 10_000),
  },
} as const satisfies Record<string, SettingSpec<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** Settings also accepted under a conventional name. */
const ALIASES: Readonly<Record<string, SettingName>> = { REDIS_URL: "BURROW_REDIS_URL" };

/** Names of every environment variable the config reads, for docs and compose.yaml's check. */
export const CONFIG_ENV_NAMES: readonly string[] = [
  "BURROW_CONFIG",
  ...Object.keys(SETTINGS),
  ...Object.entries(SETTINGS).filter(([, spec]) => (spec as SettingSpec<unknown>).secret).map(([name]) => `${name}_FILE`),
  ...Object.keys(ALIASES),
];

export interface Config {
  readonly dataDir: string;
  readonly modelPath: string;
  /** Why `modelPath` is that file: BURROW_MODEL, the `burrow models use` choice, or the default. */
  readonly modelSource: ModelSource;
  readonly models: {
    /** BURROW_MODEL_HOST, without a trailing slash. */
    readonly host: string;
    readonly catalogFile: string | undefined;
    readonly diskBudgetBytes: number;
  };
  /** Unset means "run the embedded redis-server". */
  readonly redisUrl: string | undefined;
  readonly threads: number | "auto";
  readonly contextSize: number | "auto";
  readonly maxTokens: number;
  readonly temperature: number;
  readonly historyTurns: number;
  readonly logLevel: LogLevel;
  /** Bytes of KV states kept on disk; 0 = states off. */
  readonly stateBudgetBytes: number;
  readonly search: {
    readonly provider: SearchProviderName;
    readonly searxngUrl: string | undefined;
    readonly braveApiKey: string | undefined;
    readonly baseUrl: string | undefined;
  };
  readonly agent: {
    readonly maxToolSteps: number;
    readonly jobTimeoutSeconds: number;
    readonly thoughtTokens: number;
    readonly fixRounds: number;
    readonly pageTokens: number;
  };
  readonly sandbox: {
    readonly uid: number;
    readonly timeoutSeconds: number;
  };
  readonly discord: {
    /** Unset: the Discord bot does not start. Never log it. */
    readonly token: string | undefined;
    /** Guilds where mentions are answered; empty = none (DMs only). */
    readonly guilds: readonly string[];
    /** Channels of those guilds; empty = all of them. */
    readonly channels: readonly string[];
    /** REST base without /v10. */
    readonly apiUrl: string;
  };
  readonly telegram: {
    /** Unset: the Telegram bot does not start. Never log it. */
    readonly token: string | undefined;
    /** Bot API base URL, without a trailing slash. */
    readonly apiRoot: string;
  };
  /** Who may use the chat bots; entries are `platform:userId`. */
  readonly access: {
    readonly allowedUsers: readonly string[];
    readonly admins: readonly string[];
    readonly maxQueuedPerUser: number;
  };
  /** The config file that was read, if any. */
  readonly configFile: string | undefined;
  /** BURROW_OFFLINE: no search, no pages, no model downloads. */
  readonly offline: boolean;
  /** Most bytes of the egress audit log (two files together). */
  readonly auditLogBudgetBytes: number;
}

export type ModelSource = "BURROW_MODEL" | "active" | "default";

type Source = { kind: "env" } | { kind: "file"; path: string } | { kind: "secret-file"; path: string };
type RawValue = { value: unknown; source: Source };

/**
 * Parses the configuration from `env` (and the JSON file named by BURROW_CONFIG, or the default config
 * file when it exists). Environment values win over the file. Throws a ConfigError whose message is one
 * line naming the setting, its value, where it came from and what is expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = new Map<SettingName, RawValue>();
  const dirs = userDirs(env);
  const configFile = resolveConfigFile(env, dirs.config);
  if (configFile) {
    for (const [key, value] of Object.entries(readConfigFile(configFile))) {
      const name = settingNameOf(key);
      if (!name) {
        throw new ConfigError(key, `Unknown setting ${key} in config file ${configFile}; known settings: ${Object.keys(SETTINGS).join(", ")}.`);
      }
      raw.set(name, { value, source: { kind: "file", path: configFile } });
    }
  }
  for (const [alias, name] of Object.entries(ALIASES)) setFromEnv(raw, name, env[alias]);
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const spec: SettingSpec<unknown> = SETTINGS[name];
    if (spec.secret) setFromSecretFile(raw, name, env[`${name}_FILE`]);
    setFromEnv(raw, name, env[name]);
  }

  const value = <N extends SettingName>(name: N): z.output<(typeof SETTINGS)[N]["schema"]> | undefined => {
    const entry = raw.get(name);
    if (!entry) return undefined;
    const parsed = SETTINGS[name].schema.safeParse(entry.value);
    if (!parsed.success) {
      const where = entry.source.kind === "env" ? "the environment" : entry.source.kind === "file" ? `config file ${entry.source.path}` : `file ${entry.source.path}`;
      const spec: SettingSpec<unknown> = SETTINGS[name];
      const shown = spec.secret ? "(hidden)" : JSON.stringify(entry.value);
      throw new ConfigError(name, `Invalid setting ${name}=${shown} (from ${where}): expected ${spec.expected}.`);
    }
    return parsed.data as z.output<(typeof SETTINGS)[N]["schema"]>;
  };

  const dataDir = resolve(value("BURROW_DATA_DIR") ?? dirs.data);
  const model = value("BURROW_MODEL");
  const active = model ? undefined : readActiveModel(dataDir);
  const catalogFile = value("BURROW_CATALOG_FILE");
  const config: Config = {
    dataDir,
    modelPath: model ? resolve(model) : join(dataDir, "models", active ?? DEFAULT_MODEL_FILE),
    modelSource: model ? "BURROW_MODEL" : active ? "active" : "default",
    models: Object.freeze({
      host: (value("BURROW_MODEL_HOST") ?? DEFAULT_MODEL_HOST).replace(/\/+$/, ""),
      catalogFile: catalogFile ? resolve(catalogFile) : undefined,
      diskBudgetBytes: Math.round((value("BURROW_DISK_BUDGET") ?? 50) * BYTES_PER_GB),
    }),
    redisUrl: value("BURROW_REDIS_URL"),
    threads: value("BURROW_THREADS") ?? "auto",
    contextSize: value("BURROW_CONTEXT_SIZE") ?? "auto",
    maxTokens: value("BURROW_MAX_TOKENS") ?? 1024,
    temperature: value("BURROW_TEMPERATURE") ?? 0.7,
    historyTurns: value("BURROW_HISTORY_TURNS") ?? 12,
    logLevel: value("BURROW_LOG_LEVEL") ?? "info",
    stateBudgetBytes: Math.round((value("BURROW_STATE_BUDGET") ?? 4) * 1e9),
    search: Object.freeze({
      provider: value("BURROW_SEARCH_PROVIDER") ?? "duckduckgo",
      searxngUrl: value("BURROW_SEARXNG_URL"),
      braveApiKey: value("BURROW_BRAVE_API_KEY"),
      baseUrl: value("BURROW_SEARCH_URL"),
    }),
    agent: Object.freeze({
      maxToolSteps: value("BURROW_MAX_TOOL_STEPS") ?? 6,
      jobTimeoutSeconds: value("BURROW_JOB_TIMEOUT") ?? 900,
      thoughtTokens: value("BURROW_THOUGHT_TOKENS") ?? 512,
      fixRounds: value("BURROW_FIX_ROUNDS") ?? 2,
      pageTokens: value("BURROW_PAGE_TOKENS") ?? 1500,
    }),
    sandbox: Object.freeze({
      uid: value("BURROW_SANDBOX_UID") ?? 65_534,
      timeoutSeconds: value("BURROW_CODE_TIMEOUT") ?? 10,
    }),
    discord: Object.freeze({
      token: value("BURROW_DISCORD_TOKEN"),
      guilds: Object.freeze(value("BURROW_DISCORD_GUILDS") ?? []),
      channels: Object.freeze(value("BURROW_DISCORD_CHANNELS") ?? []),
      apiUrl: (value("BURROW_DISCORD_API") ?? "https://discord.com/api").replace(/\/+$/, ""),
    }),
    telegram: Object.freeze({
      token: value("BURROW_TELEGRAM_TOKEN"),
      apiRoot: (value("BURROW_TELEGRAM_API_ROOT") ?? "https://api.telegram.org").replace(/\/+$/, ""),
    }),
    access: Object.freeze({
      allowedUsers: Object.freeze(value("BURROW_ALLOWED_USERS") ?? []),
      admins: Object.freeze(value("BURROW_ADMINS") ?? []),
      maxQueuedPerUser: value("BURROW_MAX_QUEUED_PER_USER") ?? 3,
    }),
    configFile,
    offline: value("BURROW_OFFLINE") ?? false,
    auditLogBudgetBytes: Math.round((value("BURROW_AUDIT_LOG_BUDGET") ?? 10) * 1024 * 1024),
  };
  return Object.freeze(config);
}

/**
 * The file name chosen with `burrow models use`, kept in <data>/models/active.json ({"name", "file"}), or
 * undefined when nothing was chosen. A damaged choice stops start-up with a clear line rather than silently
 * running another model.
 */
function readActiveModel(dataDir: string): string | undefined {
  const path = dataPaths(dataDir).activeModelFile;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError("BURROW_MODEL", `Cannot read the active model choice ${path}: ${(error as Error).message}.`, { cause: error });
  }
  let file: unknown;
  try {
    file = (JSON.parse(text) as { file?: unknown }).file;
  } catch {
    file = undefined;
  }
  // Only a plain file name inside models/: the choice must never point elsewhere on disk.
  if (typeof file !== "string" || file === "" || file !== basename(file) || file.startsWith(".")) {
    throw new ConfigError("BURROW_MODEL", `The active model choice ${path} is damaged; run \`burrow models use NAME\` again (or delete it to use the default model).`);
  }
  return file;
}

function settingNameOf(key: string): SettingName | undefined {
  if (key in SETTINGS) return key as SettingName;
  return ALIASES[key];
}

function setFromEnv(raw: Map<SettingName, RawValue>, name: SettingName, value: string | undefined): void {
  // An empty variable counts as unset: `FOO= burrow start` is how shells clear a setting.
  if (value !== undefined && value.trim() !== "") raw.set(name, { value: value.trim(), source: { kind: "env" } });
}

/** Docker/systemd style secrets: NAME_FILE names a file holding the value (trailing newline dropped). */
function setFromSecretFile(raw: Map<SettingName, RawValue>, name: SettingName, path: string | undefined): void {
  if (path === undefined || path.trim() === "") return;
  let value: string;
  try {
    value = readFileSync(path.trim(), "utf8").trim();
  } catch (error) {
    throw new ConfigError(name, `Cannot read ${name}_FILE=${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: `Point ${name}_FILE at a readable file that holds only the value, or set ${name} instead.`,
      cause: error,
    });
  }
  raw.set(name, { value, source: { kind: "secret-file", path: path.trim() } });
}

function resolveConfigFile(env: NodeJS.ProcessEnv, configDir: string): string | undefined {
  const named = env.BURROW_CONFIG?.trim();
  if (named) {
    const path = isAbsolute(named) ? named : resolve(named);
    if (!existsSync(path)) {
      throw new ConfigError("BURROW_CONFIG", `Invalid setting BURROW_CONFIG=${JSON.stringify(named)}: no such file.`);
    }
    return path;
  }
  const fallback = join(configDir, "config.json");
  return existsSync(fallback) ? fallback : undefined;
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError("BURROW_CONFIG", `Config file ${path} is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("BURROW_CONFIG", `Config file ${path} must hold a JSON object like {"BURROW_THREADS": 2}.`);
  }
  // Numbers and booleans in JSON are fine; the schemas coerce them like env strings.
  return parsed as Record<string, unknown>;
}
