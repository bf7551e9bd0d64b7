import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  csvField,
  csvHeader,
  csvLine,
  decodeAuditCursor,
  encodeAuditCursor,
  parseCsv,
  type ExportRow,
} from "./audit-export";

const row = (reason: string | null): ExportRow => ({
  id: "42",
  createdAt: "2026-11-25T10:00:00.000Z",
  workspaceId: "ws_1",
  actorType: "user",
  actorId: "u1",
  actorName: "a@b.c",
  action: "kv.put",
  outcome: "success",
  namespace: "billing.runs",
  target: "k,1",
  reason,
  correlationId: null,
  requestId: null,
  details: { note: 'say "hi"' },
  chainSeq: 7,
  prevHash: "0".repeat(64),
  hash: "a".repeat(64),
});

describe("audit export formats", () => {
  it("quotes CSV fields with commas, quotes and newlines (RFC 4180), empty for null", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField(null)).toBe("");
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvField(7)).toBe("7");
  });

  it("neutralises cells a spreadsheet would run as formulas (OWASP CSV injection), and reads them back exactly", () => {
    for (const attack of ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]) {
      const cell = csvField(attack);
      // Quoted, and the first character inside the quotes is the neutralising apostrophe.
      expect(cell.startsWith(`"'`)).toBe(true);
      expect(parseCsv(cell)).toEqual([[attack]]);
    }
    // A cell that starts with an apostrophe keeps it: the reader drops exactly one.
    expect(csvField("'quoted")).toBe(`"''quoted"`);
    expect(parseCsv(csvField("'quoted"))).toEqual([["'quoted"]]);
    expect(csvField("plain-text")).toBe("plain-text");
  });

  it("round-trips any reason through CSV", () => {
    fc.assert(
      fc.property(fc.string(), (reason) => {
        const [header, fields] = parseCsv(csvHeader() + csvLine(row(reason)));
        expect(fields![header!.indexOf("reason")]).toBe(reason);
        expect(fields![header!.indexOf("target")]).toBe("k,1");
        expect(JSON.parse(fields![header!.indexOf("details")]!)).toEqual({ note: 'say "hi"' });
      }),
    );
  });

  it("encodes a keyset cursor and refuses garbage", () => {
    const cursor = { createdAt: new Date("2026-11-25T10:00:00.123Z"), id: 123456789012n };
    expect(decodeAuditCursor(encodeAuditCursor(cursor))).toEqual(cursor);
    expect(decodeAuditCursor("not-a-cursor")).toBeNull();
    expect(decodeAuditCursor("")).toBeNull();
  });
});
