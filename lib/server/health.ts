import "server-only";
import { currentSigner } from "./audit-trail/signing-key";
import { getDb } from "./db";

export type Health = {
  status: "ok" | "error";
  database: "ok" | "down";
  /** The public half of the key that signs audit checkpoints, for auditors to pin (issue #18); null without one. */
  auditSigningKey: { keyId: string; publicKey: string } | null;
};

function auditSigningKey(): Health["auditSigningKey"] {
  try {
    const signer = currentSigner();
    return signer ? { keyId: signer.keyId, publicKey: signer.publicKey } : null;
  } catch {
    return null; // a malformed key is reported where it is used (the chainer's log), not here
  }
}

/** A bounded `SELECT 1`: a database that hangs counts as down after `timeoutMs`. */
export async function checkHealth(timeoutMs = 2_000): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      getDb().$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("database health check timed out")), timeoutMs);
      }),
    ]);
    return { status: "ok", database: "ok", auditSigningKey: auditSigningKey() };
  } catch {
    return { status: "error", database: "down", auditSigningKey: auditSigningKey() };
  } finally {
    clearTimeout(timer);
  }
}
