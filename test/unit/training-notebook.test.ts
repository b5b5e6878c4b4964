import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatasetExampleSchema } from "../../training/dataset-schema.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The notebook is checked the way CI can without a GPU: it is a valid nbformat-4 document, every code cell
 * compiles as Python (lines that are Jupyter syntax, `%pip …`/`!git …`, are removed first: they are not
 * Python; all of them stand at the top level of their cell), it is what training/make_notebook.py builds
 * (so its schema check is a verbatim copy of check_dataset.py and dataset-schema.json), and that check
 * agrees with the exporter's zod schema.
 */
const root = resolve(import.meta.dirname, "../..");
const notebookPath = join(root, "training/burrow-finetune.ipynb");
const tmp = makeTempDir("burrow-notebook-");
afterAll(() => tmp.remove());

interface Cell {
  readonly cell_type: string;
  readonly source: string | string[];
  readonly id?: string;
  readonly outputs?: unknown[];
}
const text = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);

describe("training notebook", () => {
  const notebook = JSON.parse(readFileSync(notebookPath, "utf8")) as { nbformat: number; nbformat_minor: number; metadata: Record<string, unknown>; cells: Cell[] };

  it("is an nbformat 4 notebook with code and markdown cells", () => {
    expect(notebook.nbformat).toBe(4);
    expect(notebook.nbformat_minor).toBeGreaterThanOrEqual(5);
    expect(notebook.metadata).toHaveProperty("kernelspec.language", "python");
    for (const cell of notebook.cells) {
      expect(["code", "markdown"]).toContain(cell.cell_type);
      expect(typeof cell.id).toBe("string");
      if (cell.cell_type === "code") expect(cell.outputs).toEqual([]);
    }
    expect(notebook.cells.filter((c) => c.cell_type === "code").length).toBeGreaterThan(8);
    const all = notebook.cells.map(text).join("\n");
    for (const needle of ["convert_lora_to_gguf.py", "load_in_4bit=True", "LoraConfig", "SFTTrainer", "check_file(", "burrow adapters add"]) expect(all).toContain(needle);
  });

  it("every code cell compiles with python3 -m py_compile (after removing %magic and !shell lines)", () => {
    const cells = notebook.cells.filter((c) => c.cell_type === "code");
    const files = cells.map((cell, i) => {
      const lines = text(cell).split("\n");
      for (const line of lines) if (/^\s+[%!]/.test(line)) throw new Error(`cell ${i}: an indented magic/shell line cannot be stripped safely: ${line}`);
      const file = join(tmp.path, `cell_${i}.py`);
      writeFileSync(file, lines.filter((line) => !/^[%!]/.test(line)).join("\n") + "\n");
      return file;
    });
    const result = spawnSync("python3", ["-m", "py_compile", ...files], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("is what training/make_notebook.py builds (the inlined check is the repository's)", () => {
    const rendered = execFileSync("python3", ["-B", "-c", "import make_notebook, sys; sys.stdout.write(make_notebook.render())"], { cwd: join(root, "training"), encoding: "utf8" });
    expect(readFileSync(notebookPath, "utf8")).toBe(rendered);
  });

  it("the Python check and the zod schema agree on valid and invalid examples", () => {
    const ok = { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }], meta: { source: "burrow", rating: 1 } };
    const samples: unknown[] = [
      ok,
      { ...ok, messages: [{ role: "system", content: "s" }, ...ok.messages] },
      {
        messages: [
          { role: "user", content: "weather?" },
          { role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "web_search", arguments: { q: "weather" } } }] },
          { role: "tool", content: "sunny", name: "web_search" },
          { role: "assistant", content: "Sunny." },
        ],
        meta: { source: "burrow", rating: 1, platform: "telegram", tools: [{ name: "web_search", summary: "Searching" }] },
      },
      { ...ok, messages: [{ role: "user", content: "hi" }] },
      { ...ok, messages: [{ role: "assistant", content: "a" }, { role: "user", content: "q" }] },
      { ...ok, messages: [{ role: "user", content: "q" }, { role: "system", content: "s" }, { role: "assistant", content: "a" }] },
      { ...ok, messages: [{ role: "user", content: "q" }, { role: "tool", content: "t" }, { role: "assistant", content: "a" }] },
      { ...ok, messages: [{ role: "user", content: " " }, { role: "assistant", content: "a" }] },
      { ...ok, messages: [{ role: "robot", content: "q" }, { role: "assistant", content: "a" }] },
      { ...ok, messages: [{ role: "user", content: 3 }, { role: "assistant", content: "a" }] },
      { ...ok, extra: true },
      { ...ok, meta: { source: "burrow", rating: 2 } },
      { ...ok, meta: { source: "burrow", rating: 1, user: "x", secret: 1 } },
      { ...ok, meta: { source: "burrow", rating: 1, platform: "irc" } },
      { messages: ok.messages },
    ];
    const file = join(tmp.path, "samples.jsonl");
    writeFileSync(file, samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
    const script = "import json, sys, check_dataset as c\nschema = c.load_schema()\nfor line in open(sys.argv[1]):\n    print('valid' if not c.validate_example(json.loads(line), schema) else 'invalid')\n";
    const python = execFileSync("python3", ["-B", "-c", script, file], { cwd: join(root, "training"), encoding: "utf8" }).trim().split("\n");
    const zod = samples.map((s) => (DatasetExampleSchema.safeParse(s).success ? "valid" : "invalid"));
    expect(python).toEqual(zod);
    expect(zod.slice(0, 3)).toEqual(["valid", "valid", "valid"]);
    expect(zod.slice(3).every((v) => v === "invalid")).toBe(true);
  });
});
