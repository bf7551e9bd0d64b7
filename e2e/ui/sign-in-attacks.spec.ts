/**
 * Issue #17, findings 5 and 6, performed as an attacker would: against the running production app,
 * over real HTTP, through Auth.js's own sign-in endpoint (GET /api/auth/csrf, then POST
 * /api/auth/callback/credentials — what the sign-in form's server action also ends in). Each test
 * connects from loopback addresses of its own (127.x.y.z: Linux routes all of 127/8 to the loopback
 * interface), so the server sees distinct TCP peers, and its per-address budget is the test's alone.
 * Password checks are counted from the database: every check that fails writes one
 * `auth.sign_in_failed` event, and nothing else does.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { E2E_SIGN_IN_ATTEMPTS_PER_MINUTE, E2E_TRUSTED_PROXY } from "../global-setup";
import { admin, printedLogin } from "../helpers";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const ADDRESS_LIMIT = E2E_SIGN_IN_ATTEMPTS_PER_MINUTE; // the e2e server's SIGN_IN_ATTEMPTS_PER_MINUTE
const LOCKOUT_MAX_FAILURES = 5; // lib/core/lockout.ts

/** A loopback address no other test (and not the browser, at 127.0.0.1) connects from. */
function ownLoopbackAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `127.${1 + (a! % 254)}.${b}.${1 + (c! % 254)}`;
}
const fresh = (label: string) => `${label}-${randomBytes(4).toString("hex")}@example.test`;

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

function send(
  method: string,
  path: string,
  options: { from: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: PORT,
        method,
        path,
        localAddress: options.from,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * One sign-in attempt through Auth.js's endpoint. Its answer is a redirect: to the callback URL when
 * signed in, else to the sign-in page with `code` = what authorize() threw (`credentials` for a wrong
 * password or unknown email, `locked`, `rate_limited`).
 */
async function attempt(input: { email: string; password: string; from: string; headers?: Record<string, string> }) {
  const csrf = await send("GET", "/api/auth/csrf", { from: input.from, headers: input.headers });
  expect(csrf.status).toBe(200);
  const cookie = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const reply = await send("POST", "/api/auth/callback/credentials", {
    from: input.from,
    headers: { ...input.headers, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: input.email, password: input.password, csrfToken, callbackUrl: "/" }).toString(),
  });
  expect(reply.status, reply.body).toBe(302);
  const location = new URL(reply.headers.location ?? "", `http://127.0.0.1:${PORT}`);
  return location.searchParams.get("error") ? (location.searchParams.get("code") ?? "error") : "signed_in";
}

async function withDb<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: printedLogin().databaseUrl });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

async function failedChecks(emails: string[]): Promise<Map<string, number>> {
  return withDb(async (db) => {
    const { rows } = await db.query<{ target: string; n: number }>(
      `SELECT target, count(*)::int AS n FROM audit_event
       WHERE action = 'auth.sign_in_failed' AND target = ANY($1) GROUP BY target`,
      [emails],
    );
    return new Map(emails.map((e) => [e, rows.find((r) => r.target === e)?.n ?? 0]));
  });
}

/**
 * The per-address budget is per calendar minute (lib/core/address-limit.ts): a burst that straddled two
 * minutes would get two budgets. Bursts here take a second or two; start them with 30 s of the minute left.
 */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 30_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

const tally = (codes: string[]) =>
  codes.reduce<Record<string, number>>((acc, code) => ({ ...acc, [code]: (acc[code] ?? 0) + 1 }), {});

test.describe.configure({ timeout: 180_000 });

test("24 parallel sign-ins for one account run at most 5 password checks, and the right password is then refused (finding 5)", async () => {
  const email = fresh("raced");
  const password = `right-${randomBytes(8).toString("hex")}`;
  await admin("user", "create", "--email", email, "--password", password, "--workspace", "demo", "--role", "viewer");
  // Four source addresses, six attempts each: the per-address limit is not what stops them.
  const sources = Array.from({ length: 4 }, ownLoopbackAddress);
  const codes = await Promise.all(
    Array.from({ length: 24 }, (_, i) => attempt({ email, password: `guess-${i}`, from: sources[i % 4]! })),
  );

  expect((await failedChecks([email])).get(email)).toBe(LOCKOUT_MAX_FAILURES);
  expect(tally(codes)).toEqual({ credentials: LOCKOUT_MAX_FAILURES - 1, locked: 24 - (LOCKOUT_MAX_FAILURES - 1) });
  expect(await attempt({ email, password, from: sources[0]! })).toBe("locked");
  expect((await failedChecks([email])).get(email)).toBe(LOCKOUT_MAX_FAILURES);
});

