import { inject } from "vitest";

// Every integration test file talks to the fresh database of this run, as the app's own role.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.TEST_DATABASE_SERVER_URL = inject("databaseServerUrl");
process.env.TEST_DATABASE_OWNER_URL = inject("databaseOwnerUrl");
process.env.AUTH_SECRET ??= "integration-tests-auth-secret-0123456789abcdef";
process.env.AUDIT_SIGNING_KEY = inject("auditSigningKey");
process.env.AUDIT_ANCHOR_FILE = inject("auditAnchorFile");
process.env.BASEKV_DATA_DIR = inject("dataDir");
