import { describe, expect, it } from "vitest";
import { parseCsv } from "./audit-export";
import { spendCsv } from "./spend-export";

describe("spendCsv", () => {
  it("writes the header, exact decimals (0.1 + 0.2 = 0.3, micro-dollars kept) and integer tokens", () => {
    const text = spendCsv([
      {
        day: "2026-12-01",
        class: "invoices",
        action: "llm.chat",
        actions: 2,
        spentMicros: 100_000n + 200_000n,
        reservedMicros: 1n,
        spentTokens: 10n ** 15n,
        overruns: 1,
      },
    ]);
    expect(text).toBe(
      "day,class,action,actions,spent_usd,reserved_usd,spent_tokens,overruns\r\n" +
        "2026-12-01,invoices,llm.chat,2,0.3,0.000001,1000000000000000,1\r\n",
    );
  });

  it("neutralises a class name a spreadsheet would run, and quotes commas; parseCsv reads the original back", () => {
    const text = spendCsv([
      {
        day: "2026-12-01",
        class: "=HYPERLINK(1)",
        action: "a,b",
        actions: 1,
        spentMicros: 0n,
        reservedMicros: 0n,
        spentTokens: 0n,
        overruns: 0,
      },
    ]);
    expect(text.split("\r\n")[1]).toBe(`2026-12-01,"'=HYPERLINK(1)","a,b",1,0,0,0,0`);
    expect(parseCsv(text)[1]).toEqual(["2026-12-01", "=HYPERLINK(1)", "a,b", "1", "0", "0", "0", "0"]);
  });
});
