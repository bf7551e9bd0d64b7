/**
 * Server actions need a signed-in user, and Auth.js's `auth()` needs a Next.js
 * request. Tests swap only the cookie jar: `session.userId = id` signs that user
 * in (through the real `jwt` callback, which starts a real row of user_session),
 * and every `auth()` runs the real callbacks on that token — so an ended
 * session is refused here as in the app; every check after it — membership,
 * role, one-time password, denial audit — runs for real against the database.
 *
 *   vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
 *   vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
 */
import type { JWT } from "next-auth/jwt";
import { describeSession, sessionJwtCallback, sessionSignOutEvent } from "@/lib/server/auth/user-sessions";

let signedIn: string | null = null;
let token: JWT | null = null;

export const session = {
  get userId(): string | null {
    return signedIn;
  },
  /** Signs `id` in afresh (a new session), or out (null). */
  set userId(id: string | null) {
    signedIn = id;
    token = null;
  },
  /** This browser's token, to keep it across another sign-in (a second browser) and come back to it. */
  get token(): JWT | null {
    return token;
  },
  set token(value: JWT | null) {
    token = value;
    signedIn = value?.sub ?? null;
  },
};

export async function auth() {
  if (!signedIn) return null;
  token ??= await sessionJwtCallback({ token: { sub: signedIn }, user: { id: signedIn }, trigger: "signIn" });
  const checked = token ? await sessionJwtCallback({ token }) : null;
  if (!checked) return null;
  return describeSession({ user: {}, expires: new Date(Date.now() + 3_600_000).toISOString() }, checked);
}

/** Auth.js's sign-out: its signOut event, then the cookie is cleared. */
export async function signOut(): Promise<void> {
  await sessionSignOutEvent({ token });
  signedIn = null;
  token = null;
}

export function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}
