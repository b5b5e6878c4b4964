import { describe, expect, it } from "vitest";
import { MIN_SPLIT_LIMIT, openFenceAtEnd, splitMessage, splitMessageParts } from "../../bots/render/split-message.js";

/**
 * Property tests of the splitter. fast-check is not a dependency of this project, so the cases come from a
 * small seeded generator (mulberry32): thousands of random texts built from the pieces that break
 * splitters (fences with and without a language, longer fences, fence-like text mid-line, emoji,
 * long words, runs of spaces and newlines). A failure prints its seed and case number.
 */

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES: readonly ((r: () => number) => string)[] = [
  () => "word",
  () => " ",
  () => "\n",
  () => "\n\n",
  () => "\n```\n",
  () => "\n```ts\n",
  () => "\n```python extra info\n",
  () => "\n````md\n",
  () => "\n````\n",
  () => "\n  ```\n",
  () => " ``` not a fence ``` ",
  () => "a    ```x",
  () => "`inline`",
  () => "😀",
  () => "👩‍💻",
  () => "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  (r) => "x".repeat(1 + Math.floor(r() * 120)),
  (r) => " ".repeat(1 + Math.floor(r() * 40)),
  (r) => "\n".repeat(1 + Math.floor(r() * 5)),
  (r) => "😀".repeat(1 + Math.floor(r() * 60)),
  (r) => `const value${Math.floor(r() * 100)} = ${Math.floor(r() * 1e6)};`,
  () => "é",
];

