import { describe, expect, it } from "vitest";
import { stripThoughts, ThoughtFilter } from "../../agent/thought-filter.js";

function run(chunks: string[]): { answer: string; thought: string } {
  const filter = new ThoughtFilter();
  let answer = "";
  let thought = "";
  for (const chunk of [...chunks.map((c) => filter.push(c)), filter.flush()]) {
    answer += chunk.answer;
    thought += chunk.thought;
  }
  return { answer, thought };
}

describe("ThoughtFilter", () => {
  it("separates a thought from the answer when tags arrive whole", () => {
    expect(run(["<think>plan it</think>The answer."])).toEqual({ answer: "The answer.", thought: "plan it" });
  });

  it("handles tags split across chunks at every position", () => {
    const text = "Hi <think>step one, step two</think> done <b>bold</b>";
    for (let size = 1; size <= 7; size++) {
      const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, "g"))!;
      expect(run(chunks), `chunk size ${size}`).toEqual({ answer: "Hi  done <b>bold</b>", thought: "step one, step two" });
    }
  });

  it("passes text that only looks like the start of a tag", () => {
    expect(run(["a <", "thing> b <thin"])).toEqual({ answer: "a <thing> b <thin", thought: "" });
  });

  it("hides everything after an unclosed thought", () => {
    expect(run(["Sure. <think>never closed"])).toEqual({ answer: "Sure. ", thought: "never closed" });
    expect(stripThoughts("<think>x</think>\n\nAnswer")).toBe("Answer");
  });
});
