import type { MessageEntity } from "grammy/types";

/**
 * Markdown as answers and reviews are written → Telegram text plus entities. Entities are sent instead of a
 * parse mode on purpose: Telegram never parses the model's output, so nothing in it can inject formatting,
 * and malformed Markdown (an answer still streaming, a stray `*`) cannot make a message fail — it just
 * stays as written.
 *
 * Understood: fenced code blocks (``` with an optional language → pre), `inline code`, **bold** and
 * __bold__, # headings (bold), and _italic_ / *italic* when the markers wrap whole words (so snake_case and
 * 2*3*4 stay as they are). Links stay as written: the model's output is untrusted, and a link's visible
 * text must not hide where it goes.
 */

export interface TelegramText {
  readonly text: string;
  readonly entities: MessageEntity[];
}

const FENCE = /^\s*```\s*([\w+#.-]*)\s*$/;
/** A heading; closing hashes count only after a space ("## Using C#" keeps its #). */
const HEADING = /^#{1,6}\s+(.+?)(?:\s+#+)?\s*$/;
/**
 * Inline spans, leftmost first: code, bold (** or __), italic (* or _). Markers must stand outside words
 * (and an underscore one before a file extension), so x**2 + y**2, __init__.py, snake_case and 2*3*4 stay
 * as written.
 */
const INLINE = /`([^`\n]+)`|(?<![\w*])\*\*(?=[^\s*])([^*\n]*?[^\s*])\*\*(?![\w*])|(?<![\w_])__(?=[^\s_])([^_\n]*?[^\s_])__(?![\w_]|\.\w)|(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w_]|\.\w)/g;

class Builder {
  text = "";
  readonly entities: MessageEntity[] = [];

  /** Appends `content`, formatted as `type` when it is not empty (offsets count UTF-16 units, as Telegram's do). */
  add(content: string, type?: "bold" | "italic" | "code" | "pre", language?: string): void {
    if (type && content.length > 0) {
      const entity = { type, offset: this.text.length, length: content.length } as MessageEntity;
      this.entities.push(type === "pre" && language ? ({ ...entity, language } as MessageEntity) : entity);
    }
    this.text += content;
  }
}

export function markdownToTelegram(markdown: string): TelegramText {
  const out = new Builder();
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out.add("\n");
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      // The block runs to the closing fence, or to the end while an answer is still being written.
      let end = i + 1;
      while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
      out.add(lines.slice(i + 1, end).join("\n"), "pre", fence[1] || undefined);
      i = end;
      continue;
    }
    const heading = HEADING.exec(line);
    // Bold cannot contain code in Telegram: a heading with `code` keeps its inline formatting instead.
    if (heading && !heading[1]!.includes("`")) out.add(heading[1]!.replace(/\*\*|__/g, ""), "bold");
    else addInline(out, line);
  }
  return { text: out.text, entities: out.entities };
}

function addInline(out: Builder, line: string): void {
  let last = 0;
  for (const match of line.matchAll(INLINE)) {
    out.add(line.slice(last, match.index));
    const [, code, bold1, bold2, italic1, italic2] = match;
    const bold = bold1 ?? bold2;
    const italic = italic1 ?? italic2;
    if (code !== undefined) out.add(code, "code");
    // Bold or italic around code would nest code inside them, which Telegram refuses: keep those as written.
    else if (bold !== undefined) out.add(bold.includes("`") ? match[0] : bold, bold.includes("`") ? undefined : "bold");
    else if (italic !== undefined) out.add(italic.includes("`") ? match[0] : italic, italic.includes("`") ? undefined : "italic");
    last = match.index + match[0].length;
  }
  out.add(line.slice(last));
}
