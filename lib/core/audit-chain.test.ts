import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainVerifier, GENESIS_HASH, canonicalEvent, sealEvents, sealHash, type ChainEvent } from "./audit-chain";

const event = (id: number, extra: Partial<ChainEvent> = {}): ChainEvent => ({
  id: String(id),
  workspaceId: "ws_1",
  actorType: "user",
  actorId: "u1",
  actorName: "a@b.c",
  action: "kv.put",
  outcome: "success",
  namespace: "billing.runs",
  target: "k",
  reason: "because",
  correlationId: null,
  requestId: null,
  details: { b: 1, a: [1, { d: 2, c: 3 }] },
  createdAt: "2026-11-25T10:00:00.000Z",
  ...extra,
});

function verify(events: ChainEvent[], seals = sealEvents(null, events)) {
  const v = new ChainVerifier();
  seals.forEach((seal, i) => v.push({ eventId: events[i]?.id ?? "?", seal, event: events[i] ?? null }));
  return v.verdict();
}

describe("audit hash chain", () => {
  it("canonical JSON sorts keys at every depth, so key order in details does not matter", () => {
    const a = canonicalEvent(event(1, { details: { x: 1, y: { b: 2, a: 1 } } }));
    const b = canonicalEvent(event(1, { details: { y: { a: 1, b: 2 }, x: 1 } }));
    expect(a).toBe(b);
    expect(a).not.toMatch(/\s/);
    expect(a.startsWith('{"action":"kv.put","actorId":"u1"')).toBe(true);
  });

  it("chains each hash over the previous one, from the genesis hash", () => {
    const events = [event(1), event(2), event(3)];
    const seals = sealEvents(null, events);
    expect(seals.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(seals[0]!.prevHash).toBe(GENESIS_HASH);
    expect(seals[1]!.prevHash).toBe(seals[0]!.hash);
    expect(seals[2]!.hash).toBe(sealHash(seals[1]!.hash, events[2]!));
    // Continuing after a head gives the same seals as sealing all at once.
    expect(sealEvents({ seq: 2, hash: seals[1]!.hash }, [events[2]!])).toEqual([seals[2]]);
  });

  it("verifies an untouched chain with its event count", () => {
    expect(verify([event(1), event(2), event(3)])).toEqual({ ok: true, events: 3 });
    expect(verify([])).toEqual({ ok: true, events: 0 });
  });

  it("names the first edited event, whatever field was edited", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom<keyof ChainEvent>("reason", "actorName", "target", "outcome", "createdAt", "details"),
        (victim, field) => {
          const events = Array.from({ length: 10 }, (_, i) => event(i + 1));
          const seals = sealEvents(null, events);
          const edited = events.map((e, i) => (i === victim ? { ...e, [field]: "forged" } : e));
          expect(verify(edited, seals)).toEqual({
            ok: false,
            events: victim,
            firstBadEvent: { id: String(victim + 1), seq: victim + 1, problem: "hash_mismatch" },
          });
        },
      ),
    );
  });

  it("names a gap, a deleted event and a relinked seal", () => {
    const events = [event(1), event(2), event(3)];
    const seals = sealEvents(null, events);
    const gap = new ChainVerifier();
    gap.push({ eventId: "1", seal: seals[0]!, event: events[0]! });
    gap.push({ eventId: "3", seal: seals[2]!, event: events[2]! });
    // Reported at the missing position (#2), not at the next seal there.
    expect(gap.verdict()).toMatchObject({ ok: false, firstBadEvent: { seq: 2, problem: "missing_seal" } });

    // A second seal at a position already verified: inserted beside the real one.
    const twice = new ChainVerifier();
    twice.push({ eventId: "1", seal: seals[0]!, event: events[0]! });
    twice.push({ eventId: "2", seal: seals[1]!, event: events[1]! });
    twice.push({ eventId: "9", seal: seals[1]!, event: events[1]! });
    expect(twice.verdict()).toMatchObject({ ok: false, firstBadEvent: { seq: 2, problem: "duplicate_seal" } });

    const missing = new ChainVerifier();
    missing.push({ eventId: "1", seal: seals[0]!, event: null });
    expect(missing.verdict()).toMatchObject({ ok: false, firstBadEvent: { id: "1", problem: "missing_event" } });

    const relinked = [...seals];
    relinked[1] = { ...seals[1]!, prevHash: "f".repeat(64) };
    expect(verify(events, relinked)).toMatchObject({ ok: false, firstBadEvent: { id: "2", problem: "broken_link" } });
  });
});
