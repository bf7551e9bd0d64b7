import { inject } from "vitest";

// Every integration test file talks to the fresh database of this run.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.TEST_DATABASE_SERVER_URL = inject("databaseServerUrl");
process.env.AUTH_SECRET ??= "integration-tests-auth-secret-0123456789abcdef";
