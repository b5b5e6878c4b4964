import { defineChatSessionFunction, type ChatSessionModelFunction, type ChatSessionModelFunctions } from "node-llama-cpp";
import type { AgentEvent } from "../src/contracts.js";
import { describeError } from "../src/errors.js";
import type { JobBudget } from "./job-budget.js";
import { OFFLINE_SEARCH_REASON, offlineSearch, SearchOfflineError } from "./offline-search.js";
import type { SourceList } from "./source-list.js";
import type { AgentTools, CodeRun } from "./tool-ports.js";

/**
 * The tools as node-llama-cpp functions. node-llama-cpp turns each parameter schema into a grammar, so a
 * call is always well-formed JSON with the right fields; `maxLength` bounds what the model can write.
 * Handlers never throw — a throw would abort the whole prompt — they return the problem as text for the
 * model, and report it to the user through a `tool` event.
 */

export interface JobToolState {
  readonly jobId: string;
  readonly budget: JobBudget;
  readonly sources: SourceList;
  readonly pageTokens: number;
  readonly emit: (event: AgentEvent) => void;
  /** Problems the user should hear about even if the model does not mention them. */
  readonly problems: string[];
}

/** Most characters of a code run's output given back to the model. */
const CODE_OUTPUT_CHARS = 2_000;

export function buildAgentFunctions(tools: AgentTools, state: () => JobToolState): ChatSessionModelFunctions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-llama-cpp types each function by its own schema
  const functions: Record<string, ChatSessionModelFunction<any>> = {};
  const { search, pages, code } = tools;
  if (search) {
    functions["web_search"] = defineChatSessionFunction({
      description: "Search the web. Returns numbered results to cite as [n].",
      params: { type: "object", properties: { query: { type: "string", maxLength: 200 } } },
      async handler({ query }) {
        const job = state();
        const refusal = job.budget.takeToolStep();
        if (refusal) return refusal;
        const q = query.trim();
        if (q === "") return "The query was empty. Write what to search for.";
        try {
          if (search === offlineSearch) throw new SearchOfflineError();
          job.emit({ type: "tool", name: "web_search", summary: clip(`Searching ${search.label} for "${q}"`) });
          const results = await search.search(q, { signal: job.budget.signal, jobId: job.jobId });
          if (results.length === 0) return `No results for "${q}". Try other words, or answer without search.`;
          const numbered = job.sources.add(results);
          return numbered.map((hit) => `[${hit.n}] ${hit.title} — ${hit.url}\n${hit.snippet}`).join("\n");
        } catch (error) {
          if (job.budget.signal.aborted) return "Stopped.";
          if (error instanceof SearchOfflineError) {
            job.problems.push(OFFLINE_SEARCH_REASON);
            job.emit({ type: "tool", name: "web_search", summary: "Search unavailable: Burrow is offline" });
            return `${OFFLINE_SEARCH_REASON} Answer without search and tell the user that search is unavailable.`;
          }
          const reason = describeError(error);
          job.problems.push(`Web search failed: ${reason}`);
          job.emit({ type: "tool", name: "web_search", summary: clip(`Search failed: ${firstLine(reason)}`) });
          return `Search failed: ${firstLine(reason)}. Answer without search and say that search was unavailable.`;
        }
      },
    });
  }
  if (pages) {
    functions["read_page"] = defineChatSessionFunction({
      description: "Read the text of a page from the search results.",
      params: { type: "object", properties: { url: { type: "string", maxLength: 500 } } },
      async handler({ url }) {
        const job = state();
        const refusal = job.budget.takeToolStep();
        if (refusal) return refusal;
        job.emit({ type: "tool", name: "read_page", summary: clip(`Reading ${shortUrl(url)}`) });
        try {
          const page = await pages.read(url.trim(), { allowedUrls: job.sources.urls(), signal: job.budget.signal, jobId: job.jobId, maxTokens: job.pageTokens });
          return page.forModel;
        } catch (error) {
          if (job.budget.signal.aborted) return "Stopped.";
          const reason = firstLine(describeError(error));
          job.emit({ type: "tool", name: "read_page", summary: clip(`Could not read the page: ${reason}`) });
          return `Could not read ${url}: ${reason}`;
        }
      },
    });
  }
  if (code) {
    functions["run_code"] = defineChatSessionFunction({
      description: "Run Python or JavaScript in an offline sandbox; returns exit code and output.",
      params: {
        type: "object",
        properties: {
          language: { enum: ["python", "javascript"] },
          code: { type: "string", maxLength: 6000 },
        },
      },
      async handler({ language, code: source }) {
        const job = state();
        const refusal = job.budget.takeToolStep();
        if (refusal) return refusal;
        job.emit({ type: "tool", name: "run_code", summary: `Running ${language === "python" ? "Python" : "JavaScript"} code in the sandbox` });
        try {
          return describeRun(await code.run({ language, code: source, signal: job.budget.signal }));
        } catch (error) {
          if (job.budget.signal.aborted) return "Stopped.";
          const reason = firstLine(describeError(error));
          job.emit({ type: "tool", name: "run_code", summary: clip(`Could not run the code: ${reason}`) });
          return `Could not run the code: ${reason}`;
        }
      },
    });
  }
  return functions;
}

/** A code run as the model sees it: short, with the limit that ended it named. */
export function describeRun(run: CodeRun): string {
  const parts = [run.timedOut ? "Timed out and was killed." : `Exit code ${run.exitCode ?? "none"} (${run.outcome}).`];
  if (run.stdout) parts.push(`stdout:\n${tail(run.stdout, CODE_OUTPUT_CHARS)}`);
  if (run.stderr) parts.push(`stderr:\n${tail(run.stderr, CODE_OUTPUT_CHARS)}`);
  if (run.outputTruncated) parts.push("(output was cut off at the sandbox's limit)");
  return parts.join("\n");
}

export function tail(text: string, chars: number): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return url.slice(0, 100);
  }
}
