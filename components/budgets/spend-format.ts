import { formatUsdDecimal } from "@/lib/core/money";

/** How the Spend section writes its amounts: USD exact (at least cents, thousands grouped), tokens grouped. */
export function spendAmountText(amount: bigint, unit: "usd" | "tokens"): string {
  if (unit === "tokens") return `${amount.toLocaleString("en-US")} tokens`;
  const [whole, fraction = ""] = formatUsdDecimal(amount).split(".");
  const sign = whole!.startsWith("-") ? "-" : "";
  return `${sign}$${BigInt(whole!.replace("-", "")).toLocaleString("en-US")}.${fraction.padEnd(2, "0")}`;
}

/** A limit as the form's field shows it: the exact decimal, or empty for unlimited. */
export function limitFieldText(limit: bigint | null, unit: "usd" | "tokens"): string {
  if (limit === null) return "";
  return unit === "usd" ? formatUsdDecimal(limit) : limit.toString();
}

/** A part of a whole as a percentage for a bar's width (0–100, two decimals), from exact integers. */
export function percentOf(part: bigint, whole: bigint): number {
  if (whole <= 0n) return part > 0n ? 100 : 0;
  const basisPoints = (part * 10_000n) / whole;
  return Math.min(100, Number(basisPoints) / 100);
}

export function utcText(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 16)} UTC`;
}
