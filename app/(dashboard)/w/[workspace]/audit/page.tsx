import { formatDistanceStrict } from "date-fns";
import type { Metadata } from "next";
import Link from "next/link";
import { decodeAuditCursor, encodeAuditCursor } from "@/lib/core/audit-export";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { resolveEventLinks } from "@/lib/server/audit-trail/event-links";
import { searchAudit } from "@/lib/server/audit-trail/search-audit";
import { signingStatus } from "@/lib/server/audit-trail/signing-status";
import {
  ACTOR_TYPES,
  AUDIT_OUTCOMES,
  auditFilterParams,
  auditFilterSchema,
  type AuditFilter,
} from "@/lib/validations/audit";
import { EventDrawer } from "@/components/audit/event-drawer";
import { VerifyButton } from "@/components/audit/verify-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { verifyAuditChainAction } from "./actions";

export const metadata: Metadata = { title: "Audit trail" };

const TEXT_FILTERS: [keyof AuditFilter, string, string][] = [
  ["actor", "Actor", "email, identity or job"],
  ["action", "Action", "kv.put or kv.*"],
  ["namespace", "Namespace", ""],
  ["target", "Target key", "key, task or key id"],
  ["correlation", "Correlation id", ""],
  ["q", "Reason contains", ""],
];

const day = (d: Date | undefined) => (d ? d.toISOString().slice(0, 10) : "");

