import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The app's server entry points, found on disk: every server action (exports
 * of `"use server"` files under app/) and every route handler (`route.ts`).
 * Tests that must cover all of them (audit coverage, the authorization matrix)
 * compare their tables with these lists, so a new action or route without a
 * row fails them.
 */
export const ROOT = process.cwd();

export function sourceFiles(dir: string, match: (file: string, text: string) => boolean): string[] {
  return (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."))
    .map((f) => path.join(dir, f))
    .filter((f) => match(f, readFileSync(path.join(ROOT, f), "utf8")));
}

export const serverActionFiles = () => sourceFiles("app", (_f, text) => /^\s*["']use server["'];/.test(text));
export const routeFiles = () => sourceFiles("app", (f) => path.basename(f) === "route.ts");
/** Absolute paths of the route files below `dir` (e.g. app/api). */
export const routeFilesUnder = (dir: string) =>
  sourceFiles(dir, (f) => path.basename(f) === "route.ts").map((f) => path.join(ROOT, f));

/** `file#export` for every function a `"use server"` file exports. */
export async function discoverServerActions(): Promise<string[]> {
  const names: string[] = [];
  for (const file of serverActionFiles()) {
    const mod = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (typeof value === "function") names.push(`${file}#${name}`);
  }
  return names.sort();
}

/**
 * `file#VERB` for every HTTP method a route file exports, optionally only under some files;
 * `file#*` for files that cannot be imported outside Next (e.g. Auth.js's handlers).
 */
export async function discoverRouteHandlers(
  include: (file: string) => boolean = () => true,
  notImportable: (file: string) => boolean = () => false,
): Promise<string[]> {
  const found: string[] = [];
  for (const file of routeFiles().filter(include)) {
    if (notImportable(file)) {
      found.push(`${file}#*`);
      continue;
    }
    const mod = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    for (const verb of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      if (typeof mod[verb] === "function") found.push(`${file}#${verb}`);
  }
  return found.sort();
}

export async function importModule(file: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
}

export async function importEntry<T>(id: string): Promise<T> {
  const [file, name] = id.split("#") as [string, string];
  return (await importModule(file))[name] as T;
}
