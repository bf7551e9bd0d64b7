import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { sealHash } from "@/lib/core/audit-chain";
import { keyIdOf, rawPublicKey, signCheckpoint } from "@/lib/core/audit-checkpoint";
import { createFreshDatabase } from "@/scripts/lib/test-database";
import { seedWorkspace, testActor } from "@/tests/fixtures";
import { writeAudit } from "../audit";
import { runAdminCli } from "../cli/admin-cli";
import { getDb } from "../db";
import { EVENT_COLUMNS, toChainEvent, type AuditEventRow } from "./event-row";
import { exportAudit } from "./export-audit";
import { makeCheckpoints } from "./checkpoint";
import { countUnsealedEvents, sealPendingEvents } from "./seal-events";
import { anchorFilePath, currentSigner } from "./signing-key";
import { verifyWorkspaceChain } from "./verify-chain";

/**
 * The attacks of issue #18, made as the database's superuser (the owner URL), who can do anything
 * inside PostgreSQL — switch the triggers off, edit events, recompute every seal from the public
 * formula. What they cannot do is sign: the key is not in the database, and the checkpoints are
 * also anchored outside it.
 */

async function asSuperuser<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_OWNER_URL });
  await client.connect();
  try {
    await client.query("SET session_replication_role = replica"); // the append-only triggers off
    return await fn(client);
  } finally {
    await client.end();
  }
}

type SealAndEvent = Omit<AuditEventRow, "id"> & { id: string; seq: string; prev_hash: string; hash: string };

/** What an attacker does after changing history: recompute every seal from `fromSeq` on, as the README documents. */
async function recomputeSeals(client: pg.Client, chainKey: string, fromSeq: number) {
  const { rows } = await client.query<SealAndEvent>(
    `SELECT s.seq, s.prev_hash, s.hash, ${EVENT_COLUMNS} FROM audit_seal s JOIN audit_event e ON e.id = s.event_id
     WHERE s.chain_key = $1 ORDER BY s.seq`,
    [chainKey],
  );
  let prev = rows.find((r) => Number(r.seq) === fromSeq - 1)?.hash ?? "0".repeat(64);
  for (const row of rows.filter((r) => Number(r.seq) >= fromSeq)) {
    const hash = sealHash(prev, toChainEvent(row));
    await client.query(`UPDATE audit_seal SET prev_hash = $1, hash = $2 WHERE chain_key = $3 AND seq = $4`, [
      prev,
      hash,
      chainKey,
      row.seq,
    ]);
    prev = hash;
  }
}

/** Seals until nothing of the workspace is left (another transaction on the server may hold the frontier back briefly). */
async function settle(workspaceId: string) {
  for (let i = 0; i < 100; i++) {
    await sealPendingEvents({ wait: true, maxBatches: 1000 });
    if ((await countUnsealedEvents(workspaceId)) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("events stayed unsealed for 10 s");
}

async function writeSome(workspaceId: string, n: number) {
  for (let i = 0; i < n; i++) {
    await writeAudit(getDb(), { workspaceId, actor: testActor, action: "test.checkpointed", reason: `event ${i}` });
  }
  await settle(workspaceId);
}

async function checkpointNow(workspaceId: string) {
  const [checkpoint] = await makeCheckpoints({ chainKey: workspaceId, force: true, wait: true });
  return checkpoint!;
}

/** A workspace with 10 events and checkpoints at #5 and #10. */
async function checkpointedChain() {
  const { workspace } = await seedWorkspace(["admin"]);
  // Creating the workspace wrote events of its own: count from the chain's head.
  await settle(workspace.id);
  const base = Number(
    (await getDb().auditSeal.aggregate({ where: { chainKey: workspace.id }, _max: { seq: true } }))._max.seq ?? 0,
  );
  await writeSome(workspace.id, 5 - base);
  const first = await checkpointNow(workspace.id);
  await writeSome(workspace.id, 5);
  const second = await checkpointNow(workspace.id);
  expect([first.seq, second.seq]).toEqual([5, 10]);
  return { workspace, first, second };
}

/** `node scripts/verify-audit-export.mjs` on a full export, with the anchor file and the pinned public key. */
async function verifyOffline(workspaceId: string, publicKey: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "basekv-offline-"));
  const file = path.join(dir, "audit.ndjson");
  let text = "";
  for await (const chunk of await exportAudit({ workspaceId, filter: {}, format: "ndjson", actor: testActor })) {
    text += chunk;
  }
  writeFileSync(file, text);
  try {
    const out = execFileSync(
      process.execPath,
      ["scripts/verify-audit-export.mjs", file, "--anchors", anchorFilePath(), "--public-key", publicKey],
      { encoding: "utf8" },
    );
    return JSON.parse(out) as Record<string, unknown>;
  } catch (error) {
    return JSON.parse((error as { stdout: string }).stdout) as Record<string, unknown>;
  }
}

