"use client";

import { formatDistanceToNowStrict } from "date-fns";
import { useState } from "react";
import type { ActionState, FormAction } from "@/lib/action-state";
import { credentialStatus } from "@/lib/core/credential-policy";
import type { IssuedKey } from "@/lib/validations/identity";
import { ActionForm } from "@/components/ui/action-form";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, Input, Select } from "@/components/ui/field";
import { ReasonDialog } from "@/components/ui/reason-dialog";
import { Table, Td, Th } from "@/components/ui/table";

export type CredentialView = {
  id: string;
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string;
  lastUsedAt: string | null;
  dailyWriteCeiling: number | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revokedReason: string | null;
};

const LIFETIMES = [
  ["300", "5 minutes (one run)"],
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "7 days (default)"],
  ["2592000", "30 days"],
  ["7776000", "90 days"],
] as const;

const OVERLAPS = [
  ["0", "none: the old key stops now"],
  ["300", "5 minutes"],
  ["3600", "1 hour (default)"],
  ["86400", "1 day"],
] as const;

/**
 * "5 seconds ago" from the clock: the server renders it, the browser hydrates a
 * moment later and may read "6 seconds ago" — a difference React must not treat
 * as a broken page (it threw a hydration error), so the text is allowed to differ.
 */
function Relative({ iso }: { iso: string | null }) {
  return (
    <span suppressHydrationWarning>
      {iso ? formatDistanceToNowStrict(new Date(iso), { addSuffix: true }) : "never"}
    </span>
  );
}

export function CredentialsPanel({
  workspace,
  identityId,
  credentials,
  canEdit,
  identityActive,
  maxKeyTtlSeconds,
  actions,
}: {
  workspace: string;
  identityId: string;
  credentials: CredentialView[];
  canEdit: boolean;
  identityActive: boolean;
  maxKeyTtlSeconds: number;
  /** The key server actions, passed by the page. */
  actions: { issue: FormAction<IssuedKey>; rotate: FormAction<IssuedKey>; revoke: FormAction };
}) {
  const [issued, setIssued] = useState<IssuedKey | null>(null);
  const now = new Date();
  return (
    <div className="space-y-4">
      {issued ? (
        <Alert tone="warning">
          <p className="font-medium">Copy this key now. It is shown only once and cannot be recovered.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code
              data-testid="issued-key"
              className="break-all rounded bg-white/70 px-2 py-1 font-mono text-xs dark:bg-black/40"
            >
              {issued.key}
            </code>
            <CopyButton value={issued.key} label="Copy key" />
          </div>
          <p className="mt-2 text-xs">Expires {new Date(issued.expiresAt).toISOString()}.</p>
        </Alert>
      ) : null}

      {canEdit && identityActive ? (
        <ActionForm
          action={async (prev: ActionState<IssuedKey> | undefined, formData: FormData) => {
            const result = await actions.issue(prev, formData);
            if (result.ok && result.data) setIssued(result.data);
            return result;
          }}
          hidden={{ workspace, identityId }}
          submitLabel="Issue key"
          showSuccess={false}
          className="grid gap-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
        >
          {(errors) => (
            <>
              <Field label="Lifetime" htmlFor="key-lifetime" error={errors?.expiresInSeconds}>
                <Select id="key-lifetime" name="expiresInSeconds" defaultValue="604800">
                  {LIFETIMES.filter(([s]) => Number(s) <= maxKeyTtlSeconds).map(([s, label]) => (
                    <option key={s} value={s}>
                      {label}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Daily write ceiling (optional)" htmlFor="key-ceiling" error={errors?.dailyWriteCeiling}>
                <Input id="key-ceiling" name="dailyWriteCeiling" inputMode="numeric" placeholder="unlimited" />
              </Field>
            </>
          )}
        </ActionForm>
      ) : null}

      {credentials.length === 0 ? (
        <p className="text-sm text-zinc-500">No keys yet.</p>
      ) : (
        <Table aria-label="Keys">
          <thead>
            <tr>
              <Th>Key</Th>
              <Th>Status</Th>
              <Th>Created</Th>
              <Th>Expires</Th>
              <Th>Last used</Th>
              <Th>Write ceiling</Th>
              {canEdit ? <Th className="text-right">Actions</Th> : null}
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 bg-white dark:divide-zinc-800 dark:bg-zinc-900">
            {credentials.map((c) => {
              const status = credentialStatus(
                { expiresAt: new Date(c.expiresAt), revokedAt: c.revokedAt ? new Date(c.revokedAt) : null },
                now,
              );
              return (
                <tr key={c.id}>
                  <Td className="font-mono text-xs">{c.prefix}…</Td>
                  <Td>
                    <Badge tone={status === "active" ? "good" : status === "revoked" ? "bad" : "neutral"}>
                      {status}
                    </Badge>
                    {c.revokedAt ? (
                      <div className="mt-1 text-xs text-zinc-500">
                        by {c.revokedBy}: {c.revokedReason}
                      </div>
                    ) : null}
                  </Td>
                  <Td title={c.createdAt}>
                    <Relative iso={c.createdAt} />
                    {c.createdBy ? <div className="text-xs text-zinc-500">by {c.createdBy}</div> : null}
                  </Td>
                  <Td title={c.expiresAt}>
                    <Relative iso={c.expiresAt} />
                  </Td>
                  <Td title={c.lastUsedAt ?? undefined}>
                    <Relative iso={c.lastUsedAt} />
                  </Td>
                  <Td>{c.dailyWriteCeiling ?? "—"}</Td>
                  {canEdit ? (
                    <Td className="space-x-1 whitespace-nowrap text-right">
                      {status === "active" ? (
                        <>
                          <ReasonDialog
                            action={actions.rotate}
                            fields={{ workspace, credentialId: c.id }}
                            trigger="Rotate"
                            triggerLabel={`Rotate ${c.prefix}`}
                            title={`Rotate key ${c.prefix}…?`}
                            description="A new key is issued with the same lifetime and ceiling. The old key keeps working during the overlap, then expires."
                            submitLabel="Rotate key"
                            submitVariant="primary"
                            onDone={(state) => state.data && setIssued(state.data)}
                          >
                            <Field label="Overlap" htmlFor={`overlap-${c.id}`}>
                              <Select id={`overlap-${c.id}`} name="overlapSeconds" defaultValue="3600">
                                {OVERLAPS.map(([s, label]) => (
                                  <option key={s} value={s}>
                                    {label}
                                  </option>
                                ))}
                              </Select>
                            </Field>
                          </ReasonDialog>
                          <ReasonDialog
                            action={actions.revoke}
                            fields={{ workspace, credentialId: c.id }}
                            trigger="Revoke"
                            triggerLabel={`Revoke ${c.prefix}`}
                            title={`Revoke key ${c.prefix}…?`}
                            description="The very next call with this key gets 401. This cannot be undone."
                            submitLabel="Revoke key"
                          />
                        </>
                      ) : null}
                    </Td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </div>
  );
}
