import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReviewSchema } from "../../src/review.js";
import { cliEnv, runCli } from "../support/cli.js";
import { REVIEW_SUMMARY_DEFAULT, writeScriptedReviewModel } from "../support/models/index.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * `burrow review` as built: a diff piped on stdin (`git diff | burrow review -`) through the queue, the
 * worker and the review agent on real llama.cpp (the scripted reviewer), printed as text or JSON.
 */

const FIXTURES = fileURLToPath(new URL("../fixtures/review/", import.meta.url));
const tmp = makeTempDir();
const model = join(tmp.path, "reviewer.gguf");

beforeAll(async () => {
  await writeScriptedReviewModel(model);
});
afterAll(() => tmp.remove());

let dirCount = 0;
const settings = (): Record<string, string> =>
  cliEnv({ BURROW_DATA_DIR: join(tmp.path, `data-${++dirCount}`), BURROW_MODEL: model, BURROW_THREADS: "1", BURROW_CONTEXT_SIZE: "4096", BURROW_SEARCH_PROVIDER: "off" });

describe("burrow review", () => {
  it("reviews a diff from stdin and prints plain text; --json prints the structured review", async () => {
    const diff = readFileSync(join(FIXTURES, "two-files.diff"), "utf8");
    const text = await runCli(["review", "-"], settings(), diff);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${REVIEW_SUMMARY_DEFAULT}\n\n1. [MAJOR] bug — src/calc.py:2\n   add() returns a - b instead of a + b.\n   Suggested change:\n         return a + b`);
    expect(text.stdout).not.toContain("**");
    const json = await runCli(["review", "--json", "-q", join(FIXTURES, "calc.py")], settings());
    expect(json.exitCode, json.stderr).toBe(0);
    const review = ReviewSchema.parse(JSON.parse(json.stdout));
    expect(review.findings.map((finding) => `${finding.file}:${finding.line}`)).toEqual([`${join(FIXTURES, "calc.py")}:2`]);
    expect(review.checks[0]).toMatchObject({ status: "passed", command: expect.stringContaining("python -m py_compile") });
  });

  it("refuses an archive and a binary before queueing, naming why", async () => {
    for (const name of ["archive.zip", "program.bin"]) {
      const result = await runCli(["review", join(FIXTURES, name)], settings());
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/The review was refused: .*(archive|binary)/);
      expect(result.stderr).toContain("Nothing was queued.");
      expect(result.stdout).toBe("");
    }
  });
});
