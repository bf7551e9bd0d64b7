import type { Metadata } from "next";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getBudgetHistory, getBudgetStatus } from "@/lib/server/budgets/budget-overview";
import {
  getSpendStanding,
  spendAlerts,
  spendBySpender,
  spendLimitOwners,
  spendPerDay,
  topSpenders,
} from "@/lib/server/budgets/spend-overview";
import { SpendSection } from "@/components/budgets/spend-section";
import { BudgetSettingsForm, KillSwitchButton, WriteCeilingForm } from "@/components/budgets/budget-forms";
import { RequestsPerDayChart, WritesPerKeyChart } from "@/components/charts/usage-charts";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import {
  classSpendLimitAction,
  keySpendLimitAction,
  killSwitchAction,
  saveBudgetAction,
  workspaceSpendLimitsAction,
  writeCeilingAction,
} from "./actions";

export const metadata: Metadata = { title: "Budgets" };

const MODE_TONE = { normal: "good", degraded: "warn", stopped: "bad" } as const;

export default async function BudgetsPage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  const { workspace, role } = await requireRole(slug);
  const status = await getBudgetStatus(workspace.id);
  const now = new Date();
  const [history, standing, series, spenders] = await Promise.all([
    getBudgetHistory(workspace.id, status.timeZone),
    getSpendStanding(workspace.id, now),
    spendPerDay(workspace.id, status.timeZone, now),
    spendBySpender(workspace.id, status.timeZone, now),
  ]);
  const owners = await spendLimitOwners(workspace.id, spenders, now);
  const canEdit = can(role, "workspace.configure");
  const percent = status.dailyRequestLimit
    ? Math.min(100, Math.round((status.used / status.dailyRequestLimit) * 100))
    : 0;
  return (
    <div className="space-y-6">
      <PageHeader
        title="Budgets"
        description="Every agent call but GET /policy counts against the daily request limit; every write also against its key's daily write ceiling. Refused calls and idempotent replays do not count."
        actions={
          canEdit ? (
            <KillSwitchButton workspace={workspace.slug} on={status.killSwitch} action={killSwitchAction} />
          ) : null
        }
      />
      <Card>
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 className="text-base font-semibold">
            Today ({status.day}, {status.timeZone})
          </h2>
          <Badge tone={MODE_TONE[status.mode]}>
            <span data-testid="budget-mode">{status.mode}</span>
          </Badge>
        </div>
        <p className="mt-3 text-2xl font-semibold tabular-nums" data-testid="budget-used">
          {status.used.toLocaleString("en-US")} / {status.dailyRequestLimit?.toLocaleString("en-US") ?? "unlimited"}
        </p>
        {status.dailyRequestLimit ? (
          <div
            className="mt-3 h-3 w-full overflow-hidden rounded bg-zinc-100 dark:bg-zinc-800"
            role="meter"
            aria-label="Requests used today"
            aria-valuemin={0}
            aria-valuemax={status.dailyRequestLimit}
            aria-valuenow={status.used}
          >
            <div
              className={`h-full ${status.mode === "stopped" ? "bg-red-600" : status.mode === "degraded" ? "bg-amber-500" : "bg-indigo-600"}`}
              style={{ width: `${percent}%` }}
            />
          </div>
        ) : null}
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          Degrades at {status.degradeAtPercent}% · resets {status.resetAt.toISOString().replace("T", " ").slice(0, 16)}{" "}
          UTC
          {status.killSwitch ? " · kill switch ON" : ""}
        </p>
      </Card>
      {canEdit ? (
        <Card>
          <h2 className="mb-4 text-base font-semibold">Settings</h2>
          <BudgetSettingsForm workspace={workspace.slug} values={status} action={saveBudgetAction} />
        </Card>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-base font-semibold">Requests per day (30 days)</h2>
          <RequestsPerDayChart series={history.series} limit={status.dailyRequestLimit} />
        </Card>
        <Card>
          <h2 className="mb-3 text-base font-semibold">Writes per key today</h2>
          {history.perKey.length ? (
            <WritesPerKeyChart keys={history.perKey} />
          ) : (
            <p className="text-sm text-zinc-500">No active keys.</p>
          )}
        </Card>
      </div>
      {history.perKey.length ? (
        <Card>
          <h2 className="mb-3 text-base font-semibold">Write ceilings</h2>
          <Table aria-label="Write ceilings">
            <thead>
              <tr>
                <Th>Key</Th>
                <Th>Identity</Th>
                <Th>Writes today</Th>
                <Th>Ceiling</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {history.perKey.map((k) => (
                <tr key={k.id}>
                  <Td className="font-mono text-xs">{k.prefix}…</Td>
                  <Td>{k.identity}</Td>
                  <Td>{k.used}</Td>
                  <Td>
                    {canEdit ? (
                      <WriteCeilingForm
                        action={writeCeilingAction}
                        workspace={workspace.slug}
                        credentialId={k.id}
                        prefix={k.prefix}
                        ceiling={k.ceiling}
                      />
                    ) : (
                      (k.ceiling ?? "none")
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </Card>
      ) : null}
      <SpendSection
        workspace={workspace.slug}
        standing={standing}
        series={series}
        top={topSpenders(spenders)}
        owners={owners}
        alerts={spendAlerts(standing, owners)}
        canEdit={canEdit}
        actions={{
          workspaceLimits: workspaceSpendLimitsAction,
          classLimit: classSpendLimitAction,
          keyLimit: keySpendLimitAction,
        }}
      />
    </div>
  );
}
