import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getEntryDetail, getKeyHistory, getNamespaceById } from "@/lib/server/kv/browse";
import { DeleteEntryButton } from "@/components/kv/delete-entry-button";
import { Expiry } from "@/components/kv/expiry";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { deleteEntryAction } from "../actions";

export const metadata: Metadata = { title: "Key" };

export default async function EntryPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string; namespaceId: string }>;
  searchParams: Promise<{ key?: string }>;
}) {
  const { workspace: slug, namespaceId } = await params;
  const { key } = await searchParams;
  const { workspace, role } = await requireRole(slug);
  const namespace = await getNamespaceById(workspace.id, namespaceId);
  if (!namespace || !key) notFound();
  const [entry, history] = await Promise.all([
    getEntryDetail(namespace.id, key),
    getKeyHistory(workspace.id, namespace.name, key),
  ]);
  const back = `/w/${workspace.slug}/namespaces/${namespace.id}`;
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={back} className="text-indigo-600 hover:underline">
          ← {namespace.name}
        </Link>
      </p>
      <PageHeader
        title={key}
        description={
          <>
            in namespace <code className="font-mono">{namespace.name}</code>
          </>
        }
        actions={
          entry && can(role, "workspace.configure") ? (
            <DeleteEntryButton
              action={deleteEntryAction}
              workspace={workspace.slug}
              namespaceId={namespace.id}
              namespace={namespace.name}
              entryKey={key}
            />
          ) : null
        }
      />
      {entry ? (
        <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
          <Card>
            <h2 className="mb-3 text-base font-semibold">Value</h2>
            <pre
              data-testid="entry-value"
              className="max-h-[32rem] overflow-auto rounded bg-zinc-50 p-4 font-mono text-xs dark:bg-zinc-950"
            >
              {JSON.stringify(entry.value, null, 2)}
            </pre>
          </Card>
          <Card>
            <dl className="space-y-3 text-sm">
              <div>
                <dt className="text-zinc-500">Version</dt>
                <dd data-testid="entry-version" className="text-lg font-semibold">
                  {entry.version}
                </dd>
              </div>
              <div>
                <dt className="text-zinc-500">Expires</dt>
                <dd>
                  <Expiry at={entry.expiresAt?.toISOString() ?? null} />
                </dd>
              </div>
              <div>
                <dt className="text-zinc-500">Last writer</dt>
                <dd data-testid="entry-writer">
                  {entry.updatedByName ?? "—"} <span className="text-xs text-zinc-500">({entry.updatedByType})</span>
                </dd>
              </div>
              <div>
                <dt className="text-zinc-500">Reason</dt>
                <dd>{entry.updateReason ?? "—"}</dd>
              </div>
              <div>
                <dt className="text-zinc-500">Updated / created</dt>
                <dd className="text-xs">
                  {entry.updatedAt.toISOString()} / {entry.createdAt.toISOString()}
                </dd>
              </div>
            </dl>
          </Card>
        </div>
      ) : (
        <Card>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            This key does not exist now (never written, deleted or expired). Its history is below.
          </p>
        </Card>
      )}
      <Card>
        <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
          <h2 className="text-base font-semibold" id="history">
            History of this key
          </h2>
          {can(role, "audit.read") ? (
            <Link
              href={`/w/${workspace.slug}/audit?${new URLSearchParams({ namespace: namespace.name, target: key })}`}
              className="text-sm text-indigo-600 hover:underline"
            >
              Who changed this key and why →
            </Link>
          ) : null}
        </div>
        {history.length === 0 ? (
          <p className="text-sm text-zinc-500">No recorded changes.</p>
        ) : (
          <Table aria-label="History of this key">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Who</Th>
                <Th>What</Th>
                <Th>Versions</Th>
                <Th>Reason</Th>
                <Th>Correlation</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {history.map((e) => {
                const d = e.details as { versionBefore?: number | null; versionAfter?: number | null; code?: string };
                return (
                  <tr key={e.id}>
                    <Td className="whitespace-nowrap text-xs">
                      {e.createdAt.toISOString().replace("T", " ").slice(0, 19)}
                    </Td>
                    <Td>
                      {e.actorName ?? "—"} <span className="text-xs text-zinc-500">({e.actorType})</span>
                    </Td>
                    <Td>
                      <span className="font-mono text-xs">{e.action}</span>{" "}
                      {e.outcome !== "success" ? <Badge tone="bad">{d.code ?? e.outcome}</Badge> : null}
                    </Td>
                    <Td className="text-xs">
                      {"versionAfter" in d || "versionBefore" in d
                        ? `${d.versionBefore ?? "∅"} → ${d.versionAfter ?? "∅"}`
                        : "—"}
                    </Td>
                    <Td>{e.reason ?? "—"}</Td>
                    <Td className="font-mono text-xs">{e.correlationId ?? "—"}</Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </Card>
    </div>
  );
}
