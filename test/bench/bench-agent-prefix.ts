/**
 * The real agent prompt prefix, as the daemon builds it with all three tools on: `systemPromptFor(tools)`
 * plus `buildAgentFunctions(tools, …)`. The tool ports are stubs; no tool is ever called in the bench
 * (the handlers would answer with a refusal from a zero-step budget if one were).
 */
import type { ChatSessionModelFunctions } from "node-llama-cpp";
import { buildAgentFunctions, type JobToolState } from "../../agent/agent-functions.js";
import { JobBudget } from "../../agent/job-budget.js";
import { systemPromptFor } from "../../agent/prompts.js";
import { SourceList } from "../../agent/source-list.js";
import type { AgentTools } from "../../agent/tool-ports.js";

export interface AgentPrefix {
  readonly systemPrompt: string;
  readonly functions: ChatSessionModelFunctions;
}

const STUB_TOOLS: AgentTools = {
  search: { label: "bench search", search: () => Promise.resolve([]) },
  pages: { read: (url) => Promise.resolve({ url, title: "", forModel: "" }) },
  code: { run: () => Promise.resolve({ outcome: "ok", exitCode: 0, stdout: "", stderr: "", timedOut: false, outputTruncated: false, durationMs: 0 }) },
  unavailable: new Map(),
};

export function agentPrefix(): AgentPrefix {
  const state = (): JobToolState => ({
    jobId: "bench",
    budget: new JobBudget({ maxToolSteps: 0, timeoutMs: 1_000 }, new AbortController().signal),
    sources: new SourceList(),
    pageTokens: 0,
    emit: () => {},
    problems: [],
  });
  return { systemPrompt: systemPromptFor(STUB_TOOLS), functions: buildAgentFunctions(STUB_TOOLS, state) };
}
