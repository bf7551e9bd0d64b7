import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { listIdentities } from "@/lib/server/identities/list-identities";
import { listWorkflowClasses } from "@/lib/server/workflow-classes/list-workflow-classes";
import { CreateIdentityForm } from "@/components/identity/create-identity-form";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { createIdentityAction } from "./actions";

export const metadata: Metadata = { title: "Identities" };

export default async function IdentitiesPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, role } = await requireRole(slug);
  const [identities, classes] = await Promise.all([listIdentities(workspace.id), listWorkflowClasses(workspace.id)]);
  const canEdit = can(role, "workspace.configure");
  return (
    <div className="space-y-6">
      <PageHeader
        title="Machine identities"
        description="Each agent runs as an identity of one workflow class, with grants on namespaces and short-lived keys. There is no admin key for agents."
      />
      {canEdit ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">New identity</h2>
          {classes.length === 0 ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              Create a{" "}
              <Link className="text-indigo-600 hover:underline" href={`/w/${workspace.slug}/workflows`}>
                workflow class
              </Link>{" "}
              first: every identity belongs to one.
            </p>
          ) : (
            <CreateIdentityForm
              workspace={workspace.slug}
              classes={classes.map((c) => c.name)}
              action={createIdentityAction}
            />
          )}
        </Card>
      ) : null}
      {identities.length === 0 ? (
        <EmptyState title="No identities yet">An admin creates an identity per agent, then issues it a key.</EmptyState>
      ) : (
        <Table aria-label="Identities">
          <thead>
            <tr>
              <Th>Identity</Th>
              <Th>Workflow class</Th>
              <Th>Grants</Th>
              <Th>Active keys</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {identities.map((i) => (
              <tr key={i.id}>
                <Td>
                  <Link
                    href={`/w/${workspace.slug}/identities/${i.id}`}
                    className="font-medium text-indigo-600 hover:underline"
                  >
                    {i.name}
                  </Link>
                </Td>
                <Td className="font-mono text-xs">{i.workflowClass.name}</Td>
                <Td className="space-x-1 font-mono text-xs">
                  {i.grants.length
                    ? i.grants.map((g) => <Badge key={g.pattern}>{`${g.pattern}:${g.access}`}</Badge>)
                    : "none"}
                </Td>
                <Td>{i._count.credentials}</Td>
                <Td>
                  <Badge tone={i.status === "active" ? "good" : "bad"}>{i.status}</Badge>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
