import type { Queue } from "bullmq";
import type { JobKind } from "../src/contracts.js";
import type { JobEventLog } from "./event-log.js";
import { etaSecondsFrom, type JobStats } from "./job-stats.js";

/**
 * Queue order. Interactive questions go before reviews: a chat is added without a priority (BullMQ's
 * "wait" list, FIFO) and a review with priority 1 (the "prioritized" set, FIFO among equals). BullMQ 6.7's
 * moveToActive takes from the wait list first and from the prioritized set only when the list is empty, so
 * the worker runs every waiting question before any waiting review, and a running review is not interrupted.
 */
export function priorityOf(kind: JobKind): number {
  return kind === "review" ? 1 : 0;
}

/**
 * Waiting job ids with their kinds, next-to-run first: the wait list oldest first, then the prioritized set
 * in score order. The kind follows from the list (priorityOf puts every review, and only reviews, in the
 * prioritized set), so only ids are read, not each job's request with its attachments.
 */
async function waitingJobs(queue: Queue): Promise<{ id: string; kind: JobKind }[]> {
  const [chats, reviews] = await Promise.all([queue.getRanges(["waiting"], 0, -1, true), queue.getRanges(["prioritized"], 0, -1, true)]);
  return [...chats.map((id) => ({ id, kind: "chat" as const })), ...reviews.map((id) => ({ id, kind: "review" as const }))];
}

/** Kinds of the running jobs (one with the serial worker): its name says its kind (producer.submit). */
async function activeKinds(queue: Queue): Promise<JobKind[]> {
  return (await queue.getJobs(["active"])).map((job) => (job.name === "review" ? "review" : "chat"));
}

/** The kinds of the jobs a newly added job of `kind` would have ahead of it: what runs, and what waits before it. */
export async function jobsAhead(queue: Queue, kind: JobKind = "chat"): Promise<JobKind[]> {
  const [active, chats, reviews] = await Promise.all([activeKinds(queue), queue.getWaitingCount(), kind === "review" ? queue.getPrioritizedCount() : 0]);
  return [...active, ...Array<JobKind>(chats).fill("chat"), ...Array<JobKind>(reviews).fill("review")];
}

/** Tells every waiting job its current position and ETA (after a job starts, or one is added or removed). */
export async function publishPositions(queue: Queue, events: JobEventLog, stats: JobStats): Promise<void> {
  const [waiting, active, averages] = await Promise.all([waitingJobs(queue), activeKinds(queue), stats.averages()]);
  const ahead = [...active];
  for (const job of waiting) {
    await events.append(job.id, { type: "queued", position: ahead.length, etaSeconds: etaSecondsFrom(averages, ahead) });
    ahead.push(job.kind);
  }
}
