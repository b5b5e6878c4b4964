import { z } from "zod";
import type { RawResult } from "./result-list.js";
import { decodeEntities } from "./result-text.js";

/**
 * SearXNG's JSON format (`/search?format=json`): `results[]` with url, title, content (plus engine,
 * parsed_url, score, category… that Burrow does not need) and `unresponsive_engines` as
 * [engine, reason] pairs. Only the envelope must match; one odd result (an engine plugin's own shape) is
 * skipped rather than failing the whole search.
 */
const EnvelopeSchema = z.object({
  results: z.array(z.unknown()),
  unresponsive_engines: z.array(z.unknown()).optional(),
});

const ResultSchema = z.object({
  url: z.string(),
  title: z.string().nullish(),
  content: z.string().nullish(),
});

const UnresponsiveSchema = z.tuple([z.string(), z.string()]).rest(z.unknown());

export interface SearxngAnswer {
  readonly results: RawResult[];
  /** Engines SearXNG asked but that failed, e.g. `{ engine: "google", reason: "timeout" }`. */
  readonly unresponsive: { engine: string; reason: string }[];
}

/** The answer in `body`, or undefined when it is not SearXNG's JSON format. */
export function parseSearxngBody(body: string): SearxngAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return undefined;
  const results: RawResult[] = [];
  for (const item of envelope.data.results) {
    const parsed = ResultSchema.safeParse(item);
    if (!parsed.success) continue;
    // SearXNG passes engines' text through; some engines leave HTML entities in it (`&amp;`, `&#39;`).
    results.push({ url: parsed.data.url, title: decodeEntities(parsed.data.title ?? ""), snippet: decodeEntities(parsed.data.content ?? "") });
  }
  const unresponsive = (envelope.data.unresponsive_engines ?? []).flatMap((entry) => {
    const pair = UnresponsiveSchema.safeParse(entry);
    return pair.success ? [{ engine: pair.data[0], reason: pair.data[1] }] : [];
  });
  return { results, unresponsive };
}
