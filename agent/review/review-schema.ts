import type { GbnfJsonSchema } from "node-llama-cpp";
import { CATEGORIES, SEVERITIES } from "../../src/review.js";

/**
 * The JSON schema the model writes a review under (node-llama-cpp turns it into a grammar, so even a weak
 * model cannot break the format). Every string has a maxLength and the list a maxItems: a weak model would
 * otherwise write one string until the token budget ends. Properties come out in this order.
 */
export const MAX_FINDINGS_PER_PART = 8;

export const REVIEW_OUTPUT_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string", maxLength: 400 },
    findings: {
      type: "array",
      maxItems: MAX_FINDINGS_PER_PART,
      items: {
        type: "object",
        properties: {
          file: { type: "string", maxLength: 200 },
          line: { type: ["integer", "null"] },
          hunk: { type: ["integer", "null"] },
          severity: { enum: [...SEVERITIES] },
          category: { enum: [...CATEGORIES] },
          explanation: { type: "string", maxLength: 500 },
          suggestion: { oneOf: [{ type: "string", maxLength: 800 }, { type: "null" }] },
        },
      },
    },
  },
} as const satisfies GbnfJsonSchema;
