import type { ReviewFile } from "../../src/review-input.js";
import type { DiffHunk } from "../../src/unified-diff.js";

/**
 * Splits review input that does not fit the context window into parts that do: whole files first, then a
 * too-large diff file by hunk (a too-large hunk by line ranges), a too-large whole file by line ranges; pieces are then packed in order into
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
    const ofHunk = (hunk: DiffHunk): ReviewFile => ({ ...file, text: `${header}\n${hunk.text}`, hunks: [hunk], lines: new Set(hunk.newLines), wholeText: undefined });
    // A hunk too big on its own (a large new file is one hunk) is cut into smaller hunks by line ranges.
    return file.hunks.flatMap((hunk) => byHunkLines(hunk, (piece) => fits([ofHunk(piece)])).map(ofHunk));
  }
  return byLines(file, fits);
}

const HUNK_RANGES = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

/**
 * Halves a hunk's lines until each piece fits (or is one line). Each piece is a valid hunk of its own — its
 * header gives its own old and new start and counts — and keeps the hunk's index, so a finding that cites
 * "hunk N" still means the same hunk.
 */
function byHunkLines(hunk: DiffHunk, fits: (hunk: DiffHunk) => boolean): DiffHunk[] {
  const [headerLine, ...body] = hunk.text.split("\n");
  const ranges = HUNK_RANGES.exec(headerLine ?? "");
  if (!ranges || body.length <= 1 || fits(hunk)) return [hunk];
  const piece = (from: number, to: number): DiffHunk => {
    let oldLine = Number(ranges[1]);
    let newLine = Number(ranges[2]);
    for (const line of body.slice(0, from)) {
      if (line.startsWith("+")) newLine++;
      else if (line.startsWith("-")) oldLine++;
      else if (!line.startsWith("\\")) {
        oldLine++;
        newLine++;
      }
    }
    const [oldStart, newStart] = [oldLine, newLine];
    const newLines: number[] = [];
    const added = new Map<number, string>();
    for (const line of body.slice(from, to)) {
      if (line.startsWith("+")) {
        added.set(newLine, line.slice(1));
        newLines.push(newLine++);
      } else if (line.startsWith("-")) oldLine++;
      else if (!line.startsWith("\\")) {
        oldLine++;
        newLines.push(newLine++);
      }
    }
    const header = `@@ -${oldStart},${oldLine - oldStart} +${newStart},${newLine - newStart} @@${ranges[3] ?? ""}`;
    return { ...hunk, header, text: [header, ...body.slice(from, to)].join("\n"), newLines, added };
  };
  const half = Math.ceil(body.length / 2);
  return [...byHunkLines(piece(0, half), fits), ...byHunkLines(piece(half, body.length), fits)];
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
