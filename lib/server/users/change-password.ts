import "server-only";
import { AppError } from "@/lib/core/errors";
import { writeAudit } from "../audit";
import { getDb } from "../db";
import { hashPassword, verifyPassword } from "../passwords";

export async function changePassword(input: {
  userId: string;
  currentPassword: string;
  newPassword: string;
}): Promise<void> {
  const db = getDb();
  const user = await db.user.findUnique({
    where: { id: input.userId },
    select: { id: true, email: true, passwordHash: true },
  });
  if (!user) throw new AppError("unauthorized", "Your session has ended: sign in again.");
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await writeAudit(db, {
      workspaceId: null,
      actor: { type: "user", id: user.id, name: user.email },
      action: "auth.password_change_failed",
      outcome: "denied",
      target: user.email,
      reason: "wrong current password",
    });
    throw new AppError("validation_failed", "The current password is not right.", { field: "currentPassword" });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await db.$transaction(async (tx) => {
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, mustChangePassword: false },
      select: { id: true },
    });
    await writeAudit(tx, {
      workspaceId: null,
      actor: { type: "user", id: user.id, name: user.email },
      action: "auth.password_changed",
      target: user.email,
    });
  });
}
