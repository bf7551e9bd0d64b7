import type { ReactNode } from "react";

/** A JSON Schema (draft 2020-12) as the OpenAPI document carries it. */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
};

export const schemaAnchor = (name: string) => `schema-${name}`;
const refName = (ref: string) => ref.split("/").pop() ?? ref;

/** A one-line type: `string`, `integer ≥ 1`, `Task | null`, `array of KvEntry`, `"a" | "b"`. */
export function TypeLabel({ schema }: { schema: Schema }): ReactNode {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return (
      <a href={`#${schemaAnchor(name)}`} className="font-mono text-indigo-700 hover:underline dark:text-indigo-300">
        {name}
      </a>
    );
  }
  if (schema.anyOf) {
    return schema.anyOf.map((s, i) => (
      <span key={i}>
        {i > 0 ? <span className="text-zinc-400"> | </span> : null}
        <TypeLabel schema={s} />
      </span>
    ));
  }
  if (schema.enum) return <span className="font-mono">{schema.enum.map((v) => JSON.stringify(v)).join(" | ")}</span>;
  if (schema.const !== undefined) return <span className="font-mono">{JSON.stringify(schema.const)}</span>;
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array" && schema.items) {
    return (
      <span>
        <span className="font-mono">array of </span>
        <TypeLabel schema={schema.items} />
      </span>
    );
  }
  if (!type) return <span className="font-mono">any JSON</span>;
  if (type === "object" && !schema.properties && typeof schema.additionalProperties === "object") {
    return (
      <span>
        <span className="font-mono">map of </span>
        <TypeLabel schema={schema.additionalProperties} />
      </span>
    );
  }
  return (
    <span className="font-mono">
      {type}
      {schema.format ? <span className="text-zinc-500"> ({schema.format})</span> : null}
    </span>
  );
}

/** Constraints worth reading: bounds, lengths, patterns, defaults. */
function constraints(schema: Schema): string[] {
  const out: string[] = [];
  if (schema.minimum !== undefined) out.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) out.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) out.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    out.push(`length ${schema.minLength ?? 0}–${schema.maxLength ?? "∞"}`);
  if (schema.pattern) out.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

function nestedObject(schema: Schema): Schema | null {
  if (schema.properties) return schema;
  const nonNull = schema.anyOf?.filter((s) => s.type !== "null");
  if (nonNull?.length === 1 && nonNull[0]!.properties) return nonNull[0]!;
  if (schema.items?.properties) return schema.items;
  return null;
}

/** The fields of an object schema, nested objects indented; `$ref`s link to their schema. */
export function SchemaFields({ schema, depth = 0 }: { schema: Schema; depth?: number }) {
  if (!schema.properties) {
    return (
      <p className="text-sm">
        <TypeLabel schema={schema} />
        {schema.description ? <span className="text-zinc-600 dark:text-zinc-400"> — {schema.description}</span> : null}
      </p>
    );
  }
  const required = new Set(schema.required ?? []);
  return (
    <ul className={depth ? "ml-4 border-l border-zinc-200 pl-3 dark:border-zinc-800" : "space-y-1"}>
      {Object.entries(schema.properties).map(([name, field]) => {
        const nested = nestedObject(field);
        const notes = constraints(field);
        return (
          <li key={name} className="py-0.5 text-sm">
            <code className="font-mono font-semibold">{name}</code>
            {required.has(name) ? null : <span className="text-zinc-500">?</span>}{" "}
            {nested && !field.$ref ? (
              <span className="font-mono text-zinc-500">
                {field.items ? "array of object" : "object"}
                {field.anyOf ? " | null" : ""}
              </span>
            ) : (
              <TypeLabel schema={field} />
            )}
            {notes.length ? <span className="text-xs text-zinc-500"> · {notes.join(" · ")}</span> : null}
            {field.description ? (
              <span className="text-zinc-600 dark:text-zinc-400"> — {field.description}</span>
            ) : null}
            {nested && !field.$ref ? <SchemaFields schema={nested} depth={depth + 1} /> : null}
          </li>
        );
      })}
      {schema.additionalProperties === false && depth === 0 ? (
        <li className="pt-1 text-xs text-zinc-500">No other fields.</li>
      ) : null}
    </ul>
  );
}
