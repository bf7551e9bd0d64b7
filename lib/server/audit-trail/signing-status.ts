import "server-only";
import { getDb } from "../db";
import { currentSigner } from "./signing-key";

/** What the audit page shows about signing: the key to pin, and the workspace's latest checkpoint. */
export async function signingStatus(workspaceId: string) {
  const signer = (() => {
    try {
      return currentSigner();
    } catch {
      return null;
    }
  })();
  const last = await getDb().auditCheckpoint.findFirst({
    where: { chainKey: workspaceId },
    orderBy: { seq: "desc" },
    select: { seq: true, createdAt: true, keyId: true },
  });
  return {
    key: signer ? { keyId: signer.keyId, publicKey: signer.publicKey } : null,
    lastCheckpoint: last ? { seq: Number(last.seq), at: last.createdAt, keyId: last.keyId } : null,
  };
}
