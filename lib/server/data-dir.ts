import "server-only";
import path from "node:path";
import { env } from "@/lib/env";

/** The local state directory (BASEKV_DATA_DIR, default .data/ of the checkout), as scripts/lib/paths.ts has it. */
export function dataDir(): string {
  return path.resolve(env().BASEKV_DATA_DIR ?? path.join(process.cwd(), ".data"));
}
