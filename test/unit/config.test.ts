import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL_FILE, SETTINGS, loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { makeTempDir } from "../support/temp-dir.js";

const dir = makeTempDir();
afterAll(() => dir.remove());

/** An environment with no Burrow settings, and a HOME without a config file. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: dir.path, XDG_CONFIG_HOME: join(dir.path, "cfg"), ...extra });

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("has a default for every setting, with the model and data under the user's data directory", () => {
    const config = loadConfig(cleanEnv());
    expect(config.dataDir).toBe(join(dir.path, ".local", "share", "burrow"));
    expect(config.modelPath).toBe(join(config.dataDir, "models", DEFAULT_MODEL_FILE));
    expect(config).toMatchObject({ redisUrl: undefined, threads: "auto", contextSize: "auto", maxTokens: 1024, temperature: 0.7, historyTurns: 12, logLevel: "info" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads BURROW_* settings from the environment, coercing numbers", () => {
    const config = loadConfig(cleanEnv({ BURROW_DATA_DIR: "/tmp/x", BURROW_MODEL: "/m/a.gguf", BURROW_THREADS: "3", BURROW_CONTEXT_SIZE: "2048", BURROW_TEMPERATURE: "0" }));
    expect(config).toMatchObject({ dataDir: "/tmp/x", modelPath: "/m/a.gguf", threads: 3, contextSize: 2048, temperature: 0 });
  });

  it("accepts REDIS_URL as well as BURROW_REDIS_URL", () => {
    expect(loadConfig(cleanEnv({ REDIS_URL: "redis://localhost:6379" })).redisUrl).toBe("redis://localhost:6379");
    expect(loadConfig(cleanEnv({ REDIS_URL: "redis://a:1", BURROW_REDIS_URL: "redis://b:2" })).redisUrl).toBe("redis://b:2");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig(cleanEnv({ BURROW_THREADS: "" })).threads).toBe("auto");
  });

  it.each([
    ["BURROW_THREADS", "abc", /BURROW_THREADS="abc".*expected "auto" or a whole number/],
    ["BURROW_THREADS", "0", /BURROW_THREADS="0"/],
    ["BURROW_CONTEXT_SIZE", "12.5", /BURROW_CONTEXT_SIZE="12.5".*whole number from 256/],
    ["BURROW_TEMPERATURE", "3", /BURROW_TEMPERATURE="3".*number from 0 to 2/],
    ["BURROW_LOG_LEVEL", "loud", /BURROW_LOG_LEVEL="loud".*expected fatal, error/],
    ["BURROW_REDIS_URL", "http://x", /BURROW_REDIS_URL="http:\/\/x".*redis:\/\//],
  ])("a bad %s=%s stops with one line naming the setting", (name, value, pattern) => {
    const error = configError(cleanEnv({ [name]: value }));
    expect(error.setting).toBe(name);
    expect(error.message).toMatch(pattern);
    expect(error.message).toContain("from the environment");
    expect(error.message).not.toContain("\n");
  });

  it("reads the default config file from the user's config directory when it exists", () => {
    const home = makeTempDir();
    try {
      mkdirSync(join(home.path, ".config", "burrow"), { recursive: true });
      writeFileSync(join(home.path, ".config", "burrow", "config.json"), JSON.stringify({ BURROW_HISTORY_TURNS: 3 }));
      expect(loadConfig({ HOME: home.path }).historyTurns).toBe(3);
    } finally {
      home.remove();
    }
  });

  it("reads an optional JSON config file, with the environment winning", () => {
    const file = join(dir.path, "burrow.json");
    writeFileSync(file, JSON.stringify({ BURROW_MAX_TOKENS: 77, BURROW_THREADS: 2 }));
    const config = loadConfig(cleanEnv({ BURROW_CONFIG: file, BURROW_THREADS: "1" }));
    expect(config).toMatchObject({ maxTokens: 77, threads: 1, configFile: file });
  });

  it("names the config file when a value in it is bad, or a key unknown", () => {
    const file = join(dir.path, "bad.json");
    writeFileSync(file, JSON.stringify({ BURROW_MAX_TOKENS: -5 }));
    expect(configError(cleanEnv({ BURROW_CONFIG: file })).message).toContain(`config file ${file}`);
    writeFileSync(file, JSON.stringify({ BURROW_MAX_TOKEN: 5 }));
    expect(configError(cleanEnv({ BURROW_CONFIG: file })).message).toMatch(/Unknown setting BURROW_MAX_TOKEN in config file/);
    writeFileSync(file, "{ not json");
    expect(configError(cleanEnv({ BURROW_CONFIG: file })).message).toMatch(/not valid JSON/);
    expect(configError(cleanEnv({ BURROW_CONFIG: join(dir.path, "missing.json") })).message).toMatch(/no such file/);
  });

  it("is documented: the README lists every setting", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const name of Object.keys(SETTINGS)) expect(readme, `README should document ${name}`).toContain(`\`${name}\``);
  });
});
