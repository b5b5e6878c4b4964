import { TextDecoder } from "node:util";

/**
 * What kind of body a response has, and how to turn its bytes into a string. Readable kinds are HTML
 * (handed to Readability) and text-like bodies (plain text, JSON, XML, CSV...), which pass through as
 * they are. Everything else — PDFs, images, archives — is refused by name rather than decoded into noise.
 */

export type ReadableKind = "html" | "text";
export type BodyKind = { readonly kind: ReadableKind; readonly mime: string } | { readonly kind: "unsupported"; readonly mime: string; readonly label: string };

export function classifyBody(contentType: string | undefined, body: Uint8Array): BodyKind {
  const mime = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mime === "") return sniff(body);
  if (mime === "text/html" || mime === "application/xhtml+xml") return { kind: "html", mime };
  if (mime.startsWith("text/")) return { kind: "text", mime };
  if (mime === "application/json" || mime.endsWith("+json")) return { kind: "text", mime };
  if (mime === "application/xml" || mime.endsWith("+xml") || mime === "application/javascript" || mime === "application/x-ndjson") {
    return { kind: "text", mime };
  }
  return { kind: "unsupported", mime, label: describeMime(mime) };
}

/** No content type at all: a quick look at the start of the body, in the spirit of the MIME sniffing spec. */
function sniff(body: Uint8Array): BodyKind {
  const head = Buffer.from(body.subarray(0, 1024));
  if (head.includes(0)) return { kind: "unsupported", mime: "(none)", label: "a binary file" };
  const start = head.toString("latin1").replace(/^\xEF\xBB\xBF/, "").trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|title|!--)/.test(start)) return { kind: "html", mime: "(none)" };
  return { kind: "text", mime: "(none)" };
}

function describeMime(mime: string): string {
  if (mime === "application/pdf") return "a PDF document";
  if (mime.startsWith("image/")) return "an image";
  if (mime.startsWith("audio/")) return "an audio file";
  if (mime.startsWith("video/")) return "a video";
  if (mime.startsWith("font/")) return "a font";
  if (/zip|compressed|tar|gzip|7z|rar/.test(mime)) return "an archive";
  if (/msword|officedocument|opendocument|rtf/.test(mime)) return "an office document";
  if (mime === "application/octet-stream") return "a binary file";
  return "a file Burrow cannot read";
}

/**
 * The body as text. The charset comes from, in order: a byte-order mark, the Content-Type header, and for
 * HTML a <meta charset> in the first 1024 bytes (what browsers look at too); UTF-8 otherwise, and also when
 * the named charset is one TextDecoder does not know. Invalid bytes become U+FFFD rather than failing.
 */
export function decodeBody(body: Uint8Array, contentType: string | undefined, kind: ReadableKind): string {
  const label = bomCharset(body) ?? charsetParameter(contentType) ?? (kind === "html" ? metaCharset(body) : undefined) ?? "utf-8";
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(body);
}

function bomCharset(body: Uint8Array): string | undefined {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return "utf-8";
  if (body[0] === 0xff && body[1] === 0xfe) return "utf-16le";
  if (body[0] === 0xfe && body[1] === 0xff) return "utf-16be";
  return undefined;
}

function charsetParameter(contentType: string | undefined): string | undefined {
  return contentType?.match(/;\s*charset\s*=\s*"?([^";\s]+)"?/i)?.[1];
}

function metaCharset(body: Uint8Array): string | undefined {
  const head = Buffer.from(body.subarray(0, 1024)).toString("latin1");
  const label = head.match(/<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i)?.[1];
  // A page cannot be UTF-16 if its <meta> could be read as ASCII; browsers then use UTF-8 (HTML spec).
  return label && /^utf-?16/i.test(label) ? "utf-8" : label;
}
