import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Local state: embedded database, generated secrets, first-run login. The e2e suite points it elsewhere. */
export const DATA_DIR = process.env.BASEKV_DATA_DIR
  ? path.resolve(process.env.BASEKV_DATA_DIR)
  : path.join(ROOT, ".data");

/** The web server (Next.js plus the agent API's own lane): `node SERVER_SCRIPT --port N [--dev]`. */
export const SERVER_SCRIPT = path.join(ROOT, "scripts", "server.mjs");
