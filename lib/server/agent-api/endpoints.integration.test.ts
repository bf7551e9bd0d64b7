import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { routeFilesUnder } from "@/tests/app-entry-points";
import { AGENT_ENDPOINTS } from "./endpoints";

/**
 * The endpoint table and the Next.js route files under app/api/v1 (which Next.js needs, and which
 * must serve the very objects the agent lane serves): every row has its route file exporting exactly
 * its endpoint, and every export of an agent route file is a row.
 */

const ROOT = process.cwd();
const API_DIR = path.join(ROOT, "app", "api", "v1");
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
/** Route files under app/api/v1 that only Next.js serves: the 404 envelope and the OpenAPI document. */
const NEXT_ONLY = new Set(["[...path]", "openapi.json"]);

/** The route file Next.js needs for a path template: `{name}` is the folder `[name]`. */
const routeFileOf = (template: string) =>
  path.join(ROOT, "app", ...template.split("/").map((s) => s.replace(/^\{(.+)\}$/, "[$1]")), "route.ts");
/** The path template a route file serves. */
const templateOf = (file: string) =>
  `/api/v1/${path
    .relative(API_DIR, path.dirname(file))
    .split(path.sep)
    .map((s) => s.replace(/^\[(.+)\]$/, "{$1}"))
    .join("/")}`;

describe("the endpoint table", () => {
  it("has one row per method and path, unique operationIds, and templates of raw segments or {name}", () => {
    const keys = AGENT_ENDPOINTS.map((row) => `${row.method} ${row.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    const ids = AGENT_ENDPOINTS.map((row) => row.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const row of AGENT_ENDPOINTS) {
      expect(row.path, row.operationId).toMatch(/^\/api\/v1(\/([a-z0-9._-]+|\{[a-z][a-zA-Z0-9]*\}))+$/);
      for (const name of row.params ?? []) expect(row.path, row.operationId).toContain(`{${name}}`);
      expect(row.options.mutating, row.operationId).toBe(row.method !== "GET");
    }
  });

  it("every row has its route file under app/api/v1, exporting exactly that endpoint for that method", async () => {
    for (const row of AGENT_ENDPOINTS) {
      const file = routeFileOf(row.path);
      const relative = path.relative(ROOT, file);
      expect(
        existsSync(file),
        `${row.method} ${row.path} has no route file: add ${relative} with \`export const { ${row.method} } = endpointsFor("${row.path}")\``,
      ).toBe(true);
      const mod = (await import(file)) as Record<string, unknown>;
      expect(
        mod[row.method] === row.endpoint,
        `${relative} must export ${row.method} = endpointsFor("${row.path}").${row.method}`,
      ).toBe(true);
    }
  });

  it("every export of an agent route file under app/api/v1 is a row of the table", async () => {
    const files = routeFilesUnder(path.relative(ROOT, API_DIR));
    const served: string[] = [];
    for (const file of files) {
      if (NEXT_ONLY.has(path.relative(API_DIR, path.dirname(file)).split(path.sep)[0]!)) continue;
      const template = templateOf(file);
      const mod = (await import(file)) as Record<string, unknown>;
      for (const method of METHODS.filter((m) => mod[m] !== undefined)) {
        const row = AGENT_ENDPOINTS.find((r) => r.method === method && r.path === template);
        expect(
          row,
          `${path.relative(ROOT, file)} exports ${method}, but the endpoint table has no ${method} ${template}`,
        ).toBeDefined();
        expect(
          mod[method] === row!.endpoint,
          `${path.relative(ROOT, file)}: ${method} is not the table's endpoint`,
        ).toBe(true);
        served.push(`${method} ${template}`);
      }
    }
    expect(served.sort()).toEqual(AGENT_ENDPOINTS.map((row) => `${row.method} ${row.path}`).sort());
  });
});
