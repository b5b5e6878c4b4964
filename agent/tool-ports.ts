import type { CodeLanguage } from "./code-blocks.js";
import type { SearchHit } from "./source-list.js";

/**
 * What the agent needs from each tool, as narrow interfaces: the agent depends on these shapes, and the
 * daemon hands it the real tools from tools/ (tests can hand it others).
 */

export type ToolName = "web_search" | "read_page" | "run_code";

export interface SearchPort {
  /** Shown to the user in tool events ("DuckDuckGo"). */
  readonly label: string;
  search(query: string, options: { signal: AbortSignal; jobId: string }): Promise<readonly SearchHit[]>;
}

export interface PagePort {
  /** Reads a page; must refuse URLs not in `allowedUrls`. Resolves with text already marked as untrusted. */
  read(url: string, options: { allowedUrls: ReadonlySet<string>; signal: AbortSignal; jobId: string; maxTokens: number }): Promise<{ url: string; title: string; forModel: string }>;
}

export interface CodeRun {
  readonly outcome: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly outputTruncated: boolean;
  readonly durationMs: number;
}

export interface CodePort {
  run(request: { language: CodeLanguage; code: string; signal: AbortSignal }): Promise<CodeRun>;
}

export interface AgentTools {
  readonly search?: SearchPort;
  readonly pages?: PagePort;
  readonly code?: CodePort;
  /** Tools that are off, with the reason, so the agent can tell the user why it did not use them. */
  readonly unavailable: ReadonlyMap<ToolName, string>;
}
