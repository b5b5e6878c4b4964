import type { Api } from "grammy";
import type { Document } from "grammy/types";
import type { Attachment } from "../../src/contracts.js";

export type DocumentReading = { readonly ok: true; readonly attachment: Attachment } | { readonly ok: false; readonly reply: string };

/** Fetches a file Telegram stored (its file_path from getFile), at most `maxBytes` (+1 to notice more). */
export type FileDownloader = (filePath: string, maxBytes: number) => Promise<Buffer>;

/**
 * A document sent to the bot, as an attachment the model can read: text files (code, notes, logs) up to
 * `maxBytes` are inlined; anything larger, or binary, is refused with a message that says why.
 */
export async function readTextDocument(api: Api, document: Document, download: FileDownloader, maxBytes: number): Promise<DocumentReading> {
  const name = (document.file_name ?? "file.txt").slice(0, 255) || "file.txt";
  const tooLarge = (size: number): DocumentReading => ({
    ok: false,
    reply: `${name} is ${formatKb(size)}; I can read text files up to ${formatKb(maxBytes)}. Nothing was queued. Send a smaller part of it, or paste the part that matters.`,
  });
  if (document.file_size !== undefined && document.file_size > maxBytes) return tooLarge(document.file_size);
  const file = await api.getFile(document.file_id);
  if (!file.file_path) return { ok: false, reply: `Telegram did not let me download ${name}; please send it again.` };
  const bytes = await download(file.file_path, maxBytes);
  if (bytes.length > maxBytes) return tooLarge(file.file_size ?? bytes.length);
  const text = decodeText(bytes);
  if (text === undefined) {
    return { ok: false, reply: `${name} does not look like a text file; I can read text files (code, notes, logs), not binary ones. Nothing was queued.` };
  }
  return { ok: true, attachment: { name, mimeType: document.mime_type ?? "text/plain", text } };
}

/** UTF-8 text, or undefined for binary content (NUL bytes or invalid UTF-8). */
export function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function formatKb(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}
