import type { Queue } from "bullmq";
import type { JobKind } from "../src/contracts.js";
import type { JobEventLog } from "./event-log.js";
import type { JobStats } from "./job-stats.js";

/**
 * Queue order. Interactive questions go before reviews: a chat is added without a priority (BullMQ's
 * "wait" list, FIFO) and a review with priority 1 (the "prioritized" set, FIFO among equals). BullMQ 6.7's
 * moveToActive takes from the wait list first and from the prioritized set only when the list is empty, so
 * the worker runs every waiting question before any waiting review, and a running review is not interrupted.
 */
export function priorityOf(kind: JobKind): number {
  return kind === "review" ? 1 : 0;
}

export interface QueuedJob {
  readonly id: string;
  readonly kind: JobKind;
}

/** Waiting jobs, next-to-run first: the wait list oldest first, then the prioritized set in score order. */
export async function waitingJobs(queue: Queue): Promise<QueuedJob[]> {
  const [waiting, prioritized] = await Promise.all([queue.getJobs(["waiting"], 0, -1, true), queue.getJobs(["prioritized"], 0, -1, true)]);
  return [...waiting, ...prioritized].flatMap((job) => (job.id === undefined ? [] : [{ id: job.id, kind: kindOf(job.name) }]));
}

/** Waiting job ids, next-to-run first. */
export async function waitingJobIds(queue: Queue): Promise<string[]> {
  return (await waitingJobs(queue)).map((job) => job.id);
}

/** The kinds of the jobs a newly added job of `kind` would have ahead of it: what runs, and what waits before it. */
export async function jobsAhead(queue: Queue, kind: JobKind = "chat"): Promise<JobKind[]> {
  const [active, waiting] = await Promise.all([queue.getJobs(["active"]), waitingJobs(queue)]);
  const before = kind === "review" ? waiting : waiting.filter((job) => job.kind === "chat");
  return [...active.map((job) => kindOf(job.name)), ...before.map((job) => job.kind)];
}

/** Tells every waiting job its current position and ETA (after a job starts, or one is added or removed). */
export async function publishPositions(queue: Queue, events: JobEventLog, stats: JobStats): Promise<void> {
  const [waiting, active] = await Promise.all([waitingJobs(queue), queue.getJobs(["active"])]);
  const ahead: JobKind[] = active.map((job) => kindOf(job.name));
  for (const job of waiting) {
    await events.append(job.id, { type: "queued", position: ahead.length, etaSeconds: await stats.etaSeconds(ahead) });
    ahead.push(job.kind);
  }
}

/** Jobs are named after their request's kind (producer.submit). */
function kindOf(name: string): JobKind {
  return name === "review" ? "review" : "chat";
}
