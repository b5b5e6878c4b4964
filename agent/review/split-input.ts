import type { ReviewFile } from "../../src/review-input.js";

/**
 * Splits review input that does not fit the context window into parts that do: whole files first, then a
 * too-large diff file by hunk, a too-large whole file by line ranges; pieces are then packed in order into
 * as few parts as fit. `fits` says whether a part's message (with the shared system prefix and the answer's
 * token budget) fits the context.
 */
export function splitForContext(files: readonly ReviewFile[], fits: (files: readonly ReviewFile[]) => boolean): ReviewFile[][] {
  if (fits(files)) return [[...files]];
  const pieces = files.flatMap((file) => (fits([file]) ? [file] : explode(file, fits)));
  const parts: ReviewFile[][] = [];
  let current: ReviewFile[] = [];
  for (const piece of pieces) {
    if (current.length > 0 && !fits([...current, piece])) {
      parts.push(current);
      current = [];
    }
    current.push(piece);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function explode(file: ReviewFile, fits: (files: readonly ReviewFile[]) => boolean): ReviewFile[] {
  if (file.source === "diff") {
    const header = file.text.slice(0, Math.max(0, file.text.indexOf("\n@@")));
    return file.hunks.map((hunk) => ({ ...file, text: `${header}\n${hunk.text}`, hunks: [hunk], lines: new Set(hunk.newLines), wholeText: undefined }));
  }
  return byLines(file, fits);
}

/** Halves a whole file's lines until each piece fits (or is a single line). */
function byLines(file: ReviewFile, fits: (files: readonly ReviewFile[]) => boolean): ReviewFile[] {
  const lines = file.text.replace(/\n$/, "").split("\n");
  if (lines.length <= 1 || fits([file])) return [file];
  const half = Math.ceil(lines.length / 2);
  const piece = (from: number, to: number): ReviewFile => {
    const firstLine = file.firstLine + from;
    return { ...file, text: `${lines.slice(from, to).join("\n")}\n`, firstLine, lines: new Set(Array.from({ length: to - from }, (_, i) => firstLine + i)), wholeText: undefined };
  };
  return [...byLines(piece(0, half), fits), ...byLines(piece(half, lines.length), fits)];
}
