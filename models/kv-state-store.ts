import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import type { LlamaContextSequence } from "node-llama-cpp";
import type { Logger } from "../src/log.js";
import { sha256 } from "./state-fingerprint.js";

/** The key of the state that holds only the prompt prefix (system prompt + tool definitions). */
export const PREFIX_STATE_KEY = "prefix";

export interface KvStateStoreOptions {
  /** The states directory; each fingerprint gets its own subdirectory. */
  readonly dir: string;
  readonly fingerprint: string;
  /** Most bytes all state files may take; the least recently used go first. */
  readonly budgetBytes: number;
  readonly logger: Logger;
}

export interface StateFileInfo {
  readonly key: string;
  readonly path: string;
  readonly bytes: number;
  readonly usedAt: number;
}

/**
 * KV-cache states on disk: the prompt prefix once, and each conversation's state after its last turn, so
 * a follow-up (also after a restart) only evaluates its new tokens. On a 2-core CPU a 7B model reads the
 * prompt at ~10 tokens/s, so this is the difference between seconds and minutes before the first token.
 *
 * States live under their fingerprint (see state-fingerprint.ts); states of any other fingerprint are
 * deleted at start, never loaded. The directory stays under a byte budget, least recently used first;
 * file mtime is the "used" clock, so it survives restarts without an index to keep consistent.
 */
export class KvStateStore {
  private readonly dir: string;

  constructor(private readonly options: KvStateStoreOptions) {
    this.dir = join(options.dir, options.fingerprint);
  }

  /** Creates this fingerprint's directory and deletes states saved for anything else. */
  start(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const entry of readdirSync(this.options.dir)) {
      if (entry === this.options.fingerprint) continue;
      rmSync(join(this.options.dir, entry), { recursive: true, force: true });
      this.options.logger.info({ fingerprint: entry }, "deleted KV states of another model, adapter or prompt");
    }
    // A save interrupted by a crash leaves a .tmp file; it was never renamed into place, so it is junk.
    for (const entry of readdirSync(this.dir)) if (entry.endsWith(".tmp")) rmSync(join(this.dir, entry), { force: true });
  }

  pathOf(key: string): string {
    return join(this.dir, `${key === PREFIX_STATE_KEY ? PREFIX_STATE_KEY : sha256(key).slice(0, 32)}.kv`);
  }

  has(key: string): boolean {
    return existsSync(this.pathOf(key));
  }

  /** Loads a saved state into the sequence, replacing what it held. False when there is none. */
  async load(key: string, sequence: LlamaContextSequence): Promise<boolean> {
    const path = this.pathOf(key);
    if (!existsSync(path)) return false;
    try {
      await sequence.loadStateFromFile(path, { acceptRisk: true });
    } catch (error) {
      // A damaged file (e.g. the disk filled up while it was written) is dropped, not retried forever.
      this.options.logger.warn({ err: error, key }, "could not load a KV state; evaluating from scratch");
      rmSync(path, { force: true });
      await sequence.clearHistory();
      return false;
    }
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  }

  /** Saves the sequence's state for `key` (written to a temp file, then renamed), then enforces the budget. */
  async save(key: string, sequence: LlamaContextSequence): Promise<number> {
    const path = this.pathOf(key);
    const temp = `${path}.tmp`;
    try {
      const { fileSize } = await sequence.saveStateToFile(temp);
      renameSync(temp, path);
      this.evict(path);
      return fileSize;
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  remove(key: string): boolean {
    const path = this.pathOf(key);
    if (!existsSync(path)) return false;
    rmSync(path, { force: true });
    return true;
  }

  /** The state files, least recently used first. */
  list(): StateFileInfo[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((entry) => entry.endsWith(".kv"))
      .map((entry) => {
        const path = join(this.dir, entry);
        const stat = statSync(path);
        return { key: entry.slice(0, -3), path, bytes: stat.size, usedAt: stat.mtimeMs };
      })
      .sort((a, b) => a.usedAt - b.usedAt);
  }

  totalBytes(): number {
    return this.list().reduce((sum, file) => sum + file.bytes, 0);
  }

  /**
   * Deletes least recently used states until the total fits the budget. The prefix state goes last (every
   * new conversation needs it), and the state just saved is kept unless it alone is over the budget.
   */
  private evict(justSaved: string): void {
    const files = this.list();
    let total = files.reduce((sum, file) => sum + file.bytes, 0);
    const order = [...files.filter((f) => f.key !== PREFIX_STATE_KEY && f.path !== justSaved), ...files.filter((f) => f.key === PREFIX_STATE_KEY), ...files.filter((f) => f.path === justSaved && f.key !== PREFIX_STATE_KEY)];
    for (const file of order) {
      if (total <= this.options.budgetBytes) break;
      rmSync(file.path, { force: true });
      total -= file.bytes;
      this.options.logger.debug({ key: file.key, bytes: file.bytes }, "evicted a KV state");
    }
  }
}
