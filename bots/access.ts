import type { Platform } from "../src/contracts.js";

/**
 * Who may use Burrow through a chat bot. Users are named `platform:userId` (e.g. `telegram:123456789`,
 * `discord:80351110224678912`), the same form BURROW_ALLOWED_USERS and BURROW_ADMINS use, because ids of
 * different platforms may collide. Private by default: an empty allowlist lets nobody in but admins.
 */
export interface AccessPolicyOptions {
  /** `platform:userId` entries. */
  readonly allowedUsers: ReadonlySet<string>;
  /** `platform:userId` entries; admins are always allowed and may cancel anyone's request. */
  readonly admins: ReadonlySet<string>;
  /** Most requests one user may have waiting or running at once. */
  readonly maxQueuedPerUser: number;
}

export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reply: string };

/** The one refusal everyone outside the allowlist gets. It says nothing about who is allowed. */
export const NOT_ALLOWED_REPLY = "Sorry, this is a private assistant and you are not on its list of users. Nothing was sent to it.";

/** The key of a user in the allowlist: `telegram:123`. */
export function qualifiedUserId(platform: Platform, userId: string): string {
  return `${platform}:${userId}`;
}

export class AccessPolicy {
  constructor(private readonly options: AccessPolicyOptions) {
    if (!Number.isInteger(options.maxQueuedPerUser) || options.maxQueuedPerUser < 1) {
      throw new RangeError(`maxQueuedPerUser must be a whole number ≥ 1, got ${options.maxQueuedPerUser}`);
    }
  }

  /** `userId` is the qualified id (`platform:id`). */
  check(userId: string): AccessDecision {
    return this.isAllowed(userId) ? { allowed: true } : { allowed: false, reply: NOT_ALLOWED_REPLY };
  }

  isAllowed(userId: string): boolean {
    return this.options.allowedUsers.has(userId) || this.options.admins.has(userId);
  }

  isAdmin(userId: string): boolean {
    return this.options.admins.has(userId);
  }

  /** Only the person who asked, or an admin, may cancel a request. Both ids qualified. */
  canCancel(userId: string, requesterId: string): boolean {
    return userId === requesterId || this.isAdmin(userId);
  }

  get maxQueuedPerUser(): number {
    return this.options.maxQueuedPerUser;
  }

  /** Whether a user with `queued` requests waiting or running may add one more. */
  checkQueueCap(queued: number): AccessDecision {
    if (queued < this.options.maxQueuedPerUser) return { allowed: true };
    const n = this.options.maxQueuedPerUser;
    return {
      allowed: false,
      reply: `You already have ${queued} ${queued === 1 ? "request" : "requests"} waiting or running (the limit is ${n}). Wait for ${n === 1 ? "it" : "one"} to finish, or /cancel, then send this again.`,
    };
  }

  /** Counts the user's waiting and running requests (through `count`, e.g. the producer) and checks the cap. */
  async checkQueueLimit(platform: Platform, userId: string, count: (platform: Platform, userId: string) => Promise<number>): Promise<AccessDecision> {
    return this.checkQueueCap(await count(platform, userId));
  }
}

