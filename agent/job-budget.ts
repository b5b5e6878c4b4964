/**
 * The limits of one job: tool steps, wall time (tokens are node-llama-cpp's `maxTokens`, which it counts
 * across tool calls). Hitting a limit stops the work without losing it: the answer so far is kept and the
 * user is told which limit was hit and which setting raises it.
 */
export interface BudgetLimits {
  readonly maxToolSteps: number;
  readonly timeoutMs: number;
}

export class JobBudget {
  private readonly stopper = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private steps = 0;
  private refusedSteps = 0;
  private hit: string | undefined;
  /** Aborts on the user's cancel or when a budget stops the job. */
  readonly signal: AbortSignal;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly userSignal: AbortSignal,
  ) {
    this.signal = AbortSignal.any([userSignal, this.stopper.signal]);
    this.timer = setTimeout(() => this.stop(`[Stopped after ${Math.round(limits.timeoutMs / 1000)} s, the time limit for one answer (BURROW_JOB_TIMEOUT); the answer may be incomplete.]`), limits.timeoutMs);
    this.timer.unref();
  }

  get toolSteps(): number {
    return this.steps;
  }

  /** True when the user cancelled (as opposed to a budget stopping the job). */
  get cancelled(): boolean {
    return this.userSignal.aborted;
  }

  /** The note for the user about the budget that stopped or limited the job, if any. */
  get note(): string | undefined {
    return this.hit;
  }

  /**
   * Call before each tool call. Returns undefined to go ahead, or the text to give the model instead of
   * the tool's result. A model that keeps calling after being told to answer is stopped.
   */
  takeToolStep(): string | undefined {
    if (this.steps < this.limits.maxToolSteps) {
      this.steps += 1;
      return undefined;
    }
    this.refusedSteps += 1;
    this.hit ??= `[Stopped using tools after ${this.limits.maxToolSteps} steps (BURROW_MAX_TOOL_STEPS).]`;
    if (this.refusedSteps > 2) this.stop(this.hit);
    return `No more tool calls are allowed for this question (limit ${this.limits.maxToolSteps}). Answer now with what you have.`;
  }

  stop(note: string): void {
    if (this.stopper.signal.aborted) return;
    this.hit = note;
    this.stopper.abort(new Error(note));
  }

  /** True when a budget (not the user) stopped the job. */
  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