function randomText(r: () => number, maxPieces: number): string {
  const count = Math.floor(r() * maxPieces);
  let text = "";
  for (let i = 0; i < count; i++) text += PIECES[Math.floor(r() * PIECES.length)]!(r);
  return text;
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Every property the splitter promises, for one text and limit. */
function checkSplit(text: string, limit: number): void {
  const parts = splitMessageParts(text, limit);
  const chunks = splitMessage(text, limit);
  expect(chunks).toEqual(parts.map((p) => p.prefix + p.body + p.suffix));
  // Complete and in order: the bodies are the text.
  expect(parts.map((p) => p.body).join("")).toBe(text);
  let position = 0;
  for (const [index, part] of parts.entries()) {
    const chunk = chunks[index]!;
    expect(part.body.length).toBeGreaterThan(0);
    expect(chunk.length).toBeLessThanOrEqual(limit);
    // No surrogate pair is split at a cut.
    if (position > 0) expect(isHigh(text.charCodeAt(position - 1)) && isLow(text.charCodeAt(position))).toBe(false);
    // Each message renders on its own: every fence it opens is closed.
    expect(openFenceAtEnd(chunk)).toBeUndefined();
    // A chunk reopens exactly the fence that is open at that point of the original text.
    const open = openFenceAtEnd(text.slice(0, position));
    expect(part.prefix).toBe(open ? `${"`".repeat(open.ticks)}${open.info}\n` : "");
    // The added lines are fence lines and nothing else.
    expect(part.prefix).toMatch(/^(`{3,}[^`\n]*\n)?$/);
    expect(part.suffix).toMatch(/^\n?(`{3,})?$/);
    position += part.body.length;
  }
}

describe("splitMessage", () => {
  it("keeps short text in one message and gives no message for no text", () => {
    expect(splitMessage("hello", 100)).toEqual(["hello"]);
    expect(splitMessage("", 100)).toEqual([]);
    expect(splitMessage("x".repeat(100), 100)).toEqual(["x".repeat(100)]);
  });

  it("cuts after a newline first, then after a space, then hard", () => {
    const lines = `${"a".repeat(20)} ${"b".repeat(10)}\n${"c".repeat(30)}`;
    expect(splitMessage(lines, 40)).toEqual([`${"a".repeat(20)} ${"b".repeat(10)}\n`, "c".repeat(30)]);
    const words = `${"a".repeat(30)} ${"b".repeat(30)}`;
    expect(splitMessage(words, 40)).toEqual([`${"a".repeat(30)} `, "b".repeat(30)]);
    expect(splitMessage("x".repeat(90), 40)).toEqual(["x".repeat(40), "x".repeat(40), "x".repeat(10)]);
  });

  it("never splits a surrogate pair", () => {
    const emoji = "😀".repeat(40); // 80 code units
    const chunks = splitMessage(`a${emoji}`, 40);
    expect(chunks.join("")).toBe(`a${emoji}`);
    expect(chunks[0]).toBe(`a${"😀".repeat(19)}`);
    for (const chunk of chunks) expect(chunk).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it("closes a code fence at the end of a chunk and reopens it with its language in the next", () => {
    const code = Array.from({ length: 12 }, (_, i) => `let v${i} = ${i};`).join("\n");
    const text = `Here:\n\`\`\`ts\n${code}\n\`\`\`\nDone.`;
    const chunks = splitMessage(text, 80);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]).toMatch(/^Here:\n```ts\n[^]*\n```$/);
    for (const chunk of chunks.slice(1, -1)) expect(chunk).toMatch(/^```ts\n[^]*\n```$/);
    expect(chunks.at(-1)).toMatch(/^```ts\n[^]*```\nDone\.$/);
    checkSplit(text, 80);
  });

  it("closes a fence the text left open (an answer cut off by its budget)", () => {
    expect(splitMessage("```js\nconsole.log(1)", 100)).toEqual(["```js\nconsole.log(1)\n```"]);
  });

  it("keeps a longer fence's backticks, so inner ``` lines stay content", () => {
    const text = `\`\`\`\`md\n${"```\ninner\n```\n".repeat(8)}\`\`\`\`\nafter`;
    const chunks = splitMessage(text, 50);
    for (const chunk of chunks.slice(1)) if (chunk.startsWith("`")) expect(chunk.startsWith("````md\n")).toBe(true);
    checkSplit(text, 50);
  });

  it("refuses a limit too small to hold a fence", () => {
    expect(() => splitMessage("text", MIN_SPLIT_LIMIT - 1)).toThrow(RangeError);
  });

  it("splits a 10,000-character answer with code into Telegram and Discord messages, complete and balanced", () => {
    const r = mulberry32(10_000);
    let text = "";
    while (text.length < 10_000) {
      text += `Paragraph ${text.length}: ${randomText(r, 8).replace(/`/g, "'")}\n\n`;
      text += `\`\`\`python\n${Array.from({ length: 1 + Math.floor(r() * 40) }, (_, i) => `print(${i}, "😀")`).join("\n")}\n\`\`\`\n`;
    }
    text = text.slice(0, 10_000);
    for (const limit of [4096, 2000]) {
      checkSplit(text, limit);
      expect(splitMessage(text, limit).length).toBeGreaterThanOrEqual(Math.ceil(10_000 / limit));
    }
  });

  it("holds every property on 4,000 random texts and limits (seeded)", () => {
    const seed = 20_240_607;
    const r = mulberry32(seed);
    for (let i = 0; i < 4000; i++) {
      const text = randomText(r, 60);
      const limit = MIN_SPLIT_LIMIT + Math.floor(r() * 200);
      try {
        checkSplit(text, limit);
      } catch (error) {
        throw new Error(`seed ${seed}, case ${i}, limit ${limit}, text ${JSON.stringify(text)}: ${(error as Error).message}`);
      }
    }
  });

  it("prefers the last newline and otherwise the last space, for text without fences", () => {
    const r = mulberry32(7);
    for (let i = 0; i < 1000; i++) {
      const text = randomText(r, 40).replace(/`/g, "'");
      const limit = MIN_SPLIT_LIMIT + Math.floor(r() * 100);
      const chunks = splitMessage(text, limit);
      for (const chunk of chunks.slice(0, -1)) {
        if (!chunk.endsWith("\n")) expect(chunk).not.toContain("\n");
        if (!chunk.endsWith("\n") && !chunk.endsWith(" ")) {
          expect(chunk).not.toMatch(/[\n ]/);
          expect(chunk.length).toBeGreaterThanOrEqual(limit - 1);
        }
      }
    }
  });
});
