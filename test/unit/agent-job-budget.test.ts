import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { JobBudget } from "../../agent/job-budget.js";

describe("JobBudget", () => {
  it("allows maxToolSteps steps, then tells the model to answer, then stops a model that keeps calling", () => {
    const budget = new JobBudget({ maxToolSteps: 2, timeoutMs: 60_000 }, new AbortController().signal);
    expect(budget.takeToolStep()).toBeUndefined();
    expect(budget.takeToolStep()).toBeUndefined();
    expect(budget.takeToolStep()).toBe("No more tool calls are allowed for this question (limit 2). Answer now with what you have.");
    expect(budget.note).toBe("[Stopped using tools after 2 steps (BURROW_MAX_TOOL_STEPS).]");
    expect(budget.signal.aborted).toBe(false);
    budget.takeToolStep();
    budget.takeToolStep();
    expect(budget.signal.aborted).toBe(true);
    expect(budget.stopped).toBe(true);
    expect(budget.cancelled).toBe(false);
    budget.dispose();
  });

  it("stops at the time limit with a note naming the setting", async () => {
    const budget = new JobBudget({ maxToolSteps: 1, timeoutMs: 30 }, new AbortController().signal);
    await sleep(80);
    expect(budget.signal.aborted).toBe(true);
    expect(budget.note).toMatch(/BURROW_JOB_TIMEOUT/);
    budget.dispose();
  });

  it("tells a user's cancel apart from a budget stop", () => {
    const user = new AbortController();
    const budget = new JobBudget({ maxToolSteps: 1, timeoutMs: 60_000 }, user.signal);
    user.abort();
    expect(budget.signal.aborted).toBe(true);
    expect(budget.cancelled).toBe(true);
    expect(budget.stopped).toBe(false);
    budget.dispose();
  });
});
