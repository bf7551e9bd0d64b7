"use client";

import * as DialogPrimitive from "@radix-ui/react-dialog";
import { X } from "lucide-react";
import Link from "next/link";
import type { ExportRow } from "@/lib/core/audit-export";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";

type Link = { label: string; href: string };

const FIELDS: [keyof ExportRow, string][] = [
  ["id", "Event id"],
  ["createdAt", "Time (UTC)"],
  ["actorType", "Actor type"],
  ["actorName", "Actor"],
  ["actorId", "Actor id"],
  ["action", "Action"],
  ["outcome", "Outcome"],
  ["namespace", "Namespace"],
  ["target", "Target"],
  ["reason", "Reason"],
  ["correlationId", "Correlation id"],
  ["requestId", "Request id"],
  ["chainSeq", "Chain position"],
  ["prevHash", "Previous hash"],
  ["hash", "Hash"],
];

/** An audit event's every field, its seal and links to what it touches, in a side drawer. */
export function EventDrawer({ event, links }: { event: ExportRow; links: Link[] }) {
  return (
    <DialogPrimitive.Root>
      <DialogPrimitive.Trigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Details of event ${event.id}`}>
          Details
        </Button>
      </DialogPrimitive.Trigger>
      <DialogPrimitive.Portal>
        <DialogPrimitive.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <DialogPrimitive.Content className="fixed inset-y-0 right-0 z-50 w-[min(36rem,100vw)] overflow-y-auto border-l border-zinc-200 bg-white p-6 shadow-xl focus:outline-none dark:border-zinc-800 dark:bg-zinc-900">
          <div className="flex items-start justify-between gap-4">
            <div>
              <DialogPrimitive.Title className="text-lg font-semibold">
                <span className="font-mono">{event.action}</span>
              </DialogPrimitive.Title>
              <DialogPrimitive.Description className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
                Audit event {event.id} {event.outcome !== "success" ? <Badge tone="bad">{event.outcome}</Badge> : null}
              </DialogPrimitive.Description>
            </div>
            <DialogPrimitive.Close asChild>
              <Button variant="ghost" size="sm" aria-label="Close">
                <X className="size-4" aria-hidden />
              </Button>
            </DialogPrimitive.Close>
          </div>
          {links.length ? (
            <ul className="mt-4 space-y-1 text-sm" aria-label="Related">
              {links.map((link) => (
                <li key={link.href}>
                  <Link href={link.href} className="text-indigo-600 hover:underline">
                    {link.label} →
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
          <dl className="mt-4 grid grid-cols-[9rem_1fr] gap-x-4 gap-y-2 text-sm">
            {FIELDS.map(([field, label]) => (
              <div key={field} className="contents">
                <dt className="text-zinc-500">{label}</dt>
                <dd
                  className={
                    field.endsWith("Hash") || field === "hash" || field.endsWith("Id") || field === "id"
                      ? "font-mono text-xs break-all"
                      : "break-words whitespace-pre-wrap"
                  }
                >
                  {event[field] === null || event[field] === undefined
                    ? field === "chainSeq"
                      ? "not sealed yet"
                      : "—"
                    : String(event[field])}
                </dd>
              </div>
            ))}
          </dl>
          <h3 className="mt-6 text-sm font-semibold">Details</h3>
          <pre className="mt-2 max-h-96 overflow-auto rounded bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-950">
            {JSON.stringify(event.details, null, 2)}
          </pre>
        </DialogPrimitive.Content>
      </DialogPrimitive.Portal>
    </DialogPrimitive.Root>
  );
}
