/**
 * Which programming language a file or snippet is in: by file extension, else by a fence tag, else by a
 * few unmistakable signs in the text. Undefined when unsure (the review then says "unknown" rather than guess).
 */

const BY_EXTENSION: Readonly<Record<string, string>> = {
  py: "python", pyi: "python", js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  ts: "typescript", tsx: "typescript", mts: "typescript", cts: "typescript", go: "go", rs: "rust", java: "java",
  kt: "kotlin", c: "c", h: "c", cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp", cs: "csharp", rb: "ruby",
  php: "php", sh: "shell", bash: "shell", zsh: "shell", swift: "swift", sql: "sql", html: "html", css: "css",
  json: "json", yaml: "yaml", yml: "yaml", toml: "toml", md: "markdown", lua: "lua", scala: "scala",
};

const FENCE_ALIASES: Readonly<Record<string, string>> = {
  python: "python", python3: "python", py: "python", javascript: "javascript", js: "javascript", node: "javascript",
  typescript: "typescript", ts: "typescript", sh: "shell", bash: "shell", shell: "shell", golang: "go",
  "c++": "cpp", rust: "rust", rs: "rust",
};

export function languageOfPath(path: string): string | undefined {
  const name = path.split("/").at(-1) ?? path;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return name === "Makefile" ? "make" : name === "Dockerfile" ? "dockerfile" : undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

export function languageOfFence(tag: string): string | undefined {
  const key = tag.trim().toLowerCase();
  if (key === "") return undefined;
  return FENCE_ALIASES[key] ?? (Object.values(BY_EXTENSION).includes(key) ? key : BY_EXTENSION[key]);
}

/** A guess from the text itself, for snippets without a name or tag. */
export function languageOfText(text: string): string | undefined {
  const shebang = /^#!.*\b(python3?|node|bash|sh)\b/.exec(text);
  if (shebang) return { python: "python", python3: "python", node: "javascript", bash: "shell", sh: "shell" }[shebang[1]!];
  if (/^\s*(def|class) \w+.*:\s*$/m.test(text) || /^\s*(from \w[\w.]* )?import \w[\w.]*( as \w+)?\s*$/m.test(text)) return "python";
  if (/\b(function\s*\w*\s*\(|const \w+ = |let \w+ = |=>|require\(|module\.exports|console\.log\()/.test(text)) return "javascript";
  if (/^\s*package \w+\s*$/m.test(text) && /\bfunc \w+\(/.test(text)) return "go";
  if (/\bfn \w+\(.*\)\s*(->|\{)/.test(text)) return "rust";
  return undefined;
}
