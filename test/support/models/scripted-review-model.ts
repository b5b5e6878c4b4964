// A deterministic reviewer: after the assistant turn's newline it writes one fixed JSON review, a few large
// tokens at a time, that the review grammar accepts. Its findings cite real and invented lines, so tests can
// check grounding; with SYNTAX_MARKER anywhere in the context (the sandbox's py_compile output) the summary
// changes, which proves the check's output reached the prompt.
import { GGML_TYPE_OF_DTYPE } from "../gguf/gguf-types.js";
import { buildBpeVocabulary, IM_END } from "../gguf/bpe-tokenizer.js";
import { buildScriptedModel, type FlagCondition } from "./scripted-transformer.js";
import { writeModelFile, type ModelFileInfo } from "./model-file.js";

/** A USER_DEFINED token: llama.cpp matches it anywhere in the text, e.g. in "SyntaxError: '(' was never closed". */
export const SYNTAX_MARKER = "SyntaxError";
export const REVIEW_SUMMARY_DEFAULT = "add() subtracts.";
export const REVIEW_SUMMARY_SYNTAX = "The sandbox syntax check failed.";

/** The findings, in the order written. Lines that exist in the fixtures: calc.py 2, pkg/inventory.py 3, pkg/users.py 3. */
export const REVIEW_FINDINGS = [
  { file: "calc.py", line: 2, hunk: null, severity: "major", category: "bug", explanation: "add() returns a - b instead of a + b.", suggestion: "    return a + b" },
  { file: "calc.py", line: 999, hunk: null, severity: "minor", category: "tests", explanation: "There are no tests.", suggestion: null },
  { file: "pkg/inventory.py", line: 3, hunk: null, severity: "nit", category: "readability", explanation: "Name the new limit.", suggestion: "INVENTORY_LIMIT = (" },
  { file: "pkg/users.py", line: 3, hunk: null, severity: "minor", category: "performance", explanation: "The limit grew.", suggestion: null },
] as const;

export async function writeScriptedReviewModel(path: string): Promise<ModelFileInfo> {
  const open = (summary: string): string => `{"summary":${JSON.stringify(summary)},"findings":[`;
  const findings = REVIEW_FINDINGS.map((finding, i) => `${i === 0 ? "" : ","}${JSON.stringify(finding)}`);
  const close = "]}";
  const pieces = [open(REVIEW_SUMMARY_DEFAULT), open(REVIEW_SUMMARY_SYNTAX), ...findings, close];
  const vocabulary = buildBpeVocabulary({ extraNormalTokens: pieces, extraUserDefinedTokens: [SYNTAX_MARKER] });
  const id = (text: string): number => vocabulary.idOfText(text);
  const newline = id("\n");
  const [openDefault, openSyntax] = [id(pieces[0]!), id(pieces[1]!)];
  const chain = [...findings.map(id), id(close), vocabulary.idOf(IM_END)];
  const content = buildScriptedModel(
    {
      name: "burrow-test-scripted-review",
      vocabulary,
      flags: [{ name: "syntax", marker: vocabulary.idOf(SYNTAX_MARKER) }],
      transitions: [
        { after: newline, next: openDefault },
        { after: newline, next: openSyntax },
        { after: openDefault, next: chain[0]! },
        { after: openSyntax, next: chain[0]! },
        ...chain.slice(0, -1).map((after, i) => ({ after, next: chain[i + 1]! })),
      ],
      gates: new Map<number, FlagCondition>([
        [openDefault, { syntax: false }],
        [openSyntax, { syntax: true }],
      ]),
      biases: new Map([[vocabulary.idOf("<|endoftext|>"), -2], [vocabulary.idOf("<|im_start|>"), -2]]),
    },
    GGML_TYPE_OF_DTYPE.f32,
  );
  return writeModelFile(path, content);
}
