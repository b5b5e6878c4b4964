import { describe, expect, it } from "vitest";
import { approximateTokens, fitToTokens, TRUNCATION_MARKER } from "../../tools/web-page/index.js";

const MARK = `\n\n${TRUNCATION_MARKER}`;
const sentence = (n: number): string => `Sentence ${n} is here.`;
const paragraph = (n: number): string => [0, 1, 2].map((s) => sentence(n * 3 + s)).join(" ");

describe("fitToTokens", () => {
  it("leaves text within the budget alone", () => {
    expect(fitToTokens("short text", 100)).toEqual({ text: "short text", truncated: false, tokens: 3 });
    const exact = "x".repeat(400);
    expect(fitToTokens(exact, 100)).toEqual({ text: exact, truncated: false, tokens: 100 });
  });

  it("cuts at a paragraph boundary and adds the marker, within budget", () => {
    const text = Array.from({ length: 20 }, (_, n) => paragraph(n)).join("\n\n");
    const fitted = fitToTokens(text, 100);
    expect(fitted.truncated).toBe(true);
    expect(fitted.tokens).toBeLessThanOrEqual(100);
    expect(fitted.tokens).toBe(approximateTokens(fitted.text));
    expect(fitted.text.endsWith(MARK)).toBe(true);
    const kept = fitted.text.slice(0, -MARK.length);
    expect(text.startsWith(`${kept}\n\n`)).toBe(true);
    // As many whole paragraphs as fit in 100 tokens less the marker's 4, i.e. 384 characters.
    const paragraphs = text.split("\n\n");
    let whole = 0;
    while (paragraphs.slice(0, whole + 1).join("\n\n").length <= 384) whole++;
    expect(kept.split("\n\n")).toHaveLength(whole);
  });

  it("cuts at a sentence end when the paragraph is too long to keep whole", () => {
    const text = Array.from({ length: 60 }, (_, n) => sentence(n)).join(" ");
    const fitted = fitToTokens(text, 50);
    const kept = fitted.text.slice(0, -MARK.length);
    expect(fitted.text.endsWith(MARK)).toBe(true);
    expect(kept).toMatch(/^Sentence 0 is here\..*Sentence \d+ is here\.$/);
    expect(text.startsWith(kept)).toBe(true);
    expect(fitted.tokens).toBeLessThanOrEqual(50);
  });

  it("does not throw away more than half of what fits to reach a boundary", () => {
    const text = `Short opening.\n\n${"word ".repeat(500)}`;
    const fitted = fitToTokens(text, 100);
    const kept = fitted.text.slice(0, -MARK.length);
    expect(kept.length).toBeGreaterThan(300);
    expect(kept.endsWith("word")).toBe(true);
  });

  it("cuts mid-word only when there is no boundary at all", () => {
    const fitted = fitToTokens("x".repeat(10_000), 10);
    // 10 tokens less 4 for the marker leaves 24 characters.
    expect(fitted.text).toBe(`${"x".repeat(24)}${MARK}`);
    expect(fitted.tokens).toBe(10);
  });

  it("marks text that was already cut upstream and drops its ragged tail", () => {
    const text = `${paragraph(0)}\n\n${paragraph(1)}\n\nSentence 6 is he`;
    const fitted = fitToTokens(text, 10_000, approximateTokens, true);
    expect(fitted).toEqual({ text: `${paragraph(0)}\n\n${paragraph(1)}${MARK}`, truncated: true, tokens: approximateTokens(fitted.text) });
  });

  it("works with any tokenizer, calling it on prefixes rather than the whole text each time", () => {
    const text = Array.from({ length: 5000 }, (_, n) => paragraph(n)).join("\n\n");
    const lengths: number[] = [];
    const words = (value: string): number => {
      lengths.push(value.length);
      return value.split(/\s+/).filter(Boolean).length;
    };
    const fitted = fitToTokens(text, 300, words);
    expect(fitted.tokens).toBe(words(fitted.text));
    expect(fitted.tokens).toBeLessThanOrEqual(300);
    expect(fitted.tokens).toBeGreaterThan(250);
    expect(fitted.text.endsWith(MARK)).toBe(true);
    // One count of the whole text up front; the search itself stays near the budget.
    expect(lengths.filter((length) => length === text.length)).toHaveLength(1);
    expect(lengths.length).toBeLessThan(40);
  });

  it("returns just the marker when the budget cannot hold anything else", () => {
    expect(fitToTokens("some text that is long enough", 2)).toEqual({ text: TRUNCATION_MARKER, truncated: true, tokens: 3 });
  });
});
