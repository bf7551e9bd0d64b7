import { canonicalJson, sha256Hex } from "./idempotency";

/**
 * The audit hash chain (DESIGN.md, guardrail 6). Each workspace has one chain;
 * an event's seal is
 *
 *   hash = sha256_hex(prevHash + "\n" + canonicalEvent(event))
 *
 * where prevHash is the previous seal's hash in that chain (GENESIS_HASH for
 * seq 1) and canonicalEvent is the event's JSON with keys sorted at every depth
 * and no whitespace. Anyone holding an export can recompute it (README, "Audit
 * trail"): nothing here depends on the database.
 */
export const GENESIS_HASH = "0".repeat(64);
/** The chain of events that belong to no workspace (sign-ins, refusals before a workspace is known). */
export const GLOBAL_CHAIN = "_global";

export type ChainEvent = {
  id: string;
  workspaceId: string | null;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  outcome: string;
  namespace: string | null;
  target: string | null;
  reason: string | null;
  correlationId: string | null;
  requestId: string | null;
  details: unknown;
  /** ISO-8601 UTC with milliseconds, as stored (timestamptz(3)). */
  createdAt: string;
};

export type Seal = { seq: number; prevHash: string; hash: string };

export function chainKeyOf(workspaceId: string | null): string {
  return workspaceId ?? GLOBAL_CHAIN;
}

export function canonicalEvent(event: ChainEvent): string {
  return canonicalJson({
    id: event.id,
    workspaceId: event.workspaceId,
    actorType: event.actorType,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    outcome: event.outcome,
    namespace: event.namespace,
    target: event.target,
    reason: event.reason,
    correlationId: event.correlationId,
    requestId: event.requestId,
    details: event.details ?? {},
    createdAt: event.createdAt,
  });
}

export function sealHash(prevHash: string, event: ChainEvent): string {
  return sha256Hex(`${prevHash}\n${canonicalEvent(event)}`);
}

/** Seals a run of events in chain order after the chain's head (null = empty chain). */
export function sealEvents(head: { seq: number; hash: string } | null, events: ChainEvent[]): Seal[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return events.map((event) => {
    const hash = sealHash(prevHash, event);
    const seal = { seq: ++seq, prevHash, hash };
    prevHash = hash;
    return seal;
  });
}

export type BadEventProblem =
  /** the event's content no longer matches its hash: it was edited */
  | "hash_mismatch"
  /** the seal's prevHash is not the previous seal's hash: a seal was edited or replaced */
  | "broken_link"
  /** a sequence number is missing: a seal (or its event) was removed */
  | "missing_seal"
  /** a sequence number appears twice: a seal was inserted beside the real one */
  | "duplicate_seal"
  /** a seal exists but its event does not: the event was deleted */
  | "missing_event"
  /**
   * the chain no longer reaches a signed, anchored checkpoint's hash at its seq: some event up to it
   * was edited, deleted or inserted and the seals recomputed (audit-checkpoint.ts)
   */
  | "checkpoint_mismatch"
  /** the chain ends before a signed, anchored checkpoint: events and seals were removed from its end */
  | "truncated"
  /** two validly signed checkpoints name different hashes at one position: the key signed both */
  | "conflicting_checkpoints";

export type ChainVerdict =
  | { ok: true; events: number }
  | { ok: false; events: number; firstBadEvent: { id: string; seq: number; problem: BadEventProblem } };

/**
 * Walks one chain in seq order, one row at a time (constant memory, so a
 * million-event chain verifies in batches). `push` returns the first problem
 * and the verifier stops there; `verdict` says ok with the count otherwise.
 *
 * `from`: start after a position already verified (seq and hash), not at the
 * genesis. `checkpoints`: seq → the hash a signed checkpoint says the chain
 * has there; a seal that passes every other check but differs from it is a
 * rewritten chain.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private bad: Extract<ChainVerdict, { ok: false }>["firstBadEvent"] | null = null;
  private count = 0;

  constructor(
    options: { from?: { seq: number; hash: string }; checkpoints?: ReadonlyMap<number, string> } = {},
  ) {
    this.expectedSeq = (options.from?.seq ?? 0) + 1;
    this.prevHash = options.from?.hash ?? GENESIS_HASH;
    this.checkpoints = options.checkpoints ?? new Map();
  }

  private readonly checkpoints: ReadonlyMap<number, string>;

  /** The last seq verified (the start position when nothing was pushed). */
  get lastSeq(): number {
    return this.expectedSeq - 1;
  }

  get failed(): boolean {
    return this.bad !== null;
  }

  push(row: { eventId: string; seal: Seal; event: ChainEvent | null }): boolean {
    if (this.bad) return false;
    const { seal, event, eventId } = row;
    if (seal.seq < this.expectedSeq) {
      this.bad = { id: eventId, seq: seal.seq, problem: "duplicate_seal" };
    } else if (seal.seq > this.expectedSeq) {
      // Reported at the position that is missing, not at the next one there.
      this.bad = { id: "", seq: this.expectedSeq, problem: "missing_seal" };
    } else if (!event) {
      this.bad = { id: eventId, seq: seal.seq, problem: "missing_event" };
    } else if (seal.prevHash !== this.prevHash) {
      this.bad = { id: eventId, seq: seal.seq, problem: "broken_link" };
    } else if (event.id !== eventId || sealHash(seal.prevHash, event) !== seal.hash) {
      this.bad = { id: eventId, seq: seal.seq, problem: "hash_mismatch" };
    } else if (this.checkpoints.has(seal.seq) && this.checkpoints.get(seal.seq) !== seal.hash) {
      this.bad = { id: eventId, seq: seal.seq, problem: "checkpoint_mismatch" };
    }
    if (this.bad) return false;
    this.count++;
    this.expectedSeq++;
    this.prevHash = seal.hash;
    return true;
  }

  /** After the last row: a chain that stops short of `anchoredSeq` (the latest checkpoint) was truncated. */
  end(anchoredSeq: number): void {
    if (!this.bad && this.lastSeq < anchoredSeq)
      this.bad = { id: "", seq: this.lastSeq + 1, problem: "truncated" };
  }

  verdict(): ChainVerdict {
    return this.bad ? { ok: false, events: this.count, firstBadEvent: this.bad } : { ok: true, events: this.count };
  }
}
