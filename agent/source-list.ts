import type { Source } from "../src/contracts.js";

export interface SearchHit {
  readonly title: string;
  readonly url: string;
  readonly snippet: string;
}

export interface NumberedHit extends SearchHit {
  /** 1-based, stable for the whole job, so the answer can cite [n]. */
  readonly n: number;
}

/**
 * The search results one job has seen, numbered once across all its searches. It also answers "did this
 * URL appear in the results?", which is what the page reader's allowlist needs.
 */
export class SourceList {
  private readonly hits: NumberedHit[] = [];
  private readonly byUrl = new Map<string, NumberedHit>();

  /** Adds results; a URL seen in an earlier search keeps its number. */
  add(results: readonly SearchHit[]): NumberedHit[] {
    return results.map((result) => {
      const seen = this.byUrl.get(result.url);
      if (seen) return seen;
      const hit = { ...result, n: this.hits.length + 1 };
      this.hits.push(hit);
      this.byUrl.set(result.url, hit);
      return hit;
    });
  }

  get size(): number {
    return this.hits.length;
  }

  urls(): ReadonlySet<string> {
    return new Set(this.byUrl.keys());
  }

  /** The results the answer cites as [n] (also [1, 2] and [1][2]), in number order. */
  cited(answer: string): NumberedHit[] {
    const numbers = new Set<number>();
    for (const match of answer.matchAll(/\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g)) {
      for (const part of match[1]!.split(",")) numbers.add(Number(part.trim()));
    }
    return this.hits.filter((hit) => numbers.has(hit.n));
  }

  /**
   * The sources to show under an answer: the cited ones, or — when the model used search but cited
   * nothing — every result it saw, labelled as such so the user can still check.
   */
  sourcesFor(answer: string): { sources: Source[]; footer: string } {
    if (this.hits.length === 0) return { sources: [], footer: "" };
    const cited = this.cited(answer);
    const shown = cited.length > 0 ? cited : this.hits;
    const heading = cited.length > 0 ? "Sources:" : "Search results used (the answer cites none of them):";
    const lines = shown.map((hit) => `[${hit.n}] ${hit.title} — ${hit.url}`);
    return {
      sources: shown.map((hit) => ({ title: hit.title, url: hit.url })),
      footer: `\n\n${heading}\n${lines.join("\n")}`,
    };
  }
}
