import "server-only";
import { WORKSPACE_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { resizeToday } from "../budgets/counters";
import type { WorkspaceSettings } from "@/lib/validations/workspace";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";
import { workspaceSelect, type WorkspaceView } from "./workspace-view";

/** Changes budget settings and the kill switch; the audit event records before → after. */
export async function updateWorkspace(input: {
  slug: string;
  actor: Actor;
  settings: WorkspaceSettings;
  reason?: string;
}): Promise<WorkspaceView> {
  const updated = await getDb().$transaction(async (tx) => {
    const before = await tx.workspace.findUnique({ where: { slug: input.slug }, select: workspaceSelect });
    if (!before) throw new AppError("not_found", `No workspace "${input.slug}".`);
    const after = await tx.workspace.update({
      where: { id: before.id },
      data: input.settings,
      select: workspaceSelect,
    });
    const changed = Object.fromEntries(
      Object.keys(input.settings)
        .filter((field) => before[field as keyof WorkspaceView] !== after[field as keyof WorkspaceView])
        .map((field) => [
          field,
          { from: before[field as keyof WorkspaceView], to: after[field as keyof WorkspaceView] },
        ]),
    );
    const killSwitchFlipped = "killSwitch" in changed;
    await writeAudit(tx, {
      workspaceId: before.id,
      actor: input.actor,
      action: killSwitchFlipped
        ? after.killSwitch
          ? "workspace.kill_switch_on"
          : "workspace.kill_switch_off"
        : "workspace.updated",
      target: input.slug,
      reason: input.reason,
      details: { changed },
    });
    return after;
  });
  if ("dailyRequestLimit" in input.settings) {
    // A new limit applies to the rest of today at once.
    await resizeToday(updated.id, localDay(new Date(), updated.timeZone), updated.dailyRequestLimit, WORKSPACE_SLOTS);
  }
  return updated;
}
