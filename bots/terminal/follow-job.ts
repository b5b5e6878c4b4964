import type { JobEvent } from "../../src/contracts.js";
import type { RequestProducer } from "../../queue/producer.js";

/**
 * Follows a job to its end, handing each event to `onEvent`. When `cancel` aborts (Ctrl-C), the job is
 * cancelled and following goes on until the worker confirms, so the user sees what really happened.
 */
export async function followJob(
  producer: RequestProducer,
  jobId: string,
  onEvent: (event: JobEvent) => void,
  options: { readonly cancel?: AbortSignal; readonly onConnectionLost?: () => void } = {},
): Promise<JobEvent | undefined> {
  const { cancel, onConnectionLost } = options;
  const onCancel = () => void producer.cancel(jobId, "cancelled from the terminal");
  cancel?.addEventListener("abort", onCancel, { once: true });
  let last: JobEvent | undefined;
  try {
    for await (const event of producer.events.follow(jobId, { onConnectionLost })) {
      last = event;
      onEvent(event);
    }
  } finally {
    cancel?.removeEventListener("abort", onCancel);
  }
  return last;
}

/** Process exit code for a job's final event: 0 answered, 1 failed, 130 cancelled (like Ctrl-C). */
export function exitCodeFor(event: JobEvent | undefined): number {
  if (event?.type === "done") return 0;
  if (event?.type === "cancelled") return 130;
  return 1;
}
