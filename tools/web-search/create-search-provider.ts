import type { EgressGate } from "../../src/egress.js";
import { ConfigError } from "../../src/errors.js";
import { BraveProvider } from "./brave-provider.js";
import { DuckDuckGoProvider } from "./duckduckgo-provider.js";
import type { SearchProvider } from "./search-provider.js";
import { SearxngProvider } from "./searxng-provider.js";

/** The search part of Burrow's settings, named after the environment variables they come from. */
export interface SearchSettings {
  /** BURROW_SEARCH_PROVIDER. */
  readonly provider: "duckduckgo" | "searxng" | "brave" | "off";
  /** BURROW_SEARXNG_URL: the instance's root address. */
  readonly searxngUrl?: string;
  /** BURROW_BRAVE_API_KEY (or its _FILE). */
  readonly braveApiKey?: string;
  /** BURROW_SEARCH_URL: send the chosen provider's requests to this base URL instead (a mirror or proxy). */
  readonly baseUrl?: string;
  /** Whole-request time limit per search. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * The configured provider, not yet started (the caller owns its lifecycle: `start()` registers its origin
 * with the egress gate, `stop()` withdraws it), or undefined when search is off. Missing or malformed
 * settings throw a ConfigError naming the variable to set, before anything is contacted.
 */
export function createSearchProvider(settings: SearchSettings, gate: EgressGate): SearchProvider | undefined {
  const { timeoutMs } = settings;
  switch (settings.provider) {
    case "off":
      return undefined;
    case "duckduckgo":
      return new DuckDuckGoProvider({ gate, baseUrl: checkedUrl("BURROW_SEARCH_URL", settings.baseUrl), timeoutMs });
    case "searxng": {
      const baseUrl = settings.baseUrl !== undefined ? checkedUrl("BURROW_SEARCH_URL", settings.baseUrl) : checkedUrl("BURROW_SEARXNG_URL", settings.searxngUrl);
      if (baseUrl === undefined) {
        throw new ConfigError("BURROW_SEARXNG_URL", "BURROW_SEARCH_PROVIDER=searxng needs the address of your SearXNG instance.", {
          hint: "Set BURROW_SEARXNG_URL to its root address, e.g. http://localhost:8080 (with `json` enabled under `search.formats` in its settings.yml), or set BURROW_SEARCH_PROVIDER=duckduckgo.",
        });
      }
      return new SearxngProvider({ gate, baseUrl, timeoutMs });
    }
    case "brave": {
      const apiKey = settings.braveApiKey?.trim();
      if (!apiKey) {
        throw new ConfigError("BURROW_BRAVE_API_KEY", "BURROW_SEARCH_PROVIDER=brave needs a Brave Search API key.", {
          hint: "Set BURROW_BRAVE_API_KEY (or BURROW_BRAVE_API_KEY_FILE) to a key from https://api-dashboard.search.brave.com, or set BURROW_SEARCH_PROVIDER=duckduckgo.",
        });
      }
      return new BraveProvider({ gate, apiKey, baseUrl: checkedUrl("BURROW_SEARCH_URL", settings.baseUrl), timeoutMs });
    }
  }
}

/** `value` when it is an http(s) URL without credentials, undefined when unset or blank. */
function checkedUrl(setting: string, value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    throw new ConfigError(setting, `${setting} is not a usable address: ${JSON.stringify(text)}.`, {
      hint: `Set ${setting} to an http:// or https:// URL without a user name or password, e.g. http://localhost:8080.`,
    });
  }
  return text;
}
