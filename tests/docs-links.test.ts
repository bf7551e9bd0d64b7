import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * README.md and docs/*.md name files of this repository — as links and as `backticked` paths.
 * Code moves; a name left behind sends the next reader to nothing. Every relative link (and its
 * #anchor, when it points into a Markdown file) and every backticked repo path must exist.
 */

const root = path.resolve(import.meta.dirname, "..");

const documents = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Written at run time (npm start, npm run bench, next build), so absent from a fresh clone. */
const RUNTIME_OUTPUTS = [".data", "bench", ".next", "test-results", "playwright-report"];

/** The project's shared documents live beside the repository, not in it (see README). */
const OUTSIDE_REPOSITORY = ["../shared/API.md", "../shared/DESIGN.md", "../shared/STYLE.md"];

const SOURCE_EXTENSION = /\.(ts|tsx|mts|mjs|js|json|md|sql|prisma|ya?ml|css)$/;

const IGNORED_DIRS = new Set(["node_modules", ".git", ".next", ".data"]);

function walk(dir: string, names: Set<string>) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (IGNORED_DIRS.has(entry.name)) continue;
    names.add(entry.name);
    if (entry.isDirectory()) walk(path.join(dir, entry.name), names);
  }
  return names;
}

/** Every file and directory name in the tree, for names given without their directory. */
const namesInTree = walk(root, new Set());

const topLevel = new Set(readdirSync(root));

function withoutCode(markdown: string) {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** `[text](target)` outside fenced code, skipping absolute URLs and in-page anchors. */
function relativeLinks(markdown: string) {
  const links: string[] = [];
  for (const match of withoutCode(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    links.push(target);
  }
  return links;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string) {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of withoutCode(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]!
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Inline code spans that look like a path in this repository (or an `@/` import of one). */
function backtickedPaths(markdown: string) {
  const paths: string[] = [];
  for (const match of withoutCode(markdown).matchAll(/`([^`\n]+)`/g)) {
    let span = match[1]!.trim();
    if (span.startsWith("@/")) span = span.slice(2);
    if (!/^[\w.@[\]<>*…-]+(\/[\w.@[\]<>*…-]*)*$/.test(span)) continue;
    if (span.startsWith("/") || span === "." || span === "..") continue;
    const first = span.split("/")[0]!;
    const hasSlash = span.includes("/");
    if (hasSlash ? topLevel.has(first) || RUNTIME_OUTPUTS.includes(first) : SOURCE_EXTENSION.test(span)) {
      paths.push(span);
    } else if (hasSlash && SOURCE_EXTENSION.test(span)) {
      paths.push(span); // names a file under a directory that does not exist at the root: a typo
    }
  }
  return paths;
}

/** A pattern (`e2e/api/*.spec.ts`, `prisma/migrations/<timestamp>_<name>/`) is checked up to its first wildcard. */
function concretePrefix(p: string) {
  const segments = p.split("/");
  const wild = segments.findIndex((s) => /[*<>…]/.test(s));
  return wild === -1 ? p : segments.slice(0, wild).join("/");
}

function existsAsModule(p: string) {
  const full = path.join(root, p);
  return [full, `${full}.ts`, `${full}.tsx`, path.join(full, "index.ts")].some((f) => existsSync(f));
}

describe.each(documents)("%s", (doc) => {
  const text = readFileSync(path.join(root, doc), "utf8");
  const dir = path.dirname(path.join(root, doc));

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const link of relativeLinks(text)) {
      const [file, anchor] = link.split("#") as [string, string | undefined];
      const target = file === "" ? path.join(root, doc) : path.resolve(dir, decodeURIComponent(file));
      if (!target.startsWith(root + path.sep) && target !== root) {
        if (!OUTSIDE_REPOSITORY.includes(path.relative(root, target))) broken.push(link);
        continue;
      }
      if (!existsSync(target)) {
        broken.push(link);
        continue;
      }
      if (anchor && target.endsWith(".md") && statSync(target).isFile()) {
        if (!anchors(readFileSync(target, "utf8")).has(anchor)) broken.push(link);
      }
    }
    expect(broken).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const missing: string[] = [];
    for (const p of backtickedPaths(text)) {
      if (OUTSIDE_REPOSITORY.includes(p)) continue;
      if (RUNTIME_OUTPUTS.includes(p.split("/")[0]!)) continue;
      if (!p.includes("/")) {
        if (!namesInTree.has(p)) missing.push(p);
        continue;
      }
      const concrete = concretePrefix(p).replace(/\/$/, "");
      if (concrete === "") continue;
      if (!existsAsModule(concrete) && !existsSync(path.resolve(dir, concrete))) missing.push(p);
    }
    expect(missing).toEqual([]);
  });
});

describe("README's configuration table", () => {
  it("documents every variable lib/env.ts reads", () => {
    const source = readFileSync(path.join(root, "lib/env.ts"), "utf8");
    const schema = source.slice(source.indexOf("z.object({"), source.indexOf("\n});"));
    const variables = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(10);

    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const tableRows = readme.split("\n").filter((line) => line.startsWith("|"));
    const documented = new Set(tableRows.flatMap((row) => [...row.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)));
    expect(variables.filter((v) => !documented.has(v))).toEqual([]);
  });
});

describe("the checks themselves", () => {
  it("find links, anchors and paths as a reader would", () => {
    const sample = [
      "# Audit trail at scale",
      "See [the figures](docs/benchmarks.md#audit-trail-at-scale) and [here](#x) and [site](https://x.io).",
      "`lib/core/tasks.ts`, `@/lib/server/db`, `e2e/api/*.spec.ts`, `proxy.ts`, `checkpoint/<taskId>`,",
      "`application/json`, `/api/v1/policy`, `X-Reason`, `kv.*`",
      "```",
      "[not a link](nowhere.md) `lib/in/code.ts`",
      "```",
    ].join("\n");
    expect(relativeLinks(sample)).toEqual(["docs/benchmarks.md#audit-trail-at-scale"]);
    expect(anchors(sample)).toEqual(new Set(["audit-trail-at-scale"]));
    expect(backtickedPaths(sample)).toEqual(["lib/core/tasks.ts", "lib/server/db", "e2e/api/*.spec.ts", "proxy.ts"]);
    expect(concretePrefix("prisma/migrations/<timestamp>_<name>/migration.sql")).toBe("prisma/migrations");
    expect(existsAsModule("lib/server/db")).toBe(true);
    expect(existsAsModule("lib/server/no-such-module")).toBe(false);
  });
});
