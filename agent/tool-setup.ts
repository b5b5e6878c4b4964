import type { Config } from "../src/config.js";
import { describeError } from "../src/errors.js";
import type { EgressGate } from "../src/egress.js";
import type { Logger } from "../src/log.js";
import { Sandbox } from "../tools/code-exec/index.js";
import { PageReader } from "../tools/web-page/index.js";
import { createSearchProvider, PROVIDER_LABELS, type SearchProvider } from "../tools/web-search/index.js";
import { offlineSearch } from "./offline-search.js";
import type { AgentTools, ToolName } from "./tool-ports.js";

/** The agent's tools for a configuration, with one stop() for all of them. */
export interface AgentToolSet {
  readonly tools: AgentTools;
  stop(): Promise<void>;
}

/**
 * Builds the tools the configuration asks for. A tool that cannot work here (no bubblewrap, search off)
 * is left out with the reason, which the agent tells the user and `burrow doctor` shows — the code tool
 * never falls back to running unsandboxed. Configuration mistakes (searxng without a URL) fail start-up.
 */
export async function openAgentTools(config: Config, gate: EgressGate, logger: Logger): Promise<AgentToolSet> {
  const unavailable = new Map<ToolName, string>();
  const tools: { -readonly [K in keyof AgentTools]: AgentTools[K] } = { unavailable };

  if (config.agent.maxToolSteps === 0) {
    for (const name of ["web_search", "read_page", "run_code"] as const) unavailable.set(name, "tools are turned off (BURROW_MAX_TOOL_STEPS=0)");
    return { tools, stop: async () => {} };
  }

  // Offline, no provider is even built: nothing could send a query.
  const provider: SearchProvider | undefined = config.offline ? undefined : createSearchProvider(config.search, gate);
  if (provider) {
    await provider.start();
    const search = provider;
    tools.search = { label: PROVIDER_LABELS[search.name], search: (query, options) => search.search(query, options) };
    tools.pages = new PageReader({ gate });
  } else if (config.offline) {
    tools.search = offlineSearch;
    unavailable.set("web_search", "web search is unavailable: Burrow is in offline mode (BURROW_OFFLINE=1 or `burrow start --offline`)");
    unavailable.set("read_page", "web pages are unavailable: Burrow is in offline mode (BURROW_OFFLINE=1 or `burrow start --offline`)");
  } else {
    unavailable.set("web_search", "web search is off (BURROW_SEARCH_PROVIDER=off)");
    unavailable.set("read_page", "web search is off (BURROW_SEARCH_PROVIDER=off), so there are no pages to read");
  }

  const sandbox = new Sandbox({ uid: config.sandbox.uid, timeoutMs: config.sandbox.timeoutSeconds * 1000 });
  const probe = await sandbox.probe().catch((error: unknown) => ({ available: false as const, reason: describeError(error), hint: "" }));
  if (probe.available) {
    tools.code = sandbox;
  } else {
    unavailable.set("run_code", `the code sandbox cannot run here: ${probe.reason}${probe.hint ? ` ${probe.hint}` : ""}`);
  }

  logger.info({ search: config.offline ? "offline" : (provider?.name ?? "off"), code: probe.available, unavailable: Object.fromEntries(unavailable) }, "agent tools ready");
  return {
    tools,
    stop: async () => {
      await provider?.stop();
    },
  };
}
