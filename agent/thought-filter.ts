/**
 * Hides a model's reasoning from the streamed answer. Thinking models (Qwen3) mark thoughts with special
 * tokens that node-llama-cpp already separates; models without them (Qwen2.5) are asked to write their
 * plan inside <think>…</think> as plain text, and this filter takes it out of the stream, so the user
 * only sees that the model is thinking.
 */
const OPEN = "<think>";
const CLOSE = "</think>";

export interface FilteredChunk {
  /** Text that belongs to the answer. */
  readonly answer: string;
  /** Text that was inside a thought. */
  readonly thought: string;
}

export class ThoughtFilter {
  private inThought = false;
  /** A tail that might be the start of a tag split across chunks ("<thi"). */
  private pending = "";

  push(text: string): FilteredChunk {
    let input = this.pending + text;
    this.pending = "";
    let answer = "";
    let thought = "";
    while (input !== "") {
      const tag = this.inThought ? CLOSE : OPEN;
      const at = input.indexOf(tag);
      if (at >= 0) {
        if (this.inThought) thought += input.slice(0, at);
        else answer += input.slice(0, at);
        input = input.slice(at + tag.length);
        this.inThought = !this.inThought;
        continue;
      }
      const keep = partialTagLength(input, tag);
      const settled = input.slice(0, input.length - keep);
      if (this.inThought) thought += settled;
      else answer += settled;
      this.pending = input.slice(input.length - keep);
      input = "";
    }
    return { answer, thought };
  }

  /** The end of the stream: a held-back partial tag was just text after all. */
  flush(): FilteredChunk {
    const rest = this.pending;
    this.pending = "";
    return this.inThought ? { answer: "", thought: rest } : { answer: rest, thought: "" };
  }
}

/** The answer without any <think>…</think> sections (an unclosed one hides the rest). */
export function stripThoughts(text: string): string {
  const filter = new ThoughtFilter();
  const { answer } = filter.push(text);
  return (answer + filter.flush().answer).replace(/^\s+/, "");
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagLength(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (tag.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}
