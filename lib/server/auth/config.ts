import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { env } from "@/lib/env";
import { signInSchema } from "@/lib/validations/auth";
import { clientAddressOf } from "./client-address";
import { describeSession, SESSION_MAX_AGE_SECONDS, sessionJwtCallback, sessionSignOutEvent } from "./user-sessions";
import { verifySignIn } from "./verify-sign-in";

export class AccountLockedError extends CredentialsSignin {
  code = "locked";
}

export class TooManyAttemptsError extends CredentialsSignin {
  code = "rate_limited";
}

// The config is a function so that AUTH_SECRET is read at request time, not at build time.
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: env().AUTH_SECRET,
  trustHost: true,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { email: { type: "email" }, password: { type: "password" } },
      async authorize(raw, request) {
        const parsed = signInSchema.safeParse(raw);
        if (!parsed.success) return null;
        // The TCP peer, or what a trusted proxy says (TRUSTED_PROXIES) — never a client's own header.
        const result = await verifySignIn({ ...parsed.data, clientAddress: clientAddressOf(request.headers) });
        if (result.ok) return result.user;
        if (result.reason === "locked") throw new AccountLockedError();
        if (result.reason === "rate_limited") throw new TooManyAttemptsError();
        return null;
      },
    }),
  ],
  // Each JWT names a row of user_session, checked on every request, so sessions can be ended (user-sessions.ts).
  callbacks: {
    jwt: sessionJwtCallback,
    session: ({ session, token }) => describeSession(session, token),
  },
  events: { signOut: sessionSignOutEvent },
}));
