import { redirect } from "next/navigation";
import { requireUser } from "@/lib/server/auth/session";
import { listUserWorkspaces } from "@/lib/server/workspaces/list-user-workspaces";
import { Card } from "@/components/ui/card";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { signOutAction } from "./auth-actions";

export default async function Home() {
  const user = await requireUser();
  if (user.mustChangePassword) redirect("/account/password");
  const workspaces = await listUserWorkspaces(user.id);
  if (workspaces[0]) redirect(`/w/${workspaces[0].slug}`);
  return (
    <main className="mx-auto max-w-lg p-8">
      <Card>
        <h1 className="text-lg font-semibold">No workspace yet</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          You are signed in as {user.email} but belong to no workspace. Ask a workspace admin to add you under Settings
          → Members.
        </p>
        <div className="mt-4">
          <SignOutButton action={signOutAction} />
        </div>
      </Card>
    </main>
  );
}
