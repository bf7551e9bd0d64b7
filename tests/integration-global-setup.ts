import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createFreshDatabase } from "@/scripts/lib/test-database";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app's own role (as in production). */
    databaseUrl: string;
    /** The database's owner: for tests that play a database administrator. */
    databaseOwnerUrl: string;
    databaseServerUrl: string;
    /** This run's audit signing key and anchor file (issue #18): shared by every test file, like the database. */
    auditSigningKey: string;
    auditAnchorFile: string;
    /** BASEKV_DATA_DIR of the run (a rotated key's file goes there, never into the checkout's .data/). */
    dataDir: string;
  }
}

export default async function setup(project: TestProject) {
  const db = await createFreshDatabase("int");
  project.provide("databaseUrl", db.url);
  project.provide("databaseOwnerUrl", db.ownerUrl);
  project.provide("databaseServerUrl", db.serverUrl);
  const { privateKey } = generateKeyPairSync("ed25519");
  project.provide("auditSigningKey", privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url"));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "basekv-int-data-"));
  project.provide("dataDir", dataDir);
  const anchorFile = path.join(dataDir, `audit-anchors-${randomBytes(6).toString("hex")}.ndjson`);
  project.provide("auditAnchorFile", anchorFile);
  return async () => {
    const { disconnectDb } = await import("@/lib/server/db");
    await disconnectDb();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
