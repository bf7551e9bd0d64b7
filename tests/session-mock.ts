/**
 * Server actions need a signed-in user, and Auth.js's `auth()` needs a Next.js
 * request. Tests swap only that session source (who is signed in); every check
 * after it — membership, role, denial audit — runs for real against the database.
 *
 *   vi.mock("@/lib/server/auth/config", () => import("@/tests/session-mock"));
 *   vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
 */
export const session = { userId: null as string | null };

export async function auth() {
  return session.userId ? { user: { id: session.userId } } : null;
}

/** Auth.js's sign-out clears the session cookie; here, the mocked session. */
export async function signOut(): Promise<void> {
  session.userId = null;
}

export function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
}
