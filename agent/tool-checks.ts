import type { Config } from "../src/config.js";
import type { Check, CheckResult } from "../src/doctor.js";
import { describeError } from "../src/errors.js";
import { probeSandbox } from "../tools/code-exec/index.js";
import { PROVIDER_LABELS } from "../tools/web-search/index.js";

/** `burrow doctor` checks for the agent's tools. They send nothing over the network. */
export function toolChecks(config: Config): Check[] {
  return [() => checkSandbox(config), () => checkSearch(config)];
}

async function checkSandbox(config: Config): Promise<CheckResult> {
  const name = "Code sandbox";
  if (config.agent.maxToolSteps === 0) return { name, status: "ok", detail: "off (BURROW_MAX_TOOL_STEPS=0)" };
  const probe = await probeSandbox({ uid: config.sandbox.uid });
  if (!probe.available) {
    // Burrow runs without it: the agent says it cannot run code, and never runs it unsandboxed.
    return { name, status: "warn", detail: `code cannot be run: ${probe.reason}`, fix: probe.hint };
  }
  const languages = Object.entries(probe.languages).map(([language, state]) => (state.available ? language : `${language} off (${state.reason})`));
  return { name, status: "ok", detail: `bubblewrap ${probe.bwrapVersion}, runs as uid ${config.sandbox.uid}: ${languages.join(", ")}` };
}

function checkSearch(config: Config): CheckResult {
  const name = "Web search";
  const { provider, searxngUrl, braveApiKey, baseUrl } = config.search;
  if (config.agent.maxToolSteps === 0 || provider === "off") return { name, status: "ok", detail: "off: nothing leaves this machine" };
  if (provider === "searxng" && !searxngUrl) {
    return { name, status: "fail", detail: "BURROW_SEARCH_PROVIDER=searxng but BURROW_SEARXNG_URL is not set", fix: "Set BURROW_SEARXNG_URL to your SearXNG instance (e.g. http://localhost:8080)." };
  }
  if (provider === "brave" && !braveApiKey) {
    return { name, status: "fail", detail: "BURROW_SEARCH_PROVIDER=brave but no API key is set", fix: "Set BURROW_BRAVE_API_KEY or BURROW_BRAVE_API_KEY_FILE." };
  }
  try {
    const where = baseUrl ?? (provider === "searxng" ? searxngUrl : provider === "brave" ? "https://api.search.brave.com" : "https://html.duckduckgo.com");
    return { name, status: "ok", detail: `${PROVIDER_LABELS[provider]} at ${new URL(where!).origin}: only search queries are sent there` };
  } catch (error) {
    return { name, status: "fail", detail: describeError(error) };
  }
}
