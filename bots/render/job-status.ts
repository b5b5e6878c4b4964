import type { JobEvent } from "../../src/contracts.js";

/** The one-line status a placeholder shows before the answer starts (queue, thinking, tools). */
export function statusLine(event: Extract<JobEvent, { type: "queued" | "started" | "thinking" | "tool" }>): string {
  switch (event.type) {
    case "queued": {
      const where = event.position === 0 ? "you are next" : `${event.position} ${event.position === 1 ? "request" : "requests"} ahead of you`;
      const eta = event.etaSeconds === null || event.position === 0 ? "" : `, about ${formatWait(event.etaSeconds)} to start`;
      return `⏳ Queued: ${where}${eta}.`;
    }
    case "started":
      return "💭 Thinking…";
    case "thinking":
      return `💭 ${capitalize(event.text ?? "thinking…")}`;
    case "tool":
      return `🔧 ${event.name}: ${event.summary}`;
  }
}

/** "40 s", "3 min", "2 h 5 min". */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
