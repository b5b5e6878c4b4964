import type { Queue } from "bullmq";
import type { JobEventLog } from "./event-log.js";
import type { JobStats } from "./job-stats.js";

/** Waiting job ids, next-to-run first (`asc`: oldest first, the order a FIFO worker takes them). */
export async function waitingJobIds(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(["waiting"], 0, -1, true);
  return jobs.map((job) => job.id).filter((id): id is string => id !== undefined);
}

/** Jobs a newly added job would have ahead of it: whatever runs plus whatever waits. */
export async function jobsAhead(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts("active", "waiting", "prioritized");
  return (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}

/** Tells every waiting job its current position and ETA (after a job starts, or one is removed). */
export async function publishPositions(queue: Queue, events: JobEventLog, stats: JobStats): Promise<void> {
  const [ids, active] = await Promise.all([waitingJobIds(queue), queue.getActiveCount()]);
  let index = 0;
  for (const id of ids) {
    const position = active + index++;
    await events.append(id, { type: "queued", position, etaSeconds: await stats.etaSeconds(position) });
  }
}
