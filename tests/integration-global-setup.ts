import type { TestProject } from "vitest/node";
import { createFreshDatabase } from "@/scripts/lib/test-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseServerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const db = await createFreshDatabase("int");
  project.provide("databaseUrl", db.url);
  project.provide("databaseServerUrl", db.serverUrl);
  return async () => {
    const { disconnectDb } = await import("@/lib/server/db");
    await disconnectDb();
    await db.drop();
  };
}
