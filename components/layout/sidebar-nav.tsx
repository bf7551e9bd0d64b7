"use client";

import {
  Bot,
  BookOpen,
  Database,
  Gauge,
  ListOrdered,
  LayoutDashboard,
  ListChecks,
  ScrollText,
  ShieldCheck,
  Siren,
  Users,
  Workflow,
  Zap,
} from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { cn } from "@/lib/utils";

const ICONS = {
  api: BookOpen,
  audit: ScrollText,
  budgets: Gauge,
  escalations: Siren,
  overview: LayoutDashboard,
  members: Users,
  identities: Bot,
  namespaces: Database,
  workflows: Workflow,
  tasks: ListChecks,
  approvals: ShieldCheck,
  actions: Zap,
  rules: ListOrdered,
};
type Item = {
  href: string;
  label: string;
  icon: keyof typeof ICONS;
  badge?: number;
  /** What the badge counts, for screen readers ("open", "pending"). */
  badgeLabel?: string;
  /** A route answering { pending } that the badge polls, so it refreshes by itself. */
  poll?: string;
};

const POLL_MS = 10_000;

/** A count kept fresh by polling `url` (a dashboard route that checks the session and role itself). */
function useLiveCount(url: string | undefined, initial: number | undefined): number | undefined {
  // A polled count holds until the server renders the page again with a count of its own.
  const [polled, setPolled] = useState<{ value: number | undefined; base: number | undefined } | null>(null);
  const base = useRef(initial);
  useEffect(() => {
    base.current = initial;
  }, [initial]);
  useEffect(() => {
    if (!url) return;
    let stopped = false;
    const tick = async () => {
      if (document.visibilityState !== "visible") return;
      try {
        const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
        if (!response.ok || stopped) return;
        const body = (await response.json()) as { pending?: unknown };
        if (typeof body.pending === "number" && !stopped)
          setPolled({ value: body.pending || undefined, base: base.current });
      } catch {
        // Offline or signed out: keep the last count; the next page load says more.
      }
    };
    const timer = setInterval(tick, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [url]);
  return polled && polled.base === initial ? polled.value : initial;
}

function CountBadge({ item }: { item: Item }) {
  const count = useLiveCount(item.poll, item.badge);
  if (!count) return null;
  return (
    <span
      className="ml-auto rounded-full bg-red-600 px-2 text-xs font-semibold text-white"
      aria-label={`${count} ${item.badgeLabel ?? "open"}`}
      data-testid={`nav-badge-${item.icon}`}
    >
      {count}
    </span>
  );
}

export function SidebarNav({ items }: { items: Item[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Sections" className="space-y-1">
      {items.map((item) => {
        const Icon = ICONS[item.icon];
        const active = item.href.split("/").length <= 3 ? pathname === item.href : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={active ? "page" : undefined}
            className={cn(
              "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium",
              active
                ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
            )}
          >
            <Icon className="size-4" aria-hidden />
            {item.label}
            <CountBadge item={item} />
          </Link>
        );
      })}
    </nav>
  );
}