test("one address spraying fresh emails gets its per-minute number of password checks, however it spoofs its address (finding 6)", async () => {
  const from = ownLoopbackAddress();
  const emails = Array.from({ length: ADDRESS_LIMIT + 6 }, () => fresh("spray"));
  await freshWindow();
  const codes = await Promise.all(
    emails.map((email) => {
      // A client-sent X-Forwarded-For and a client-sent copy of the server's own peer header: both ignored.
      const spoofed = `203.0.113.${randomBytes(1)[0]}`;
      return attempt({
        email,
        password: "Winter2026!",
        from,
        headers: { "x-forwarded-for": spoofed, "x-basekv-peer-address": spoofed },
      });
    }),
  );
  expect(tally(codes)).toEqual({ credentials: ADDRESS_LIMIT, rate_limited: 6 });
  // Exactly one password check per attempt let through, none for a refused one.
  const checks = await failedChecks(emails);
  expect(emails.filter((e, i) => checks.get(e) !== (codes[i] === "credentials" ? 1 : 0))).toEqual([]);

  // The refusal is audited once, under the real peer address; checked attempts record that address too.
  await withDb(async (db) => {
    const limited = await db.query(
      `SELECT details FROM audit_event WHERE action = 'auth.sign_in_rate_limited' AND target = $1`,
      [from],
    );
    expect(limited.rows).toHaveLength(1);
    const failed = await db.query<{ ip: string }>(
      `SELECT details->>'ip' AS ip FROM audit_event WHERE action = 'auth.sign_in_failed' AND target = ANY($1)`,
      [emails],
    );
    expect(new Set(failed.rows.map((r) => r.ip))).toEqual(new Set([from]));
  });

  // Another address is unaffected.
  expect(await attempt({ email: fresh("other"), password: "x", from: ownLoopbackAddress() })).toBe("credentials");
});

test("behind a trusted proxy, each client behind it has its own budget, and what a client wrote is ignored (TRUSTED_PROXIES)", async () => {
  // Distinct clients through the proxy: all checked, each audited with its own address.
  const clients = Array.from({ length: ADDRESS_LIMIT + 1 }, (_, i) => `198.51.100.${i + 1}`);
  const emails = clients.map(() => fresh("proxied"));
  await freshWindow();
  const codes = await Promise.all(
    clients.map((client, i) =>
      attempt({
        email: emails[i]!,
        password: "x",
        from: E2E_TRUSTED_PROXY,
        // The client claimed 6.6.6.6; the proxy appended the address it saw.
        headers: { "x-forwarded-for": `6.6.6.6, ${client}` },
      }),
    ),
  );
  expect(codes).toEqual(new Array(clients.length).fill("credentials"));
  await withDb(async (db) => {
    const { rows } = await db.query<{ target: string; ip: string }>(
      `SELECT target, details->>'ip' AS ip FROM audit_event WHERE action = 'auth.sign_in_failed' AND target = ANY($1)`,
      [emails],
    );
    expect(new Map(rows.map((r) => [r.target, r.ip]))).toEqual(new Map(emails.map((e, i) => [e, clients[i]])));
  });

  // One client through the proxy: limited like any other address.
  const client = `198.51.100.${200 + (randomBytes(1)[0]! % 50)}`;
  await freshWindow();
  const one = await Promise.all(
    Array.from({ length: ADDRESS_LIMIT + 1 }, () =>
      attempt({ email: fresh("one"), password: "x", from: E2E_TRUSTED_PROXY, headers: { "x-forwarded-for": client } }),
    ),
  );
  expect(tally(one)).toEqual({ credentials: ADDRESS_LIMIT, rate_limited: 1 });
});
