import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getDb } from "@/lib/server/db";
import { getIdentity } from "@/lib/server/identities/list-identities";
import { CredentialsPanel } from "@/components/identity/credentials-panel";
import { EditGrantsForm, IdentityStatusButton } from "@/components/identity/identity-admin";
import { PolicySimulator } from "@/components/identity/policy-simulator";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import {
  issueCredentialAction,
  revokeCredentialAction,
  rotateCredentialAction,
  setGrantsAction,
  setIdentityStatusAction,
} from "../actions";

const KEY_ACTIONS = { issue: issueCredentialAction, rotate: rotateCredentialAction, revoke: revokeCredentialAction };

export const metadata: Metadata = { title: "Identity" };

export default async function IdentityPage({ params }: { params: Promise<{ workspace: string; identityId: string }> }) {
  const { workspace: slug, identityId } = await params;
  const { workspace, role } = await requireRole(slug);
  const identity = await getIdentity(workspace.id, identityId);
  if (!identity) notFound();
  const { maxKeyTtlSeconds } = await getDb().workspace.findUniqueOrThrow({
    where: { id: workspace.id },
    select: { maxKeyTtlSeconds: true },
  });
  const canEdit = can(role, "workspace.configure");
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={`/w/${workspace.slug}/identities`} className="text-indigo-600 hover:underline">
          ← Identities
        </Link>
      </p>
      <PageHeader
        title={identity.name}
        description={
          <>
            Workflow class <code className="font-mono">{identity.workflowClass.name}</code>
            {identity.description ? ` · ${identity.description}` : ""}
          </>
        }
        actions={
          <div className="flex items-center gap-3">
            <Badge tone={identity.status === "active" ? "good" : "bad"}>{identity.status}</Badge>
            {canEdit ? (
              <IdentityStatusButton
                action={setIdentityStatusAction}
                workspace={workspace.slug}
                identityId={identity.id}
                name={identity.name}
                status={identity.status}
              />
            ) : null}
          </div>
        }
      />
      {identity.status === "disabled" ? (
        <Alert tone="error">
          Disabled{identity.statusReason ? `: ${identity.statusReason}` : ""}. Its keys get 401.
        </Alert>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-base font-semibold">Grants</h2>
          {canEdit ? (
            <EditGrantsForm
              action={setGrantsAction}
              workspace={workspace.slug}
              identityId={identity.id}
              grantsText={identity.grants.map((g) => `${g.pattern}:${g.access}`).join("\n")}
            />
          ) : (
            <ul className="space-y-1 font-mono text-sm">
              {identity.grants.length ? (
                identity.grants.map((g) => <li key={g.pattern}>{`${g.pattern}:${g.access}`}</li>)
              ) : (
                <li>none</li>
              )}
            </ul>
          )}
        </Card>
        <Card>
          <h2 className="mb-1 text-base font-semibold">Policy simulator</h2>
          <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
            May this identity read or write a namespace? The same rule the API applies.
          </p>
          <PolicySimulator grants={identity.grants} status={identity.status} />
        </Card>
      </div>
      <Card>
        <h2 className="mb-3 text-base font-semibold">Keys</h2>
        <CredentialsPanel
          actions={KEY_ACTIONS}
          workspace={workspace.slug}
          identityId={identity.id}
          canEdit={canEdit}
          identityActive={identity.status === "active"}
          maxKeyTtlSeconds={maxKeyTtlSeconds}
          credentials={identity.credentials.map((c) => ({
            ...c,
            createdAt: c.createdAt.toISOString(),
            expiresAt: c.expiresAt.toISOString(),
            lastUsedAt: iso(c.lastUsedAt),
            revokedAt: iso(c.revokedAt),
          }))}
        />
      </Card>
    </div>
  );
}
