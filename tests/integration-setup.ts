import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";

// Every integration test file talks to the fresh database of this run.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.TEST_DATABASE_SERVER_URL = inject("databaseServerUrl");
process.env.AUTH_SECRET ??= "integration-tests-auth-secret-0123456789abcdef";
// Local state (the first-run login file) of the tests' own, never the checkout's .data.
process.env.BASEKV_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), "basekv-integration-"));