export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspace: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { workspace: slug } = await params;
  const raw = Object.fromEntries(
    Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
  ) as Record<string, string | undefined>;
  const { workspace, role } = await requireRole(slug, "audit.read");
  const parsed = auditFilterSchema.safeParse(raw);
  const filter: AuditFilter = parsed.success ? parsed.data : {};
  const cursor = decodeAuditCursor(raw.cursor);
  const page = await searchAudit(workspace.id, filter, { cursor, limit: 50 });
  const links = await resolveEventLinks(workspace, page.items);
  const signing = await signingStatus(workspace.id);
  const now = new Date();
  const base = `/w/${workspace.slug}/audit`;
  const params_ = auditFilterParams(filter);
  const next = page.nextCursor
    ? `${base}?${new URLSearchParams([...params_, ["cursor", encodeAuditCursor(page.nextCursor)]])}`
    : null;
  const exportHref = (fmt: string) => `${base}/export?${new URLSearchParams([...params_, ["format", fmt]])}`;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Audit trail"
        description="Every change and every refusal, by people, agents, the CLI and the system — append-only and sealed in a hash chain per workspace."
        actions={
          <div className="flex flex-wrap items-start gap-2">
            {can(role, "audit.export")
              ? (["ndjson", "csv"] as const).map((fmt) => (
                  <a
                    key={fmt}
                    href={exportHref(fmt)}
                    download
                    className="inline-flex h-10 items-center rounded-md border border-zinc-300 bg-white px-4 text-sm font-medium text-zinc-900 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800"
                  >
                    Export {fmt.toUpperCase()}
                  </a>
                ))
              : null}
            {can(role, "audit.verify") ? (
              <VerifyButton workspace={workspace.slug} action={verifyAuditChainAction} />
            ) : null}
          </div>
        }
      />
      <section
        aria-label="Signed checkpoints"
        className="rounded-md border border-zinc-200 px-4 py-3 text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400"
      >
        {signing.key ? (
          <p>
            Checkpoints are signed with Ed25519 key <code className="font-mono">{signing.key.keyId}</code> and anchored
            outside the database. Pin its public key to verify them yourself:{" "}
            <code data-testid="audit-public-key" className="break-all font-mono text-xs">
              {signing.key.publicKey}
            </code>{" "}
            (also in <code className="font-mono">/api/health</code>).{" "}
            {signing.lastCheckpoint
              ? `Latest checkpoint: #${signing.lastCheckpoint.seq}, ${formatDistanceStrict(signing.lastCheckpoint.at, now, { addSuffix: true })}.`
              : "No checkpoint yet."}
          </p>
        ) : (
          <p>No audit signing key is configured (AUDIT_SIGNING_KEY): the chain is not checkpointed.</p>
        )}
      </section>
      <form className="flex flex-wrap items-end gap-3" role="search" aria-label="Audit search">
        {TEXT_FILTERS.map(([name, label, placeholder]) => (
          <div key={name}>
            <label htmlFor={`f-${name}`} className="mb-1 block text-xs font-medium text-zinc-500">
              {label}
            </label>
            <Input
              id={`f-${name}`}
              name={name}
              defaultValue={(filter[name] as string | undefined) ?? ""}
              placeholder={placeholder}
              className="w-44"
            />
          </div>
        ))}
        <div>
          <label htmlFor="f-actorType" className="mb-1 block text-xs font-medium text-zinc-500">
            Actor type
          </label>
          <Select id="f-actorType" name="actorType" defaultValue={filter.actorType ?? ""} className="w-36">
            <option value="">any</option>
            {ACTOR_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-outcome" className="mb-1 block text-xs font-medium text-zinc-500">
            Outcome
          </label>
          <Select id="f-outcome" name="outcome" defaultValue={filter.outcome ?? ""} className="w-36">
            <option value="">any</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-from" className="mb-1 block text-xs font-medium text-zinc-500">
            From (UTC)
          </label>
          <Input id="f-from" name="from" type="date" defaultValue={day(filter.from)} />
        </div>
        <div>
          <label htmlFor="f-to" className="mb-1 block text-xs font-medium text-zinc-500">
            To (UTC)
          </label>
          <Input id="f-to" name="to" type="date" defaultValue={day(filter.to)} />
        </div>
        <Button type="submit" variant="secondary">
          Search
        </Button>
        {params_.size ? (
          <Link href={base} className="self-center text-sm text-indigo-600 hover:underline">
            Clear
          </Link>
        ) : null}
      </form>
      {!parsed.success ? <Alert tone="warning">Some filters were not understood and were ignored.</Alert> : null}
      {page.items.length === 0 ? (
        <EmptyState title="No events match">Widen the time range or clear a filter.</EmptyState>
      ) : (
        <Table aria-label="Audit events">
          <thead>
            <tr>
              <Th>When (UTC)</Th>
              <Th>Actor</Th>
              <Th>Action</Th>
              <Th>Namespace / target</Th>
              <Th>Reason</Th>
              <Th>
                <span className="sr-only">Details</span>
              </Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {page.items.map((e) => (
              <tr key={e.id}>
                <Td className="whitespace-nowrap text-xs">
                  <time dateTime={e.createdAt} title={e.createdAt}>
                    {e.createdAt.replace("T", " ").slice(0, 19)}
                  </time>
                  <span className="block text-zinc-500">
                    {formatDistanceStrict(new Date(e.createdAt), now, { addSuffix: true })}
                  </span>
                </Td>
                <Td className="max-w-48 truncate" title={e.actorName ?? undefined}>
                  {e.actorName ?? "—"}
                  <span className="block text-xs text-zinc-500">{e.actorType}</span>
                </Td>
                <Td>
                  <span className="font-mono text-xs">{e.action}</span>{" "}
                  {e.outcome !== "success" ? <Badge tone="bad">{e.outcome}</Badge> : null}
                </Td>
                <Td className="max-w-44 truncate text-xs">
                  {e.namespace ? <code className="font-mono">{e.namespace}</code> : null}
                  {e.namespace && e.target ? " / " : null}
                  {e.target ?? (e.namespace ? "" : "—")}
                </Td>
                <Td className="max-w-48 truncate" title={e.reason ?? undefined}>
                  {e.reason ?? "—"}
                </Td>
                <Td>
                  <EventDrawer event={e} links={links[e.id] ?? []} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <nav aria-label="Pages" className="flex gap-4 text-sm">
        {cursor ? (
          <Link href={`${base}${params_.size ? `?${params_}` : ""}`} className="text-indigo-600 hover:underline">
            ← Newest
          </Link>
        ) : null}
        {next ? (
          <Link href={next} className="text-indigo-600 hover:underline">
            Older →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
