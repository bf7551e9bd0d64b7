"use client";

import {
  Bot,
  BookOpen,
  Database,
  Gauge,
  LayoutDashboard,
  ListChecks,
  ScrollText,
  Siren,
  Users,
  Workflow,
} from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
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
};
type Item = { href: string; label: string; icon: keyof typeof ICONS; badge?: number };

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
            {item.badge ? (
              <span
                className="ml-auto rounded-full bg-red-600 px-2 text-xs font-semibold text-white"
                aria-label={`${item.badge} open`}
              >
                {item.badge}
              </span>
            ) : null}
          </Link>
        );
      })}
    </nav>
  );
}
