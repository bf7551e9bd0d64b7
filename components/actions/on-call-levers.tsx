"use client";

import type { FormAction } from "@/lib/action-state";
import type { LeverState } from "@/lib/server/actions/freeze-levers";
import { ReasonDialog } from "@/components/ui/reason-dialog";

export type { LeverState };

/**
 * The on-call levers short of the kill switch: freeze this action's name or prefix (a deny rule
 * first in the list; lifted again here), and disable the identity that asked. Each is confirmed
 * with a reason; the server checks the role again.
 */
export function OnCallLevers({
  workspace,
  state,
  actions,
}: {
  workspace: string;
  state: LeverState;
  actions: { freeze: FormAction; lift: FormAction; disableIdentity: FormAction };
}) {
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="On-call levers">
      {state.patterns.map((p) =>
        p.frozen ? (
          <span key={p.pattern} className="inline-flex items-center gap-1 text-sm">
            <span className="rounded bg-sky-100 px-2 py-0.5 font-mono text-xs text-sky-900 dark:bg-sky-950 dark:text-sky-200">
              {p.pattern} frozen
            </span>
            <ReasonDialog
              action={actions.lift}
              fields={{ workspace, pattern: p.pattern }}
              trigger="lift"
              triggerLabel={`Lift the freeze of ${p.pattern}`}
              triggerVariant="ghost"
              title={`Lift the freeze of ${p.pattern}?`}
              description="The freeze rule is deleted: from the next request on, the other rules decide this pattern again."
              submitLabel="Lift freeze"
              submitVariant="primary"
            />
          </span>
        ) : (
          <ReasonDialog
            key={p.pattern}
            action={actions.freeze}
            fields={{ workspace, actionId: state.actionId, scope: p.scope }}
            trigger={`Freeze ${p.pattern}`}
            triggerVariant="secondary"
            title={`Freeze ${p.pattern}?`}
            description={
              <>
                A deny rule for <code className="font-mono">{p.pattern}</code> goes first in the rules: every agent
                asking for {p.scope === "exact" ? "this action" : "an action under this prefix"} is denied from the next
                request on. Actions already pending keep waiting for a decision.
              </>
            }
            submitLabel="Freeze"
          />
        ),
      )}
      {state.identity.status === "disabled" ? (
        <span className="rounded bg-zinc-100 px-2 py-0.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          {state.identity.name} disabled
        </span>
      ) : (
        <ReasonDialog
          action={actions.disableIdentity}
          fields={{ workspace, identityId: state.identity.id }}
          trigger={`Disable ${state.identity.name}`}
          triggerVariant="secondary"
          title={`Disable the identity ${state.identity.name}?`}
          description="Every key of this identity gets 401 from its next call, for every task it runs. An admin can enable it again on the identity's page."
          submitLabel="Disable identity"
        />
      )}
    </div>
  );
}
