import { describe, expect, it } from "vitest";
import { etaSecondsFrom } from "../../queue/job-stats.js";

/** The ETA a waiting job is told: the measured average of each job ahead of it, by kind. */
describe("etaSecondsFrom", () => {
  it("is null before any job was measured, and 0 with nothing ahead once one was", () => {
    expect(etaSecondsFrom({ chat: undefined, review: undefined }, ["chat", "review"])).toBeNull();
    expect(etaSecondsFrom({ chat: 4000, review: undefined }, [])).toBe(0);
  });

  it("adds each kind's own average: a review ahead counts far more than a question", () => {
    expect(etaSecondsFrom({ chat: 4000, review: 60_000 }, ["chat", "chat"])).toBe(8);
    expect(etaSecondsFrom({ chat: 4000, review: 60_000 }, ["review", "chat"])).toBe(64);
  });

  it("counts a kind never measured yet as the other kind's average", () => {
    expect(etaSecondsFrom({ chat: 4000, review: undefined }, ["review", "chat"])).toBe(8);
    expect(etaSecondsFrom({ chat: undefined, review: 30_000 }, ["chat"])).toBe(30);
  });
});
