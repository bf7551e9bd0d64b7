"use server";

import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { AppError } from "@/lib/core/errors";
import { signIn, signOut } from "@/lib/server/auth/config";
import { getCurrentUser } from "@/lib/server/auth/session";
import { endSession } from "@/lib/server/auth/user-sessions";
import { changePassword } from "@/lib/server/users/change-password";
import type { ActionState } from "@/lib/action-state";
import { changePasswordSchema, signInSchema } from "@/lib/validations/auth";
import { z } from "zod";

export async function signInAction(_prev: ActionState | undefined, formData: FormData): Promise<ActionState> {
  const parsed = signInSchema.safeParse({ email: formData.get("email"), password: formData.get("password") });
  if (!parsed.success) {
    return {
      ok: false,
      message: "Enter your email and password.",
      fieldErrors: z.flattenError(parsed.error).fieldErrors,
    };
  }
  const next = String(formData.get("next") ?? "/");
  // Only same-site paths: an open redirect after sign-in is a phishing aid.
  const redirectTo = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  try {
    await signIn("credentials", { ...parsed.data, redirectTo });
  } catch (error) {
    if (error instanceof AuthError) {
      const code = (error as AuthError & { code?: string }).code;
      if (code === "locked") {
        return {
          ok: false,
          message:
            "Too many failed sign-ins for this email. It is locked for 15 minutes; try again later or ask an admin.",
        };
      }
      if (code === "rate_limited") {
        return { ok: false, message: "Too many sign-in attempts from your network. Wait a minute and try again." };
      }
      return { ok: false, message: "Wrong email or password." };
    }
    throw error; // the redirect after a successful sign-in
  }
  return { ok: true, message: null };
}

export async function signOutAction(): Promise<void> {
  const user = await getCurrentUser();
  // Ends this session in the database (audited) before the cookie is cleared: a copy of the
  // cookie must stop working too. The person's other browsers stay signed in.
  if (user) await endSession(user.sessionId);
  await signOut({ redirectTo: "/login" });
}

export async function changePasswordAction(_prev: ActionState | undefined, formData: FormData): Promise<ActionState> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  const parsed = changePasswordSchema.safeParse(Object.fromEntries(formData));
  if (!parsed.success) {
    return {
      ok: false,
      message: "Check the highlighted fields.",
      fieldErrors: z.flattenError(parsed.error).fieldErrors,
    };
  }
  try {
    await changePassword({
      userId: user.id,
      sessionId: user.sessionId,
      currentPassword: parsed.data.currentPassword,
      newPassword: parsed.data.newPassword,
    });
  } catch (error) {
    if (error instanceof AppError) {
      return { ok: false, message: error.message, fieldErrors: { currentPassword: [error.message] } };
    }
    throw error;
  }
  redirect("/");
}
