import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AccessPolicy, NOT_ALLOWED_REPLY, qualifiedUserId } from "../../bots/access.js";
import { loadConfig } from "../../src/config.js";
import { makeTempDir } from "../support/temp-dir.js";

const dir = makeTempDir();
afterAll(() => dir.remove());
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: dir.path, XDG_CONFIG_HOME: join(dir.path, "cfg"), ...extra });

const policy = new AccessPolicy({
  allowedUsers: new Set(["telegram:111", "discord:222"]),
  admins: new Set(["telegram:999"]),
  maxQueuedPerUser: 2,
});

describe("AccessPolicy", () => {
  it("lets listed users and admins in, and gives everyone else one polite refusal", () => {
    expect(policy.check("telegram:111")).toEqual({ allowed: true });
    expect(policy.check("discord:222")).toEqual({ allowed: true });
    expect(policy.check("telegram:999")).toEqual({ allowed: true });
    expect(policy.check("telegram:222")).toEqual({ allowed: false, reply: NOT_ALLOWED_REPLY });
    expect(policy.check("discord:111")).toEqual({ allowed: false, reply: NOT_ALLOWED_REPLY });
    expect(NOT_ALLOWED_REPLY).toMatch(/^Sorry/);
  });

  it("is private by default: an empty allowlist lets only admins in", () => {
    const empty = new AccessPolicy({ allowedUsers: new Set(), admins: new Set(), maxQueuedPerUser: 1 });
    expect(empty.check("telegram:1").allowed).toBe(false);
  });

  it("qualifies ids by platform, so the same number on two platforms is two users", () => {
    expect(qualifiedUserId("telegram", "111")).toBe("telegram:111");
    expect(policy.check(qualifiedUserId("discord", "111")).allowed).toBe(false);
  });

  it("lets the requester or an admin cancel, nobody else", () => {
    expect(policy.canCancel("telegram:111", "telegram:111")).toBe(true);
    expect(policy.canCancel("telegram:999", "telegram:111")).toBe(true);
    expect(policy.canCancel("discord:222", "telegram:111")).toBe(false);
  });

  it("caps a user's waiting and running requests with a clear message", async () => {
    expect(policy.checkQueueCap(0)).toEqual({ allowed: true });
    expect(policy.checkQueueCap(1)).toEqual({ allowed: true });
    const refused = policy.checkQueueCap(2);
    expect(refused).toEqual({ allowed: false, reply: expect.stringContaining("You already have 2 requests waiting or running (the limit is 2)") });
    const asked: string[] = [];
    const decision = await policy.checkQueueLimit("telegram", "111", async (platform, userId) => {
      asked.push(`${platform}:${userId}`);
      return 5;
    });
    expect(asked).toEqual(["telegram:111"]);
    expect(decision.allowed).toBe(false);
  });

  it("refuses a cap below one", () => {
    expect(() => new AccessPolicy({ allowedUsers: new Set(), admins: new Set(), maxQueuedPerUser: 0 })).toThrow(RangeError);
  });
});

describe("access settings", () => {
  it("reads platform:userId lists, the per-user cap and the Telegram settings", () => {
    const config = loadConfig(env({
      BURROW_ALLOWED_USERS: "telegram:123456789, discord:80351110224678912 telegram:5",
      BURROW_ADMINS: "telegram:1",
      BURROW_MAX_QUEUED_PER_USER: "2",
      BURROW_TELEGRAM_TOKEN: "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789",
      BURROW_TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
    }));
    expect(config.access).toEqual({ allowedUsers: ["telegram:123456789", "discord:80351110224678912", "telegram:5"], admins: ["telegram:1"], maxQueuedPerUser: 2 });
    expect(config.telegram).toEqual({ token: "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789", apiRoot: "http://127.0.0.1:8081" });
  });

  it("reads the Telegram token from BURROW_TELEGRAM_TOKEN_FILE", () => {
    const file = join(dir.path, "telegram-token");
    writeFileSync(file, "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789\n");
    expect(loadConfig(env({ BURROW_TELEGRAM_TOKEN_FILE: file })).telegram.token).toBe("123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789");
  });

  it("is private by default, with Telegram off", () => {
    const config = loadConfig(env());
    expect(config.access).toEqual({ allowedUsers: [], admins: [], maxQueuedPerUser: 3 });
    expect(config.telegram).toEqual({ token: undefined, apiRoot: "https://api.telegram.org" });
  });

  it("refuses an entry without its platform, and never shows a bad token", () => {
    expect(() => loadConfig(env({ BURROW_ALLOWED_USERS: "123456789" }))).toThrow(/^Invalid setting BURROW_ALLOWED_USERS="123456789" \(from the environment\): expected platform:userId entries/);
    expect(() => loadConfig(env({ BURROW_ADMINS: "slack:1" }))).toThrow(/BURROW_ADMINS/);
    expect(() => loadConfig(env({ BURROW_TELEGRAM_TOKEN: "not-a-token-secret" }))).toThrow("Invalid setting BURROW_TELEGRAM_TOKEN=(hidden) (from the environment): expected a Telegram bot token like 123456:ABC-DEF….");
  });
});
