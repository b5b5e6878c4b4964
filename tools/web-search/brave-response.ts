import { z } from "zod";
import type { RawResult } from "./result-list.js";
import { htmlToText } from "./result-text.js";

/**
 * Brave Search API bodies (GET /res/v1/web/search). A result answer is `{ type: "search", web?: { results:
 * [{ title, url, description, … }] } }` — `web` is absent when nothing matched. Descriptions (and sometimes
 * titles) carry `<strong>` around query words and HTML entities, so both are read as HTML fragments.
 * `type` must be "search": any other JSON object would otherwise pass as "no results".
 */
const EnvelopeSchema = z.object({
  type: z.literal("search"),
  web: z.object({ results: z.array(z.unknown()) }).optional(),
});

const ResultSchema = z.object({
  title: z.string(),
  url: z.string(),
  description: z.string().nullish(),
});

/** The results in `body`, or undefined when it is not Brave's result format. */
export function parseBraveBody(body: string): RawResult[] | undefined {
  const json = parseJson(body);
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return undefined;
  return (envelope.data.web?.results ?? []).flatMap((item) => {
    const parsed = ResultSchema.safeParse(item);
    if (!parsed.success) return [];
    return [{ title: htmlToText(parsed.data.title), url: parsed.data.url, snippet: htmlToText(parsed.data.description ?? "") }];
  });
}

/**
 * Brave's error body: `{ type: "ErrorResponse", error: { code: "SUBSCRIPTION_TOKEN_INVALID", detail, status,
 * meta } }` (its reference also shows an `errors` array; both are read).
 */
const ErrorDetailSchema = z.object({ code: z.string().optional(), detail: z.string().optional() });
const ErrorBodySchema = z.object({ error: ErrorDetailSchema.optional(), errors: z.array(ErrorDetailSchema).optional() });

export interface BraveErrorDetail {
  readonly code: string | undefined;
  readonly detail: string | undefined;
}

export function parseBraveError(body: string): BraveErrorDetail {
  const parsed = ErrorBodySchema.safeParse(parseJson(body));
  const error = parsed.success ? (parsed.data.error ?? parsed.data.errors?.[0]) : undefined;
  // The detail is Brave's own short sentence; cap it so an unexpected body cannot flood a chat message.
  const detail = error?.detail?.replace(/\s+/g, " ").trim().slice(0, 200);
  return { code: error?.code, detail: detail || undefined };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
