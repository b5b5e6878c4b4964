import type { SearchEndpoint } from "./search-endpoint.js";
import type { SearchOptions, SearchProvider, SearchProviderName, SearchResult } from "./search-provider.js";

/**
 * What every provider shares: one endpoint whose origin the egress gate allows between start() and
 * stop(). Providers differ only in how they ask and how they read the answer.
 */
export abstract class EndpointProvider implements SearchProvider {
  abstract readonly name: SearchProviderName;

  protected constructor(protected readonly endpoint: SearchEndpoint) {}

  get origin(): string {
    return this.endpoint.origin;
  }

  async start(): Promise<void> {
    this.endpoint.start();
  }

  async stop(): Promise<void> {
    this.endpoint.stop();
  }

  abstract search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
}
