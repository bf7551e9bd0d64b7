import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@/lib/generated/prisma/client";
import { expectedColumnType, parsePrismaSchema, type Schema } from "@/tests/prisma-schema";
import { getDb } from "./db";

type Column = {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: "YES" | "NO";
  datetime_precision: number | null;
};

/**
 * schema.prisma (what the client believes) and the migrated database (what the
 * SQL migrations built) must agree on tables, columns, types and nullability.
 */
describe("schema.prisma and the migrated database agree", () => {
  let schema: Schema;
  let columns: Column[];
  beforeAll(async () => {
    schema = parsePrismaSchema(readFileSync(path.join(process.cwd(), "prisma", "schema.prisma"), "utf8"));
    columns = await getDb().$queryRaw<Column[]>`
      SELECT table_name, column_name, data_type, udt_name, is_nullable, datetime_precision
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      ORDER BY table_name, ordinal_position`;
  });

  it("the schema reader sees every model of the generated client", () => {
    const generated = Object.keys(Prisma.ModelName).sort();
    expect(schema.models.map((m) => m.name).sort()).toEqual(generated);
  });

  it("has the same tables", () => {
    const tables = [...new Set(columns.map((c) => c.table_name))].sort();
    expect(tables).toEqual(schema.models.map((m) => m.table).sort());
  });

  it("has the same columns in every table", () => {
    for (const model of schema.models) {
      const actual = columns
        .filter((c) => c.table_name === model.table)
        .map((c) => c.column_name)
        .sort();
      expect(actual, `columns of ${model.table}`).toEqual(model.fields.map((f) => f.column).sort());
    }
  });

  it("has the same types and nullability", () => {
    const mismatches: string[] = [];
    for (const model of schema.models) {
      for (const field of model.fields) {
        const column = columns.find((c) => c.table_name === model.table && c.column_name === field.column);
        if (!column) continue; // reported by the columns test
        const expected = expectedColumnType(field, schema.enums);
        const where = `${model.table}.${field.column}`;
        if (column.data_type !== expected.dataType)
          mismatches.push(`${where}: type ${column.data_type}, schema says ${expected.dataType}`);
        if (expected.udt && column.udt_name !== expected.udt)
          mismatches.push(`${where}: enum ${column.udt_name}, schema says ${expected.udt}`);
        if (expected.precision !== undefined && column.datetime_precision !== expected.precision) {
          mismatches.push(`${where}: precision ${column.datetime_precision}, schema says ${expected.precision}`);
        }
        const nullable = column.is_nullable === "YES";
        if (nullable !== field.optional)
          mismatches.push(
            `${where}: ${nullable ? "nullable" : "NOT NULL"}, schema says ${field.optional ? "optional" : "required"}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("has every enum with the same values", async () => {
    const rows = await getDb().$queryRaw<{ typname: string; labels: string[] }[]>`
      SELECT t.typname::text AS typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`;
    const source = readFileSync(path.join(process.cwd(), "prisma", "schema.prisma"), "utf8");
    for (const [name, dbName] of schema.enums) {
      const body = new RegExp(`enum\\s+${name}\\s*\\{([\\s\\S]*?)\\}`).exec(source)![1]!;
      const values = body
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^\w+$/.test(l));
      expect(rows.find((r) => r.typname === dbName)?.labels, `enum ${dbName}`).toEqual(values);
    }
  });
});
