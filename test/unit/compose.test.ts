import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CONFIG_ENV_NAMES, loadConfig } from "../../src/config.js";

/** No Docker engine runs here, so the compose file is checked for structure and for settings Burrow knows. */
const compose = parse(readFileSync(new URL("../../compose.yaml", import.meta.url), "utf8")) as {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: string[] }>;
  volumes: Record<string, unknown>;
};

describe("compose.yaml", () => {
  it("runs redis append-only and never evicting, with its data on a volume", () => {
    const redis = compose.services.redis!;
    expect(redis.image).toMatch(/^redis:7/);
    const command = redis.command!.join(" ");
    expect(command).toContain("--appendonly yes");
    expect(command).toContain("--maxmemory-policy noeviction");
    expect(redis.volumes).toContain("redis-data:/data");
  });

  it("runs burrow against that redis, with volumes for data and models", () => {
    const burrow = compose.services.burrow!;
    expect(burrow.build).toBe(".");
    expect(burrow.depends_on).toContain("redis");
    expect(burrow.environment?.REDIS_URL).toBe("redis://redis:6379");
    const mounts = Object.fromEntries(burrow.volumes!.map((v) => v.split(":").reverse()));
    expect(mounts[burrow.environment!.BURROW_DATA_DIR!]).toBe("burrow-data");
    expect(burrow.environment!.BURROW_MODEL!.startsWith("/models/")).toBe(true);
    expect(mounts["/models"]).toBe("models");
    for (const name of ["redis-data", "burrow-data", "models"]) expect(compose.volumes).toHaveProperty(name);
  });

  it("passes only settings the config schema knows, with values it accepts", () => {
    const env = compose.services.burrow!.environment!;
    for (const name of Object.keys(env)) expect(CONFIG_ENV_NAMES, `unknown setting ${name}`).toContain(name);
    const config = loadConfig({ HOME: "/nonexistent", ...env });
    expect(config).toMatchObject({ dataDir: "/data", redisUrl: "redis://redis:6379", modelPath: env.BURROW_MODEL });
  });
});
