import type { EgressGate } from "../../src/egress.js";
import { Sandbox } from "../../tools/code-exec/index.js";
import { PageReader, type AddressPolicy } from "../../tools/web-page/index.js";
import { SearxngProvider } from "../../tools/web-search/index.js";
import type { AgentTools, ToolName } from "../tool-ports.js";
import { LocalWeb } from "./local-web.js";

/**
 * The agent's real tools, pointed at the evaluation's local web: the SearXNG client asks the local
 * engine through the egress gate (which allows that one loopback origin for search and pages), and the
 * page reader may connect to exactly that origin's address — everything else stays refused, so a task
 * cannot reach the internet. Code runs in the real sandbox, which also grades the answers.
 */
export interface EvalToolSet {
  readonly tools: AgentTools;
  readonly web: LocalWeb;
  readonly sandbox: Sandbox;
  stop(): Promise<void>;
}

export interface EvalToolOptions {
  readonly gate: EgressGate;
  readonly sandboxUid: number;
  readonly codeTimeoutMs: number;
}

export async function openEvalTools(options: EvalToolOptions): Promise<EvalToolSet> {
  const web = new LocalWeb();
  const origin = await web.start();
  const { gate } = options;
  const search = new SearxngProvider({ gate, baseUrl: origin });
  await search.start();
  const releasePages = gate.allowOrigins("page", [origin]);
  const host = new URL(origin).hostname;
  const addressPolicy: AddressPolicy = (ip) => (ip === host ? true : `${ip} is not the evaluation's local page server (${host})`);
  const sandbox = new Sandbox({ uid: options.sandboxUid, timeoutMs: options.codeTimeoutMs });
  const unavailable = new Map<ToolName, string>();
  const probe = await sandbox.probe();
  if (!probe.available) unavailable.set("run_code", `the code sandbox cannot run here: ${probe.reason}${probe.hint ? ` ${probe.hint}` : ""}`);
  const tools: AgentTools = {
    search: { label: "the evaluation's search engine", search: (query, searchOptions) => search.search(query, searchOptions) },
    pages: new PageReader({ gate, addressPolicy }),
    code: probe.available ? sandbox : undefined,
    unavailable,
  };
  return {
    tools,
    web,
    sandbox,
    stop: async () => {
      releasePages();
      await search.stop();
      await web.stop();
    },
  };
}
