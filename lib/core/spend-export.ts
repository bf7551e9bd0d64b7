/**
 * The Budgets page's spend export (CSV, RFC 4180 as the audit export writes it, formula cells
 * neutralised): one row per local day × workflow class × action name. USD as exact decimals
 * (money.ts), tokens as integers — never a float in between. Pure.
 */
import { csvField } from "./audit-export";
import { formatUsdDecimal } from "./money";

export type SpendCsvRow = {
  day: string;
  class: string;
  action: string;
  actions: number;
  spentMicros: bigint;
  reservedMicros: bigint;
  spentTokens: bigint;
  overruns: number;
};

export const SPEND_CSV_COLUMNS = [
  "day",
  "class",
  "action",
  "actions",
  "spent_usd",
  "reserved_usd",
  "spent_tokens",
  "overruns",
] as const;

export function spendCsv(rows: readonly SpendCsvRow[]): string {
  let out = `${SPEND_CSV_COLUMNS.join(",")}\r\n`;
  for (const r of rows) {
    const cells = [
      r.day,
      r.class,
      r.action,
      r.actions,
      formatUsdDecimal(r.spentMicros),
      formatUsdDecimal(r.reservedMicros),
      r.spentTokens.toString(),
      r.overruns,
    ];
    out += `${cells.map(csvField).join(",")}\r\n`;
  }
  return out;
}
