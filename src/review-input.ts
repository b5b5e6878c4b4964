import type { Attachment } from "./contracts.js";
import { languageOfFence, languageOfPath, languageOfText } from "./code-language.js";
import { RequestError } from "./errors.js";
import { looksLikeDiff, parseUnifiedDiff, type DiffHunk } from "./unified-diff.js";

/**
 * What a review request holds: unified diffs, whole files, or code blocks, each with its language and the
 * lines a finding may cite. Parsed where every front end's request passes (the producer refuses bad input
 * before anything is queued) and again by the review agent.
 */

/** Most characters of code one review takes (≈30k tokens: about an hour of prompt reading for a 7B on 2 cores). */
export const MAX_REVIEW_CHARS = 100_000;

/** File names that are archives or binaries by their extension: refused without looking further. */
const ARCHIVE_EXTENSIONS = /\.(zip|jar|war|whl|egg|tar|tgz|tbz2?|txz|gz|bz2|xz|zst|7z|rar|apk|deb|rpm|dmg|iso|exe|dll|so|dylib|o|a|class|pyc|wasm|bin|png|jpe?g|gif|webp|pdf)$/i;

export type ReviewFileSource = "diff" | "file" | "code-block";

export interface ReviewFile {
  /** The path (diff, attachment) or a made-up name for a code block (`snippet-1.py`). */
  readonly path: string;
  readonly language: string | undefined;
  readonly source: ReviewFileSource;
  /** What the model is shown: the file's diff, or its text. */
  readonly text: string;
  /** The line number of the first line of `text` (above 1 for the later pieces of a file split to fit the context). */
  readonly firstLine: number;
  /** Lines a finding may cite: every line of a file or block, the new-side lines a diff's hunks show. */
  readonly lines: ReadonlySet<number>;
  /** A diff's hunks (empty for whole files and blocks). */
  readonly hunks: readonly DiffHunk[];
  /** The whole new text when it is known (whole files, blocks, files a diff creates): can be syntax-checked. */
  readonly wholeText: string | undefined;
}

export interface ReviewInput {
  readonly kind: "diff" | "files" | "code-block" | "mixed";
  readonly files: readonly ReviewFile[];
  /** What the user asked besides the code (a focus), or "" when the text was the code. */
  readonly instructions: string;
  /** Characters of code in total. */
  readonly chars: number;
}

/** Why bytes (a file the terminal or a bot read) cannot be reviewed, or undefined when they are text. */
export function binaryReason(name: string, bytes: Uint8Array): string | undefined {
  if (ARCHIVE_EXTENSIONS.test(name)) return `${name} is an archive or binary file (by its name); send the source files or a diff instead`;
  const magic = archiveMagic(bytes);
  if (magic) return `${name} is a ${magic}, not source code; unpack it and send the files or a diff`;
  if (bytes.includes(0)) return `${name} is a binary file (it holds NUL bytes); I review text: source files, diffs, code blocks`;
  return undefined;
}

function archiveMagic(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]): boolean => sig.every((byte, i) => bytes[i] === byte);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return "zip archive";
  if (starts(0x1f, 0x8b)) return "gzip archive";
  if (starts(0x37, 0x7a, 0xbc, 0xaf)) return "7z archive";
  if (starts(0x52, 0x61, 0x72, 0x21)) return "rar archive";
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a)) return "xz archive";
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return "compiled program (ELF)";
  if (bytes.length > 262 && String.fromCharCode(...bytes.slice(257, 262)) === "ustar") return "tar archive";
  return undefined;
}

