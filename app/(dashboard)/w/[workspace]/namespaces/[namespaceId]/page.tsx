import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatSeconds } from "@/lib/format";
import { requireRole } from "@/lib/server/auth/session";
import { browseNamespace } from "@/lib/server/namespaces/browse-namespace";
import { Expiry } from "@/components/kv/expiry";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";

export const metadata: Metadata = { title: "Keys" };

export default async function KeyBrowserPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string; namespaceId: string }>;
  searchParams: Promise<{ prefix?: string; cursor?: string }>;
}) {
  const { workspace: slug, namespaceId } = await params;
  const { prefix = "", cursor } = await searchParams;
  const { workspace } = await requireRole(slug);
  const browsed = await browseNamespace({ workspaceId: workspace.id, namespaceId, prefix, cursor: cursor ?? null });
  if (!browsed) notFound();
  const { namespace, keys } = browsed;
  const base = `/w/${workspace.slug}/namespaces/${namespace.id}`;
  const entryHref = (key: string) => `${base}/entry?key=${encodeURIComponent(key)}`;
  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href={`/w/${workspace.slug}/namespaces`} className="text-indigo-600 hover:underline">
          ← Namespaces
        </Link>
      </p>
      <PageHeader
        title={namespace.name}
        description={`${namespace.description ?? "Keys in this namespace."} Default TTL ${formatSeconds(namespace.defaultTtlSeconds)}, maximum ${formatSeconds(namespace.maxTtlSeconds)}.`}
      />
      <form className="flex max-w-xl gap-2" role="search">
        <label htmlFor="prefix" className="sr-only">
          Key prefix
        </label>
        <Input id="prefix" name="prefix" defaultValue={prefix} placeholder="Key prefix, e.g. checkpoint/" />
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      {keys.items.length === 0 ? (
        <EmptyState title={prefix ? `No keys starting with “${prefix}”` : "No keys yet"}>
          Agents write keys with <code className="font-mono">PUT /api/v1/kv/{namespace.name}/&#123;key&#125;</code>.
          Expired keys are not shown.
        </EmptyState>
      ) : (
        <Table aria-label="Keys">
          <thead>
            <tr>
              <Th>Key</Th>
              <Th>Version</Th>
              <Th>Expires</Th>
              <Th>Last writer</Th>
              <Th>Updated</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {keys.items.map((item) => (
              <tr key={item.key}>
                <Td className="max-w-md truncate font-mono text-xs">
                  <Link href={entryHref(item.key)} className="text-indigo-600 hover:underline">
                    {item.key}
                  </Link>
                </Td>
                <Td>{item.version}</Td>
                <Td>
                  <Expiry at={item.expiresAt?.toISOString() ?? null} />
                </Td>
                <Td>
                  {item.updatedByName ?? "—"} <span className="text-xs text-zinc-500">({item.updatedByType})</span>
                </Td>
                <Td title={item.updatedAt.toISOString()}>
                  {item.updatedAt.toISOString().replace("T", " ").slice(0, 19)}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <div className="flex gap-3 text-sm">
        {cursor ? (
          <Link className="text-indigo-600 hover:underline" href={`${base}?prefix=${encodeURIComponent(prefix)}`}>
            ← First page
          </Link>
        ) : null}
        {keys.nextCursor ? (
          <Link
            className="text-indigo-600 hover:underline"
            href={`${base}?prefix=${encodeURIComponent(prefix)}&cursor=${keys.nextCursor}`}
          >
            Next page →
          </Link>
        ) : null}
      </div>
    </div>
  );
}
