import { inject } from "vitest";

// Every integration test file talks to the fresh database of this run, as the app's own role.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.TEST_DATABASE_SERVER_URL = inject("databaseServerUrl");
process.env.TEST_DATABASE_OWNER_URL = inject("databaseOwnerUrl");
process.env.AUTH_SECRET ??= "integration-tests-auth-secret-0123456789abcdef";
process.env.AUDIT_SIGNING_KEY = inject("auditSigningKey");
process.env.AUDIT_ANCHOR_FILE = inject("auditAnchorFile");
process.env.BASEKV_DATA_DIR = inject("dataDir");
// The tests' webhook receivers listen on 127.0.0.1, which webhooks may not reach by default (SSRF).
// lib/server/webhooks/ssrf.integration.test.ts sets the production default back for itself.
process.env.WEBHOOK_ALLOWED_HOSTS ??= "127.0.0.1";
