"use client";

import { Menu, X } from "lucide-react";
import { usePathname } from "next/navigation";
import { useState, type ComponentProps } from "react";
import { SidebarNav } from "./sidebar-nav";

/**
 * The sections on a narrow screen: a menu button in the header that opens the same nav as the
 * sidebar, over the page (the full list inline would not fit the header). It closes itself when
 * a link is followed (the path changes).
 */
export function MobileNav({ items }: ComponentProps<typeof SidebarNav>) {
  const pathname = usePathname();
  const [openOn, setOpenOn] = useState<string | null>(null);
  const open = openOn === pathname;
  const pending = items.reduce((n, item) => n + (item.badge ?? 0), 0);
  return (
    <div className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="mobile-sections"
        onClick={() => setOpenOn(open ? null : pathname)}
        className="flex items-center gap-1 rounded-md px-2 py-1 text-sm font-medium text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
      >
        {open ? <X className="size-4" aria-hidden /> : <Menu className="size-4" aria-hidden />}
        Menu
        {pending && !open ? <span className="size-2 rounded-full bg-red-600" aria-label="something waits" /> : null}
      </button>
      {open ? (
        <div
          id="mobile-sections"
          className="absolute left-0 top-full z-40 mt-2 w-64 rounded-md border border-zinc-200 bg-white p-2 shadow-lg dark:border-zinc-800 dark:bg-zinc-900"
        >
          <SidebarNav items={items} />
        </div>
      ) : null}
    </div>
  );
}
