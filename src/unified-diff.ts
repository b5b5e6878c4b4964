/**
 * A unified diff (git's or plain `diff -u`), split into files and hunks. Only what a review needs: each
 * file's path, its hunks, and which lines of the new version each hunk shows (a finding may only cite those).
 */

export interface DiffHunk {
  /** 1-based, within its file. */
  readonly index: number;
  /** The `@@ -a,b +c,d @@` line. */
  readonly header: string;
  /** The hunk as it appears in the diff, header included. */
  readonly text: string;
  /** Line numbers of the new version the hunk shows (added and context lines). */
  readonly newLines: readonly number[];
  /** Added lines, by new line number. */
  readonly added: ReadonlyMap<number, string>;
}

export interface DiffFile {
  /** The new path (the old one for a deleted file), without git's `a/` / `b/` prefixes. */
  readonly path: string;
  /** The header lines before the first hunk (`diff --git`, `index`, `---`, `+++`). */
  readonly header: string;
  readonly hunks: readonly DiffHunk[];
  /** Created by the diff: its added lines are the whole new file. */
  readonly created: boolean;
  readonly deleted: boolean;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Whether the text holds a unified diff: a `---`/`+++` pair followed by a hunk header. */
export function looksLikeDiff(text: string): boolean {
  return /^--- .*\n\+\+\+ .*\n@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/m.test(text);
}

/** The files of a unified diff; text outside files (a commit message, `git format-patch` mail headers) is skipped. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const files: DiffFile[] = [];
  let i = 0;
  while (i < lines.length) {
    const headerStart = i;
    // A file starts at `diff --git` (optional) then `--- old` and `+++ new`.
    if (lines[i]!.startsWith("diff --git ")) i++;
    while (i < lines.length && !lines[i]!.startsWith("--- ") && !lines[i]!.startsWith("diff --git ") && /^(index |old mode|new mode|deleted file|new file|similarity|rename |copy |Binary files)/.test(lines[i]!)) i++;
    if (!(lines[i]?.startsWith("--- ") && lines[i + 1]?.startsWith("+++ "))) {
      i = Math.max(i, headerStart + 1);
      continue;
    }
    const oldPath = pathOf(lines[i]!.slice(4));
    const newPath = pathOf(lines[i + 1]!.slice(4));
    i += 2;
    const header = lines.slice(headerStart, i).join("\n");
    const hunks: DiffHunk[] = [];
    while (i < lines.length) {
      const match = HUNK_HEADER.exec(lines[i]!);
      if (!match) break;
      const hunkStart = i;
      let oldLeft = match[2] === undefined ? 1 : Number(match[2]);
      let newLeft = match[4] === undefined ? 1 : Number(match[4]);
      let newLine = Number(match[3]);
      const newLines: number[] = [];
      const added = new Map<number, string>();
      i++;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0 || lines[i]!.startsWith("\\"))) {
        const line = lines[i]!;
        // Counts too large (a hand-edited or model-written diff) must not swallow the next file's header.
        if (line.startsWith("--- ") && lines[i + 1]?.startsWith("+++ ") && HUNK_HEADER.test(lines[i + 2] ?? "")) break;
        const mark = line[0];
        if (mark === "\\") {
          i++;
          continue;
        }
        if (mark === "+") {
          added.set(newLine, line.slice(1));
          newLines.push(newLine++);
          newLeft--;
        } else if (mark === "-") {
          oldLeft--;
        } else if (mark === " " || line === "") {
          newLines.push(newLine++);
          newLeft--;
          oldLeft--;
        } else {
          break;
        }
        i++;
      }
      hunks.push({ index: hunks.length + 1, header: lines[hunkStart]!, text: lines.slice(hunkStart, i).join("\n"), newLines, added });
    }
    const deleted = newPath === "/dev/null";
    files.push({ path: deleted ? oldPath : newPath, header, hunks, created: oldPath === "/dev/null", deleted });
  }
  return files;
}

function pathOf(field: string): string {
  // Plain diff -u puts a tab and a timestamp after the name; git quotes names with special characters.
  let path = field.split("\t")[0]!.trim();
  if (path.startsWith('"') && path.endsWith('"')) path = path.slice(1, -1);
  if (path === "/dev/null") return path;
  return path.replace(/^[ab]\//, "");
}
