import type { Metadata } from "next";
import { requireUser } from "@/lib/server/auth/session";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { signOutAction } from "@/app/auth-actions";
import { PasswordForm } from "./password-form";

export const metadata: Metadata = { title: "Change password" };

export default async function ChangePasswordPage() {
  const user = await requireUser();
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm space-y-4">
        <h1 className="text-2xl font-semibold">Choose your password</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {user.mustChangePassword
            ? "You signed in with a one-time password. Choose your own to continue."
            : `Change the password of ${user.email}.`}
        </p>
        <PasswordForm />
        {/* On a one-time password this page is all there is; signing out is the other way out. */}
        {user.mustChangePassword ? (
          <div className="flex justify-center">
            <SignOutButton action={signOutAction} />
          </div>
        ) : null}
      </div>
    </main>
  );
}
