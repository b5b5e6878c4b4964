import type { Attachment as DiscordAttachment } from "discord.js";
import type { Attachment } from "../../src/contracts.js";
import { describeError } from "../../src/errors.js";
import type { EgressGate } from "../../src/egress.js";

/** Largest text file inlined into a request (the job contract's limit); larger ones are refused, not truncated. */
export const MAX_ATTACHMENT_BYTES = 200_000;
/** Most files in one request (the job contract's limit). */
export const MAX_ATTACHMENTS = 10;

/** Where Discord serves attachments; the API origin is allowed too (a local fake serves them there). */
export const DISCORD_CDN_ORIGINS = ["https://cdn.discordapp.com", "https://media.discordapp.net"] as const;

export type AttachmentIntake = { ok: true; attachments: Attachment[] } | { ok: false; reply: string };

/**
 * Reads a message's files as text for the model, through the egress gate (purpose "chat-platform").
 * Anything that cannot be inlined whole — too large, binary, not UTF-8, a failed download — refuses the
 * request with a reply that says which file and why, so nothing is queued on a half-read input.
 */
export async function readAttachments(
  files: readonly DiscordAttachment[],
  gate: EgressGate,
  maxBytes: number = MAX_ATTACHMENT_BYTES,
): Promise<AttachmentIntake> {
  if (files.length > MAX_ATTACHMENTS) return { ok: false, reply: `I can read at most ${MAX_ATTACHMENTS} files per message; this one has ${files.length}. Nothing was queued.` };
  const attachments: Attachment[] = [];
  for (const file of files) {
    const name = file.name || "file";
    const tooLarge = `“${name}” is ${formatBytes(file.size)}; I only read text files up to ${formatBytes(maxBytes)}. Nothing was queued — send a smaller file or paste the part that matters.`;
    if (file.size > maxBytes) return { ok: false, reply: tooLarge };
    if (file.contentType && !looksTextual(file.contentType)) return { ok: false, reply: refuseBinary(name) };
    let body: Buffer;
    try {
      const response = await gate.request("chat-platform", file.url, { maxBytes: maxBytes + 1, timeoutMs: 30_000 });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      if (response.truncated || response.body.length > maxBytes) return { ok: false, reply: tooLarge };
      body = response.body;
    } catch (error) {
      return { ok: false, reply: `I could not download “${name}” (${describeError(error)}). Nothing was queued; try sending it again.` };
    }
    const text = decodeText(body);
    if (text === undefined) return { ok: false, reply: refuseBinary(name) };
    attachments.push({ name: name.slice(0, 255), mimeType: (file.contentType ?? "text/plain").slice(0, 255), text });
  }
  return { ok: true, attachments };
}

function refuseBinary(name: string): string {
  return `“${name}” is not a text file; I can only read text (code, logs, Markdown, JSON, CSV…). Nothing was queued.`;
}

/** Types that are text even though they are not text/*. Unknown types are judged by their bytes. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-javascript|ecmascript|typescript|x-typescript|x-sh|x-shellscript|x-python|x-yaml|yaml|toml|x-toml|sql|graphql|x-httpd-php|ld\+json|[\w.+-]+\+(json|xml))|application\/octet-stream)/i;

function looksTextual(contentType: string): boolean {
  // Discord sends application/octet-stream for unknown extensions (e.g. .rs, .go): judge those by content.
  return TEXT_TYPES.test(contentType.trim());
}

/** Valid UTF-8 without NUL bytes counts as text; a leading BOM is dropped. */
function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 100) / 10} KB`;
  return `${Math.round(bytes / 100_000) / 10} MB`;
}
