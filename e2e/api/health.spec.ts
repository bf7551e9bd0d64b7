import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { expect, test } from "./fixtures";
import { freePort } from "../../scripts/lib/ports";

test("GET /api/health answers 200 with the database ok", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({
    status: "ok",
    database: "ok",
    // The public half of the audit signing key, for auditors to pin (issue #18).
    auditSigningKey: { keyId: expect.stringMatching(/^[0-9a-f]{16}$/), publicKey: expect.stringMatching(/^[\w-]{43}$/) },
  });
  expect(response.headers()["cache-control"]).toContain("no-store");
});

test("every response carries the security headers", async ({ request }) => {
  // JSON runs nothing; a page runs only its own nonce'd scripts (e2e/ui/content-security-policy.spec.ts).
  for (const [url, defaultSrc] of [
    ["/api/health", "default-src 'none'"],
    ["/login", "default-src 'self'"],
  ] as const) {
    const headers = (await request.get(url)).headers();
    expect(headers["content-security-policy"], url).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"], url).toContain(defaultSrc);
    expect(headers["x-content-type-options"], url).toBe("nosniff");
    expect(headers["referrer-policy"], url).toBe("strict-origin-when-cross-origin");
    expect(headers["x-powered-by"], url).toBeUndefined();
  }
});

test("signed-out visitors of the dashboard are sent to /login", async ({ request }) => {
  const response = await request.get("/w/demo/settings/members", { maxRedirects: 0 });
  expect(response.status()).toBe(307);
  expect(response.headers().location).toMatch(/\/login\?next=%2Fw%2Fdemo%2Fsettings%2Fmembers$/);
});

test.describe("with the database gone", () => {
  let server: ChildProcess;
  let port: number;

  test.beforeAll(async () => {
    port = await freePort();
    const deadPort = await freePort(); // nothing listens there
    server = spawn(
      process.execPath,
      [path.join("node_modules", "next", "dist", "bin", "next"), "start", "--port", String(port)],
      {
        env: {
          ...process.env,
          NODE_ENV: "production",
          DATABASE_URL: `postgresql://postgres:x@127.0.0.1:${deadPort}/gone`,
          AUTH_SECRET: "e2e-health-secret-e2e-health-secret-0123",
        },
        stdio: "ignore",
      },
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        await fetch(`http://127.0.0.1:${port}/login`);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error("the second server did not start");
  });

  test.afterAll(() => {
    server?.kill("SIGTERM");
  });

  test("GET /api/health answers 503 with database down, and no internals", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ status: "error", database: "down", auditSigningKey: null });
    expect(body).not.toMatch(/ECONNREFUSED|postgres|stack/i);
  });
});
