import { describe, expect, it } from "vitest";
import { SourceList } from "../../agent/source-list.js";

const hit = (n: number) => ({ title: `Title ${n}`, url: `https://example.org/${n}`, snippet: `snippet ${n}` });

describe("SourceList", () => {
  it("numbers results across searches and keeps a repeated URL's number", () => {
    const list = new SourceList();
    expect(list.add([hit(1), hit(2)]).map((h) => h.n)).toEqual([1, 2]);
    expect(list.add([hit(2), hit(3)]).map((h) => h.n)).toEqual([2, 3]);
    expect([...list.urls()]).toEqual(["https://example.org/1", "https://example.org/2", "https://example.org/3"]);
  });

  it("lists only the cited results, in number order, for [n], [n, m] and [n][m]", () => {
    const list = new SourceList();
    list.add([hit(1), hit(2), hit(3), hit(4)]);
    expect(list.cited("A [3] and B [1, 2].").map((h) => h.n)).toEqual([1, 2, 3]);
    expect(list.cited("C [4][2]").map((h) => h.n)).toEqual([2, 4]);
    const { sources, footer } = list.sourcesFor("Per [2], yes.");
    expect(sources).toEqual([{ title: "Title 2", url: "https://example.org/2" }]);
    expect(footer).toBe("\n\nSources:\n[2] Title 2 — https://example.org/2");
  });

  it("ignores numbers that match no result, and shows every result when none is cited", () => {
    const list = new SourceList();
    list.add([hit(1)]);
    expect(list.cited("See [7].")).toEqual([]);
    const { sources, footer } = list.sourcesFor("No citation here.");
    expect(sources).toHaveLength(1);
    expect(footer).toContain("Search results used (the answer cites none of them):\n[1] Title 1 — https://example.org/1");
  });

  it("adds nothing when no search ran", () => {
    expect(new SourceList().sourcesFor("[1]")).toEqual({ sources: [], footer: "" });
  });
});
