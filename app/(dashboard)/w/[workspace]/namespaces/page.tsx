import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/core/roles";
import { formatSeconds } from "@/lib/format";
import { requireRole } from "@/lib/server/auth/session";
import { listNamespaces } from "@/lib/server/namespaces/list-namespaces";
import { CreateNamespaceForm, EditNamespaceDialog } from "@/components/identity/namespace-forms";
import { Card } from "@/components/ui/card";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { createNamespaceAction, updateNamespaceAction } from "./actions";

export const metadata: Metadata = { title: "Namespaces" };

export default async function NamespacesPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, role } = await requireRole(slug);
  const namespaces = await listNamespaces(workspace.id);
  const canEdit = can(role, "workspace.configure");
  return (
    <div className="space-y-6">
      <PageHeader
        title="Namespaces"
        description="Where agents keep their state. Agents never create namespaces: an admin does, with a TTL policy for temporary artifacts."
      />
      {canEdit ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">New namespace</h2>
          <CreateNamespaceForm workspace={workspace.slug} action={createNamespaceAction} />
        </Card>
      ) : null}
      {namespaces.length === 0 ? (
        <EmptyState title="No namespaces yet">
          {canEdit
            ? "Create one above, then grant identities access to it."
            : "An admin creates namespaces and grants identities access to them."}
        </EmptyState>
      ) : (
        <Table aria-label="Namespaces">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Description</Th>
              <Th>Default TTL</Th>
              <Th>Maximum TTL</Th>
              {canEdit ? <Th className="text-right">Actions</Th> : null}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {namespaces.map((ns) => (
              <tr key={ns.id}>
                <Td className="font-mono text-xs">
                  <Link href={`/w/${workspace.slug}/namespaces/${ns.id}`} className="text-indigo-600 hover:underline">
                    {ns.name}
                  </Link>
                </Td>
                <Td>{ns.description ?? "—"}</Td>
                <Td>{formatSeconds(ns.defaultTtlSeconds)}</Td>
                <Td>{formatSeconds(ns.maxTtlSeconds)}</Td>
                {canEdit ? (
                  <Td className="text-right">
                    <EditNamespaceDialog workspace={workspace.slug} namespace={ns} action={updateNamespaceAction} />
                  </Td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
