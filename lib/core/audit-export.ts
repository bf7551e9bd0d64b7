/**
 * Audit search cursors and export rows: pure functions shared by the
 * dashboard, the export route and the CLI.
 */
import type { ChainEvent } from "./audit-chain";

/** Keyset position in a newest-first search: the last row's (createdAt, id). */
export type AuditCursor = { createdAt: Date; id: bigint };

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, "utf8").toString("base64url");
}

export function decodeAuditCursor(text: string | null | undefined): AuditCursor | null {
  if (!text) return null;
  const raw = Buffer.from(text, "base64url").toString("utf8");
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(\d{1,19})$/.exec(raw);
  if (!match) return null;
  const createdAt = new Date(match[1]!);
  if (Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id: BigInt(match[2]!) };
}

/** One exported event: every stored field plus its seal (null while not yet chained). */
export type ExportRow = ChainEvent & { chainSeq: number | null; prevHash: string | null; hash: string | null };

export const EXPORT_COLUMNS = [
  "id",
  "createdAt",
  "workspaceId",
  "actorType",
  "actorId",
  "actorName",
  "action",
  "outcome",
  "namespace",
  "target",
  "reason",
  "correlationId",
  "requestId",
  "details",
  "chainSeq",
  "prevHash",
  "hash",
] as const satisfies readonly (keyof ExportRow)[];

/**
 * A cell a spreadsheet would run as a formula (CSV injection, OWASP): one starting with =, +, -, @,
 * tab or CR. Audit fields hold what agents and people typed (reasons, keys, names), so such a cell
 * gets a leading single quote, which spreadsheets show as text. A cell that itself starts with a
 * single quote gets one too, so the original is always the cell without one leading quote
 * (csvCellText): an export stays exact for verification.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

/**
 * RFC 4180: a field with a comma, a quote, CR or LF is quoted and its quotes
 * doubled; null is the empty field. `details` is its JSON text. A field that
 * could start a formula is neutralised first (FORMULA_START) and always quoted.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const raw = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  const formula = FORMULA_START.test(raw);
  const text = formula ? `'${raw}` : raw;
  return formula || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The value a CSV cell of this export stands for: the cell without the quote csvField may have added. */
export function csvCellText(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

export function csvHeader(): string {
  return `${EXPORT_COLUMNS.join(",")}\r\n`;
}

export function csvLine(row: ExportRow): string {
  return `${EXPORT_COLUMNS.map((column) => csvField(row[column])).join(",")}\r\n`;
}

export function ndjsonLine(row: ExportRow): string {
  return `${JSON.stringify(row)}\n`;
}

/**
 * Parses CSV text (RFC 4180, as written above) into rows of field values (csvCellText applied);
 * for tests and offline checks.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.map((cells) => cells.map(csvCellText));
}
