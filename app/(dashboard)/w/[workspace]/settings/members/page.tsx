import type { Metadata } from "next";
import { formatDistanceToNowStrict } from "date-fns";
import { requireRole } from "@/lib/server/auth/session";
import { listMembers } from "@/lib/server/members/list-members";
import { AddMemberForm } from "@/components/members/add-member-form";
import { MemberRoleForm } from "@/components/members/member-role-form";
import { RemoveMemberDialog } from "@/components/members/remove-member-dialog";
import { SignOutMemberDialog } from "@/components/members/sign-out-member-dialog";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { addMemberAction, changeMemberRoleAction, removeMemberAction, signOutMemberEverywhereAction } from "./actions";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, user } = await requireRole(slug, "members.manage");
  const members = await listMembers(workspace.id);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Members</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          People who can use the <strong>{workspace.name}</strong> dashboard, and what each may do. Every change is
          audited.
        </p>
      </div>
      <Card>
        <h2 className="mb-4 text-base font-semibold">Add a member</h2>
        <AddMemberForm workspace={workspace.slug} action={addMemberAction} />
      </Card>
      <Table aria-label="Members">
        <thead>
          <tr>
            <Th>Member</Th>
            <Th>Role</Th>
            <Th title="When they last opened this workspace">Last seen here</Th>
            <Th className="text-right">Actions</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
          {members.map((m) => (
            <tr key={m.id}>
              <Td>
                <div className="font-medium">{m.email}</div>
                <div className="text-xs text-zinc-500">
                  {m.name ?? ""} {m.id === user.id ? <Badge tone="info">you</Badge> : null}
                </div>
              </Td>
              <Td>
                <MemberRoleForm
                  workspace={workspace.slug}
                  userId={m.id}
                  email={m.email}
                  role={m.role}
                  action={changeMemberRoleAction}
                />
              </Td>
              <Td className="text-zinc-500">
                {m.lastSeenHere ? formatDistanceToNowStrict(m.lastSeenHere, { addSuffix: true }) : "never"}
              </Td>
              <Td className="text-right">
                <div className="flex items-start justify-end gap-1">
                  <SignOutMemberDialog
                    action={signOutMemberEverywhereAction}
                    workspace={workspace.slug}
                    userId={m.id}
                    email={m.email}
                    isYou={m.id === user.id}
                  />
                  <RemoveMemberDialog
                    workspace={workspace.slug}
                    userId={m.id}
                    email={m.email}
                    action={removeMemberAction}
                  />
                </div>
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