/** Text that came through a front end already decoded: binary shows as control characters. */
function textBinaryReason(name: string, text: string): string | undefined {
  if (ARCHIVE_EXTENSIONS.test(name)) return binaryReason(name, new Uint8Array());
  if (text.startsWith("PK\u0003\u0004")) return `${name} is a zip archive, not source code; unpack it and send the files or a diff`;
  // eslint-disable-next-line no-control-regex
  const controls = text.match(/[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/g)?.length ?? 0;
  if (controls > 0 && controls > text.length / 1000) return `${name} looks binary (it holds control characters); I review text: source files, diffs, code blocks`;
  return undefined;
}

const FENCE = /^```([\w+#.-]*)[^\n]*\n([\s\S]*?)^```\s*$/gm;

/** Parses a review request; throws a RequestError that says what to do when it cannot be reviewed. */
export function parseReviewInput(rawText: string, rawAttachments: readonly Pick<Attachment, "name" | "text">[]): ReviewInput {
  // CRLF input (Windows editors, some patch tools) reads like LF: diff headers and line numbers depend on it.
  const text = rawText.replace(/\r\n?/g, "\n");
  const attachments = rawAttachments.map((attachment) => ({ ...attachment, text: attachment.text.replace(/\r\n?/g, "\n") }));
  const files: ReviewFile[] = [];
  const kinds = new Set<ReviewFileSource>();
  const add = (file: ReviewFile): void => {
    files.push(file);
    kinds.add(file.source);
  };
  for (const attachment of attachments) {
    const refused = textBinaryReason(attachment.name, attachment.text);
    if (refused) throw refusal(`${refused}.`);
    if (looksLikeDiff(attachment.text)) for (const file of diffFiles(attachment.text)) add(file);
    else if (attachment.text.trim() !== "") add(wholeFile(attachment.name, languageOfPath(attachment.name) ?? languageOfText(attachment.text), "file", attachment.text));
  }
  let instructions = text.trim();
  const refused = textBinaryReason("The message", text);
  if (refused) throw refusal(`${refused}.`);
  const blocks = [...text.matchAll(FENCE)];
  if (blocks.length > 0) {
    blocks.forEach((block, n) => {
      const body = block[2] ?? "";
      if (looksLikeDiff(body)) for (const file of diffFiles(body)) add(file);
      else {
        const language = languageOfFence(block[1] ?? "") ?? languageOfText(body);
        add(wholeFile(`snippet-${n + 1}${extensionOf(language)}`, language, "code-block", body));
      }
    });
    instructions = text.replace(FENCE, "").trim();
  } else if (looksLikeDiff(text)) {
    const start = text.search(/^(diff --git |--- )/m);
    for (const file of diffFiles(text)) add(file);
    instructions = start > 0 ? text.slice(0, start).trim() : "";
  } else if (attachments.length === 0) {
    // `/review def f(): ...`: the message is the code.
    const language = languageOfText(text);
    add(wholeFile(`snippet-1${extensionOf(language)}`, language, "code-block", text));
    instructions = "";
  }
  if (files.length === 0) {
    throw refusal("There is no code to review: the diff has no hunks, or no file or code block came with the request.", "Send a unified diff (e.g. `git diff`), source files, or code in a ``` block.");
  }
  const chars = files.reduce((sum, file) => sum + file.text.length, 0);
  if (chars > MAX_REVIEW_CHARS) {
    throw refusal(
      `The code to review is ${chars.toLocaleString("en-US")} characters; a review takes at most ${MAX_REVIEW_CHARS.toLocaleString("en-US")}.`,
      "Nothing was queued. Send a smaller diff (e.g. one directory: `git diff -- src/`) or fewer files.",
    );
  }
  const kind = kinds.size > 1 ? "mixed" : kinds.has("diff") ? "diff" : kinds.has("file") ? "files" : "code-block";
  return { kind, files, instructions, chars };
}

function refusal(message: string, hint = "Nothing was queued. Send source files, a unified diff or a code block."): RequestError {
  return new RequestError(`The review was refused: ${message}`, { hint });
}

function diffFiles(text: string): ReviewFile[] {
  return parseUnifiedDiff(text)
    .filter((file) => file.hunks.length > 0)
    .map((file) => {
      const lines = new Set(file.hunks.flatMap((hunk) => hunk.newLines));
      const wholeText = file.created ? file.hunks.flatMap((hunk) => [...hunk.added.values()]).join("\n") + "\n" : undefined;
      const diffText = [file.header, ...file.hunks.map((hunk) => hunk.text)].join("\n");
      return { path: file.path, language: languageOfPath(file.path), source: "diff" as const, text: diffText, firstLine: 1, lines, hunks: file.hunks, wholeText };
    });
}

function wholeFile(path: string, language: string | undefined, source: "file" | "code-block", text: string): ReviewFile {
  const count = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
  return { path, language, source, text, firstLine: 1, lines: new Set(Array.from({ length: count }, (_, i) => i + 1)), hunks: [], wholeText: text };
}

function extensionOf(language: string | undefined): string {
  const ext = { python: ".py", javascript: ".js", typescript: ".ts", shell: ".sh", go: ".go", rust: ".rs" }[language ?? ""];
  return ext ?? ".txt";
}
