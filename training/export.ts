import { createHmac, randomBytes } from "node:crypto";
import type { RatingRecord, RatingStore } from "../queue/ratings.js";
import type { HistoryTurn } from "../src/contracts.js";
import { DatasetExampleSchema, type DatasetExample, type DatasetMessage } from "./dataset-schema.js";

/** The system message of every exported example: short, so it costs little of the training context. */
export const EXPORT_SYSTEM_PROMPT = "You are Burrow, a private assistant. Answer clearly and correctly; show code in fenced blocks.";

export interface ExportOptions {
  /** Qualified ids (`telegram:123`) whose conversations may be exported: BURROW_ALLOWED_USERS ∪ BURROW_ADMINS. */
  readonly allowedUsers: ReadonlySet<string>;
  /** Lowest rating exported. Default 1 (only 👍). */
  readonly minRating?: number;
  /** Replace user ids, chat ids and conversation keys by pseudonyms (stable within one export). */
  readonly stripIds?: boolean;
  /** Key of the pseudonyms; default: random per export, so they cannot be linked across exports. */
  readonly pseudonymKey?: Buffer;
}

export interface ExportSummary {
  readonly exported: number;
  /** Rated below minRating. */
  readonly skippedRating: number;
  /** Asked by someone not (or no longer) on the allowlist. */
  readonly skippedUser: number;
}

/**
 * Writes the well-rated exchanges as JSONL lines (one DatasetExample each, validated) to `write`.
 * Only requests by allowlisted users are exported, whoever rated them.
 */
export async function exportRatings(store: RatingStore, options: ExportOptions, write: (line: string) => void | Promise<void>): Promise<ExportSummary> {
  const minRating = options.minRating ?? 1;
  const key = options.pseudonymKey ?? randomBytes(32);
  const pseudonym = (kind: string, id: string) => `${kind}-${createHmac("sha256", key).update(`${kind}\0${id}`).digest("hex").slice(0, 12)}`;
  let exported = 0;
  let skippedRating = 0;
  let skippedUser = 0;
  for await (const record of store.all()) {
    if (record.rating < minRating) {
      skippedRating++;
      continue;
    }
    const requester = `${record.request.platform}:${record.request.userId}`;
    if (!options.allowedUsers.has(requester)) {
      skippedUser++;
      continue;
    }
    const example = toExample(record, options.stripIds ? { user: pseudonym("user", requester), conversation: pseudonym("chat", record.conversation) } : { user: requester, conversation: record.conversation });
    await write(`${JSON.stringify(DatasetExampleSchema.parse(example))}\n`);
    exported++;
  }
  return { exported, skippedRating, skippedUser };
}

/** One rated exchange as a training example: system, the earlier turns, the question, the answer. */
export function toExample(record: RatingRecord, ids: { readonly user: string; readonly conversation: string }): DatasetExample {
  const { request } = record;
  const messages: DatasetMessage[] = [{ role: "system", content: EXPORT_SYSTEM_PROMPT }];
  for (const turn of usableContext(record.context)) messages.push({ role: turn.role, content: turn.text });
  messages.push({ role: "user", content: userContent(request.text, request.attachments) });
  messages.push({ role: "assistant", content: record.answer.text });
  return {
    messages,
    meta: {
      source: "burrow",
      rating: record.rating,
      jobId: record.jobId,
      platform: request.platform,
      user: ids.user,
      conversation: ids.conversation,
      ratedAt: record.ratedAt,
      tools: record.tools.map(({ name, summary }) => ({ name, summary })),
      sources: record.answer.sources,
    },
  };
}

/** Whole user→assistant pairs only, so the roles alternate as the chat template expects. */
function usableContext(turns: readonly HistoryTurn[]): HistoryTurn[] {
  const start = turns[0]?.role === "assistant" ? 1 : 0;
  const pairs = turns.slice(start);
  return pairs.length % 2 === 0 ? pairs : pairs.slice(0, -1);
}

/** Attachments are given to the model inlined after the question; the example shows them the same way. */
function userContent(text: string, attachments: RatingRecord["request"]["attachments"]): string {
  const files = attachments.map((file) => `\n\n[file ${file.name}]\n\`\`\`\n${file.text}\n\`\`\``);
  return text + files.join("");
}
