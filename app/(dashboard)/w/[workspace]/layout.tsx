import Link from "next/link";
import type { ReactNode } from "react";
import { can } from "@/lib/core/roles";
import { requireRole } from "@/lib/server/auth/session";
import { getBudgetStatus } from "@/lib/server/budgets/budget-overview";
import { getSpendStanding } from "@/lib/server/budgets/spend-overview";
import { countPending } from "@/lib/server/actions/list-actions";
import { countOpenEscalations } from "@/lib/server/escalations/list-escalations";
import { listUserWorkspaces } from "@/lib/server/workspaces/list-user-workspaces";
import { MobileNav } from "@/components/layout/mobile-nav";
import { SidebarNav } from "@/components/layout/sidebar-nav";
import { ThemeToggle } from "@/components/layout/theme-toggle";
import { UserMenu } from "@/components/layout/user-menu";
import { WorkspaceSwitcher } from "@/components/layout/workspace-switcher";
import { signOutAction } from "@/app/auth-actions";

export default async function WorkspaceLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ workspace: string }>;
}) {
  const { workspace: slug } = await params;
  // requireRole also sends a person still on a one-time password to the password page.
  const { user, workspace, role } = await requireRole(slug);
  const [workspaces, openEscalations, pendingApprovals, budget, spend] = await Promise.all([
    listUserWorkspaces(user.id),
    countOpenEscalations(workspace.id),
    countPending(workspace.id),
    getBudgetStatus(workspace.id),
    getSpendStanding(workspace.id),
  ]);
  // The workspace's spend budgets past their degrade threshold now (classes and keys: the Budgets page).
  const spendAlerts = [
    { name: "daily USD", g: spend.dailyUsd },
    { name: "monthly USD", g: spend.monthlyUsd },
    { name: "daily token", g: spend.dailyTokens },
  ].filter((b) => b.g.state !== "normal");
  const base = `/w/${workspace.slug}`;
  // Only sections that work today; later issues add theirs here.
  const nav = [
    { href: base, label: "Overview", icon: "overview" as const },
    { href: `${base}/tasks`, label: "Tasks", icon: "tasks" as const },
    {
      href: `${base}/escalations`,
      label: "Escalations",
      icon: "escalations" as const,
      badge: openEscalations || undefined,
    },
    {
      href: `${base}/approvals`,
      label: "Approvals",
      icon: "approvals" as const,
      badge: pendingApprovals || undefined,
      badgeLabel: "pending",
      poll: `${base}/approvals/count`,
    },
    { href: `${base}/actions`, label: "Actions", icon: "actions" as const },
    { href: `${base}/rules`, label: "Rules", icon: "rules" as const },
    { href: `${base}/identities`, label: "Identities", icon: "identities" as const },
    { href: `${base}/budgets`, label: "Budgets", icon: "budgets" as const },
    { href: `${base}/namespaces`, label: "Namespaces", icon: "namespaces" as const },
    { href: `${base}/workflows`, label: "Workflow classes", icon: "workflows" as const },
    { href: `${base}/api`, label: "API reference", icon: "api" as const },
    ...(can(role, "audit.read") ? [{ href: `${base}/audit`, label: "Audit trail", icon: "audit" as const }] : []),
    ...(can(role, "members.manage")
      ? [{ href: `${base}/settings/members`, label: "Members", icon: "members" as const }]
      : []),
  ];
  return (
    <div className="flex min-h-screen">
      <aside className="hidden w-64 shrink-0 flex-col gap-6 border-r border-zinc-200 bg-white p-4 md:flex dark:border-zinc-800 dark:bg-zinc-900">
        <div>
          <p className="text-xs font-semibold uppercase tracking-widest text-indigo-600">BaseKV</p>
          <p className="text-lg font-semibold">Guardrails</p>
        </div>
        <WorkspaceSwitcher current={workspace.slug} workspaces={workspaces} />
        <SidebarNav items={nav} />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center justify-between gap-2 border-b border-zinc-200 bg-white px-4 md:px-6 dark:border-zinc-800 dark:bg-zinc-900">
          <div className="md:hidden">
            <MobileNav items={nav} />
          </div>
          <p className="hidden text-sm text-zinc-500 md:block">{workspace.name}</p>
          <div className="flex min-w-0 items-center gap-2">
            <ThemeToggle />
            <UserMenu email={user.email} role={role} signOutAction={signOutAction} />
          </div>
        </header>
        {budget.mode !== "normal" ? (
          <div
            role="status"
            data-testid="guardrail-banner"
            className={
              budget.mode === "stopped"
                ? "bg-red-600 px-6 py-2 text-sm text-white"
                : "bg-amber-400 px-6 py-2 text-sm text-amber-950"
            }
          >
            {budget.mode === "stopped"
              ? `Stopped: agent calls are refused${budget.killSwitch ? " (kill switch on)" : " (daily limit reached)"}.`
              : `Degraded: ${budget.used} of ${budget.dailyRequestLimit} requests used today; low-priority calls are shed.`}{" "}
            {budget.killSwitch ? "" : `Resets ${budget.resetAt.toISOString().replace("T", " ").slice(0, 16)} UTC.`}
          </div>
        ) : null}
        {spendAlerts.length ? (
          <div
            role="status"
            data-testid="spend-guardrail-banner"
            className={
              spendAlerts.some((b) => b.g.state === "exhausted")
                ? "bg-red-600 px-6 py-2 text-sm text-white"
                : "bg-amber-400 px-6 py-2 text-sm text-amber-950"
            }
          >
            {spendAlerts
              .map((b) =>
                b.g.state === "exhausted"
                  ? `The ${b.name} budget is spent: new action reservations are refused.`
                  : `The ${b.name} budget is past ${spend.degradeAtPercent}%: low-priority actions are shed.`,
              )
              .join(" ")}{" "}
            <Link href={`${base}/budgets#spend-heading`} className="font-medium underline">
              Spend
            </Link>
          </div>
        ) : null}
        <main className="min-w-0 flex-1 p-4 md:p-6">{children}</main>
      </div>
    </div>
  );
}
