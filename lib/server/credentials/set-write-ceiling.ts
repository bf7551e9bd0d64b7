import "server-only";
import { CREDENTIAL_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { AppError } from "@/lib/core/errors";
import { resizeToday } from "../budgets/counters";
import { writeAudit, type Actor } from "../audit";
import { getDb } from "../db";

/** Changes a key's daily write ceiling (null = none), for the rest of today too. */
export async function setWriteCeiling(input: {
  workspaceId: string;
  actor: Actor;
  credentialId: string;
  ceiling: number | null;
  reason?: string;
}) {
  const timeZone = await getDb().$transaction(async (tx) => {
    const c = await tx.credential.findFirst({
      where: { id: input.credentialId, workspaceId: input.workspaceId },
      select: { id: true, prefix: true, dailyWriteCeiling: true },
    });
    if (!c) throw new AppError("not_found", "No such key.");
    await tx.credential.update({ where: { id: c.id }, data: { dailyWriteCeiling: input.ceiling } });
    await writeAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "credential.write_ceiling_changed",
      target: c.id,
      reason: input.reason,
      details: { prefix: c.prefix, from: c.dailyWriteCeiling, to: input.ceiling },
    });
    return (await tx.workspace.findUniqueOrThrow({ where: { id: input.workspaceId }, select: { timeZone: true } }))
      .timeZone;
  });
  await resizeToday(input.credentialId, localDay(new Date(), timeZone), input.ceiling, CREDENTIAL_SLOTS);
}