/** The same verdict from the dashboard's (incremental) verify, a full pass, the CLI's and the offline verifier. */
async function expectEverywhere(workspace: { id: string; slug: string }, expected: Record<string, unknown>) {
  expect(await verifyWorkspaceChain(workspace.id), "full").toMatchObject(expected);
  expect(await verifyWorkspaceChain(workspace.id, { incremental: true }), "incremental").toMatchObject(expected);
  const cli = await runAdminCli(["audit", "verify", "--workspace", workspace.slug]);
  expect(JSON.parse(cli.stdout), "CLI").toMatchObject(expected);
  expect(await verifyOffline(workspace.id, currentSigner()!.publicKey), "offline").toMatchObject(expected);
}

describe("signed, anchored checkpoints of the audit chain", () => {
  it("an untouched chain verifies against its checkpoints, everywhere; new events are the unanchored tail", async () => {
    const { workspace, second } = await checkpointedChain();
    const signer = currentSigner()!;
    expect(second.keyId).toBe(signer.keyId);
    // The anchor file holds the checkpoint and the key's record, outside the database.
    const anchored = readFileSync(anchorFilePath(), "utf8");
    expect(anchored).toContain(`"signature":"${second.signature}"`);
    expect(anchored).toContain(`"type":"key","keyId":"${signer.keyId}"`);

    const full = await verifyWorkspaceChain(workspace.id);
    expect(full).toMatchObject({
      ok: true,
      events: 10,
      unanchoredTail: 0,
      checkpoint: { seq: 10, keyId: signer.keyId },
    });
    await writeSome(workspace.id, 3);
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject({ ok: true, events: 13, unanchoredTail: 3 });
    expect(await verifyWorkspaceChain(workspace.id, { incremental: true })).toMatchObject({
      ok: true,
      events: 13,
      from: 10,
      unanchoredTail: 3,
    });
    expect(await verifyOffline(workspace.id, signer.publicKey)).toMatchObject({
      ok: true,
      events: 13,
      unanchoredTail: 3,
    });
  });

  it("attack 1: an event edited and every seal recomputed from the public formula — caught at the first checkpoint after it", async () => {
    const { workspace } = await checkpointedChain();
    await asSuperuser(async (client) => {
      const { rows } = await client.query<{ event_id: string }>(
        `SELECT event_id FROM audit_seal WHERE chain_key = $1 AND seq = 7`,
        [workspace.id],
      );
      await client.query(`UPDATE audit_event SET reason = 'nothing to see here' WHERE id = $1`, [rows[0]!.event_id]);
      await recomputeSeals(client, workspace.id, 7);
    });
    await expectEverywhere(workspace, { ok: false, firstBadEvent: { seq: 10, problem: "checkpoint_mismatch" } });
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject({ checkpoint: { seq: 5 } });
  });

  it("attack 2: the last 3 events and their seals deleted — reported as truncated at #8", async () => {
    const { workspace } = await checkpointedChain();
    await asSuperuser(async (client) => {
      await client.query(
        `DELETE FROM audit_event WHERE id IN (SELECT event_id FROM audit_seal WHERE chain_key = $1 AND seq >= 8)`,
        [workspace.id],
      );
      await client.query(`DELETE FROM audit_seal WHERE chain_key = $1 AND seq >= 8`, [workspace.id]);
    });
    await expectEverywhere(workspace, { ok: false, firstBadEvent: { seq: 8, problem: "truncated" } });
  });

  it("attack 3: a forged event inserted with a valid seal (the rest renumbered and recomputed) — caught", async () => {
    const { workspace } = await checkpointedChain();
    await asSuperuser(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        // An old transaction id (xid): the chainer, which seals newer ones, leaves the forgery to its forged seal.
        `INSERT INTO audit_event (workspace_id, actor_type, actor_name, action, outcome, reason, details, created_at, xid)
         SELECT workspace_id, actor_type, 'admin@example.test', 'kv.put', 'success', 'approved', '{}', created_at, '3'::xid8
         FROM audit_event WHERE id = (SELECT event_id FROM audit_seal WHERE chain_key = $1 AND seq = 6)
         RETURNING id`,
        [workspace.id],
      );
      // Make room at #6 (in two steps: (chain_key, seq) is unique).
      await client.query(`UPDATE audit_seal SET seq = seq + 1000000 WHERE chain_key = $1 AND seq >= 6`, [workspace.id]);
      await client.query(`UPDATE audit_seal SET seq = seq - 999999 WHERE chain_key = $1 AND seq > 1000000`, [
        workspace.id,
      ]);
      await client.query(
        `INSERT INTO audit_seal (event_id, chain_key, seq, prev_hash, hash) VALUES ($1, $2, 6, $3, $3)`,
        [rows[0]!.id, workspace.id, "0".repeat(64)],
      );
      await recomputeSeals(client, workspace.id, 6);
    });
    await expectEverywhere(workspace, { ok: false, firstBadEvent: { seq: 10, problem: "checkpoint_mismatch" } });
  });

  it("an event deleted with its seal behind a checkpoint, in the middle of the chain — caught by every verify", async () => {
    const { workspace } = await checkpointedChain();
    await verifyWorkspaceChain(workspace.id); // verified once: the dashboard's next pass starts at #10
    await asSuperuser(async (client) => {
      await client.query(
        `DELETE FROM audit_event WHERE id IN (SELECT event_id FROM audit_seal WHERE chain_key = $1 AND seq = 7)`,
        [workspace.id],
      );
      await client.query(`DELETE FROM audit_seal WHERE chain_key = $1 AND seq = 7`, [workspace.id]);
    });
    await expectEverywhere(workspace, { ok: false, firstBadEvent: { seq: 7, problem: "missing_seal" } });
  });

  it("attack 4: a checkpoint signed with another key, or a signature altered, is refused", async () => {
    const { workspace } = await checkpointedChain();
    const { privateKey } = generateKeyPairSync("ed25519");
    const forged = signCheckpoint(privateKey, {
      chain: workspace.id,
      seq: 10,
      hash: "f".repeat(64),
      at: new Date().toISOString(),
      keyId: keyIdOf(rawPublicKey(privateKey)),
    });
    await asSuperuser((client) =>
      client.query(
        `INSERT INTO audit_checkpoint (chain_key, seq, hash, created_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)`,
        [workspace.id, forged.seq, forged.hash, forged.at, forged.keyId, forged.signature],
      ),
    );
    const refused = { ok: false, firstBadEvent: { seq: 10, problem: "unknown_checkpoint_key" } };
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject(refused);
    expect(await verifyWorkspaceChain(workspace.id, { incremental: true })).toMatchObject(refused);
    expect(JSON.parse((await runAdminCli(["audit", "verify", "--workspace", workspace.slug])).stdout)).toMatchObject(
      refused,
    );

    const other = await checkpointedChain();
    const signer = currentSigner()!;
    await asSuperuser((client) =>
      client.query(
        `INSERT INTO audit_checkpoint (chain_key, seq, hash, created_at, key_id, signature) VALUES ($1, 10, $2, now(), $3, $4)`,
        [other.workspace.id, "e".repeat(64), signer.keyId, other.second.signature],
      ),
    );
    expect(await verifyWorkspaceChain(other.workspace.id)).toMatchObject({
      ok: false,
      firstBadEvent: { seq: 10, problem: "bad_checkpoint_signature" },
    });
  });

  it("a tail truncated after the last checkpoint cannot be proven: it is reported as the unanchored tail", async () => {
    const { workspace } = await checkpointedChain();
    await writeSome(workspace.id, 3);
    await asSuperuser(async (client) => {
      await client.query(
        `DELETE FROM audit_event WHERE id IN (SELECT event_id FROM audit_seal WHERE chain_key = $1 AND seq >= 12)`,
        [workspace.id],
      );
      await client.query(`DELETE FROM audit_seal WHERE chain_key = $1 AND seq >= 12`, [workspace.id]);
    });
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject({
      ok: true,
      events: 11,
      unanchoredTail: 1,
      checkpoint: { seq: 10 },
    });
  });

  it("the CLI signs and anchors a checkpoint on demand, audited outside the chain it covers", async () => {
    const { workspace } = await seedWorkspace(["admin"]);
    await writeSome(workspace.id, 2);
    const result = await runAdminCli(["audit", "checkpoint", "--workspace", workspace.slug]);
    expect(result.code).toBe(0);
    const checkpoint = JSON.parse(result.stdout) as { seq: number; hash: string; signature: string; keyId: string };
    expect(checkpoint).toMatchObject({ chain: workspace.id, keyId: currentSigner()!.keyId });
    expect(checkpoint.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyWorkspaceChain(workspace.id)).toMatchObject({ ok: true, unanchoredTail: 0 });
    const events = await getDb().auditEvent.findMany({ where: { action: "audit.checkpointed", target: workspace.id } });
    expect(events).toHaveLength(1);
    expect(events[0]!.workspaceId).toBeNull();
  });

  it("keys rotate: the new key is cross-signed by the old one, once, and checkpoints of both verify from either key", async () => {
    // An installation of its own (database, key, anchor file): rotation changes a whole installation.
    const db = await createFreshDatabase("rotate");
    const dir = mkdtempSync(path.join(os.tmpdir(), "basekv-rotate-"));
    const keyA = generateKeyPairSync("ed25519").privateKey;
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      BASEKV_DATA_DIR: dir,
      AUDIT_ANCHOR_FILE: path.join(dir, "anchors.ndjson"),
    };
    const cli = (key: string, ...argv: string[]) => {
      const run = spawnSync(
        process.execPath,
        ["node_modules/tsx/dist/cli.mjs", "--conditions=react-server", "scripts/admin.ts", ...argv],
        { encoding: "utf8", env: { ...env, AUDIT_SIGNING_KEY: key } },
      );
      return { code: run.status, out: run.stdout, err: run.stderr };
    };
    try {
      const a = keyA.export({ format: "der", type: "pkcs8" }).toString("base64url");
      expect(cli(a, "workspace", "create", "--slug", "rot").code).toBe(0);
      const first = cli(a, "audit", "checkpoint", "--workspace", "rot");
      expect(first.code, first.err).toBe(0);
      const rotated = cli(a, "audit", "key", "rotate");
      expect(rotated.code, rotated.err).toBe(0);
      const { keyId, keyFile, publicKey, previousKeyId } = JSON.parse(rotated.out) as Record<string, string>;
      expect(previousKeyId).toBe(keyIdOf(rawPublicKey(keyA)));
      // Not twice from the same key: that would fork the history.
      const again = cli(a, "audit", "key", "rotate");
      expect(again.code).not.toBe(0);
      expect(again.err).toMatch(/already rotated/);
      // After the restart: the new key signs.
      const b = readFileSync(keyFile!, "utf8").trim();
      expect(cli(b, "namespace", "create", "--workspace", "rot", "--name", "after.rotation").code).toBe(0);
      const second = cli(b, "audit", "checkpoint", "--workspace", "rot");
      expect(JSON.parse(second.out)).toMatchObject({ keyId });
      // Pinned on the new key: the old key's checkpoint verifies through the link.
      const verified = JSON.parse(cli(b, "audit", "verify", "--workspace", "rot").out) as Record<string, unknown>;
      expect(verified).toMatchObject({ ok: true, checkpoint: { keyId } });
      // Offline, pinned on the old key only: the new one is accepted through the same link.
      const exported = cli(b, "audit", "export", "--workspace", "rot");
      writeFileSync(path.join(dir, "export.ndjson"), exported.out);
      const offline = spawnSync(
        process.execPath,
        [
          "scripts/verify-audit-export.mjs",
          path.join(dir, "export.ndjson"),
          "--anchors",
          env.AUDIT_ANCHOR_FILE,
          "--public-key",
          rawPublicKey(keyA),
        ],
        { encoding: "utf8" },
      );
      expect(JSON.parse(offline.stdout)).toMatchObject({ ok: true, checkpoint: { keyId } });
      expect(publicKey).toMatch(/^[\w-]{43}$/);
    } finally {
      await db.drop();
    }
  }, 120_000); // it builds a database of its own: migrations take a while on a loaded machine
});
