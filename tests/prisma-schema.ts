/**
 * A small reader of prisma/schema.prisma for the drift test: models, enums,
 * scalar fields with their database names, types and nullability. It covers
 * the syntax this schema uses; the drift test cross-checks it against the
 * generated client's own data model so that it cannot silently skip a model.
 */
export type SchemaField = {
  name: string;
  column: string;
  type: string;
  list: boolean;
  optional: boolean;
  native: string | null;
};
export type SchemaModel = { name: string; table: string; fields: SchemaField[] };
export type Schema = { models: SchemaModel[]; enums: Map<string, string> };

const SCALARS = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Json", "Float", "Decimal", "Bytes"]);

export function parsePrismaSchema(text: string): Schema {
  const withoutComments = text.replace(/\/\/.*$/gm, "");
  const blocks = [...withoutComments.matchAll(/^(model|enum)\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const enums = new Map<string, string>();
  for (const [, kind, name, body] of blocks) {
    if (kind !== "enum") continue;
    enums.set(name!, /@@map\("([^"]+)"\)/.exec(body!)?.[1] ?? name!);
  }
  const models: SchemaModel[] = [];
  for (const [, kind, name, body] of blocks) {
    if (kind !== "model") continue;
    const fields: SchemaField[] = [];
    for (const raw of body!.split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("@@")) continue;
      // `Unsupported("xid8")?`: a database type the client does not model; compared by its name.
      const unsupported = /^(\w+)\s+Unsupported\("(\w+)"\)(\?)?\s*(.*)$/.exec(line);
      if (unsupported) {
        const [, fieldName, dbType, optional, attributes] = unsupported;
        fields.push({
          name: fieldName!,
          column: /@map\("([^"]+)"\)/.exec(attributes!)?.[1] ?? fieldName!,
          type: "Unsupported",
          list: false,
          optional: Boolean(optional),
          native: dbType!,
        });
        continue;
      }
      const match = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!match) continue;
      const [, fieldName, type, list, optional, attributes] = match;
      if (!SCALARS.has(type!) && !enums.has(type!)) continue; // relation field
      fields.push({
        name: fieldName!,
        column: /@map\("([^"]+)"\)/.exec(attributes!)?.[1] ?? fieldName!,
        type: type!,
        list: Boolean(list),
        optional: Boolean(optional),
        native: /@db\.(\w+(?:\([^)]*\))?)/.exec(attributes!)?.[1] ?? null,
      });
    }
    models.push({ name: name!, table: /@@map\("([^"]+)"\)/.exec(body!)?.[1] ?? name!, fields });
  }
  return { models, enums };
}

/** What information_schema.columns should say for a field: data_type, udt_name and precision. */
export function expectedColumnType(
  field: SchemaField,
  enums: Map<string, string>,
): { dataType: string; udt?: string; precision?: number } {
  if (field.list) return { dataType: "ARRAY" };
  if (enums.has(field.type)) return { dataType: "USER-DEFINED", udt: enums.get(field.type)! };
  const native = field.native;
  switch (field.type) {
    case "Unsupported":
      return { dataType: native! };
    case "String":
      if (native?.startsWith("VarChar")) return { dataType: "character varying" };
      if (native === "Uuid") return { dataType: "uuid" };
      return { dataType: "text" };
    case "Int":
      return { dataType: "integer" };
    case "BigInt":
      return { dataType: "bigint" };
    case "Boolean":
      return { dataType: "boolean" };
    case "Float":
      return { dataType: "double precision" };
    case "Decimal":
      return { dataType: "numeric" };
    case "Bytes":
      return { dataType: "bytea" };
    case "Json":
      return { dataType: native === "Json" ? "json" : "jsonb" };
    case "DateTime": {
      const precision = Number(/\((\d+)\)/.exec(native ?? "")?.[1] ?? 3);
      if (native?.startsWith("Timestamptz")) return { dataType: "timestamp with time zone", precision };
      if (native === "Date") return { dataType: "date" };
      return { dataType: "timestamp without time zone", precision };
    }
    default:
      throw new Error(`unsupported type ${field.type}`);
  }
}
