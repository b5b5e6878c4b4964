import type { Config } from "../src/config.js";
import type { EgressGate } from "../src/egress.js";
import type { Logger } from "../src/log.js";
import type { AgentTools, ToolName } from "./tool-ports.js";

/** The agent's tools for a configuration, with one stop() for all of them. */
export interface AgentToolSet {
  readonly tools: AgentTools;
  stop(): Promise<void>;
}

export async function openAgentTools(config: Config, gate: EgressGate, logger: Logger): Promise<AgentToolSet> {
  void config;
  void gate;
  const unavailable = new Map<ToolName, string>();
  logger.info({ unavailable: Object.fromEntries(unavailable) }, "agent tools ready");
  return { tools: { unavailable }, stop: async () => {} };
}
