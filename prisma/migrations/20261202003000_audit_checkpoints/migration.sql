-- Signed checkpoints of the audit chains (issue #18).
--
-- A checkpoint is the head of one chain — (chain, seq, hash, time) — signed with an Ed25519 key that
-- is not in the database (AUDIT_SIGNING_KEY) and also written outside it (the anchor file, a
-- webhook). The rows here are copies for the dashboard and the verifier; what an auditor relies on
-- is the signature and the anchored copy, which a database administrator can neither forge nor
-- remove. Append-only like the events and their seals (below).
CREATE TABLE "audit_checkpoint" (
  "id" BIGSERIAL PRIMARY KEY,
  "chain_key" TEXT NOT NULL,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL,
  "key_id" TEXT NOT NULL,
  "signature" TEXT NOT NULL,
  CONSTRAINT "audit_checkpoint_seq_positive" CHECK ("seq" > 0),
  CONSTRAINT "audit_checkpoint_hash_format" CHECK ("hash" ~ '^[0-9a-f]{64}$')
);
CREATE INDEX "audit_checkpoint_chain_key_seq_idx" ON "audit_checkpoint" ("chain_key", "seq");

-- The signing keys' public halves, each new one cross-signed by the one before it (and itself
-- acknowledging its predecessor): verifiers accept a key only through such links from a key they pinned.
CREATE TABLE "audit_signing_key" (
  "key_id" TEXT NOT NULL PRIMARY KEY,
  "public_key" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL,
  "previous_key_id" TEXT,
  "previous_signature" TEXT,
  "signature" TEXT NOT NULL
);

-- Both append-only, with the triggers the events and seals have.
DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['audit_checkpoint', 'audit_signing_key'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION "audit_event_refuse_change"()',
                   t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_refuse_change"()',
                   t || '_no_truncate', t);
  END LOOP;
END $$;

-- Work queue of the checkpointer: chains with sealed events that no checkpoint covers yet, with
-- their head and since when. The chainer upserts a chain's row as it seals; the checkpointer deletes
-- it once it has signed that head. Not evidence: whatever is written here is checked against the
-- seals before it is signed.
CREATE TABLE "audit_chain_pending" (
  "chain_key" TEXT NOT NULL PRIMARY KEY,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "since" TIMESTAMPTZ(3) NOT NULL
);

-- Where each chain was last verified, at a signed checkpoint: the dashboard's verify goes on from
-- there (after re-checking every anchored checkpoint), so it costs time in proportion to new events.
CREATE TABLE "audit_verification" (
  "chain_key" TEXT NOT NULL PRIMARY KEY,
  "seq" BIGINT NOT NULL,
  "hash" TEXT NOT NULL,
  "verified_at" TIMESTAMPTZ(3) NOT NULL
);
