import type { OpenApiDocument, OpenApiOperation, OpenApiParameter } from "@/lib/server/openapi";
import { Card } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { cn } from "@/lib/utils";
import { schemaAnchor, SchemaFields, TypeLabel, type Schema } from "./schema-view";

const METHOD_TONE: Record<string, string> = {
  get: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  post: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  put: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  delete: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
};

type Entry = { path: string; method: string; op: OpenApiOperation };

export const operationAnchor = (op: OpenApiOperation) => `op-${op.operationId}`;

function Method({ method }: { method: string }) {
  return (
    <span
      className={cn(
        "inline-block w-16 rounded px-1.5 py-0.5 text-center font-mono text-xs font-bold uppercase",
        METHOD_TONE[method] ?? "bg-zinc-100 dark:bg-zinc-800",
      )}
    >
      {method}
    </span>
  );
}

/** `code` spans in the document's short markdown-ish descriptions. */
function Prose({ text, className }: { text: string; className?: string }) {
  return (
    <p className={cn("text-sm text-zinc-700 dark:text-zinc-300", className)}>
      {text.split(/(`[^`]+`)/).map((part, i) =>
        part.startsWith("`") && part.endsWith("`") ? (
          <code key={i} className="rounded bg-zinc-100 px-1 font-mono text-xs dark:bg-zinc-800">
            {part.slice(1, -1)}
          </code>
        ) : (
          part
        ),
      )}
    </p>
  );
}

function byTag(doc: OpenApiDocument): { tag: string; description: string; entries: Entry[] }[] {
  const entries = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );
  return doc.tags.map((t) => ({
    tag: t.name,
    description: t.description,
    entries: entries.filter((e) => e.op.tags.includes(t.name)),
  }));
}

function Parameters({ doc, op }: { doc: OpenApiDocument; op: OpenApiOperation }) {
  const parameters = op.parameters
    .map((p) => doc.components.parameters[p.$ref.split("/").pop()!])
    .filter((p): p is OpenApiParameter => Boolean(p));
  if (!parameters.length) return null;
  return (
    <section aria-label="Parameters">
      <h4 className="mb-2 text-sm font-semibold">Parameters</h4>
      <Table>
        <thead>
          <tr>
            <Th>Name</Th>
            <Th>In</Th>
            <Th>Type</Th>
            <Th>Meaning</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {parameters.map((p) => (
            <tr key={`${p.in}-${p.name}`}>
              <Td className="whitespace-nowrap">
                <code className="font-mono font-semibold">{p.name}</code>
                {p.required ? <span className="ml-1 text-xs text-red-600">required</span> : null}
              </Td>
              <Td>{p.in}</Td>
              <Td className="text-xs">
                <TypeLabel schema={p.schema as Schema} />
              </Td>
              <Td>
                <Prose text={p.description} />
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}

function Responses({ op }: { op: OpenApiOperation }) {
  const entries = Object.entries(op.responses);
  const successes = entries.filter(([status]) => Number(status) < 400);
  const errors = entries.filter(([status]) => Number(status) >= 400);
  return (
    <>
      <section aria-label="Responses">
        <h4 className="mb-2 text-sm font-semibold">Responses</h4>
        <ul className="space-y-2">
          {successes.map(([status, r]) => {
            const schema = r.content?.["application/json"]?.schema as Schema | undefined;
            return (
              <li key={status} className="text-sm">
                <span className="font-mono font-semibold text-emerald-700 dark:text-emerald-400">{status}</span>{" "}
                {r.description}
                {schema && Object.keys(schema).length ? (
                  <>
                    {" "}
                    — <TypeLabel schema={schema} />
                  </>
                ) : null}
                {r.headers ? (
                  <span className="block text-xs text-zinc-500">
                    Headers:{" "}
                    {Object.keys(r.headers).map((h, i) => (
                      <span key={h}>
                        {i ? ", " : ""}
                        <code className="font-mono">{h}</code>
                      </span>
                    ))}
                  </span>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>
      {errors.length ? (
        <section aria-label="Errors">
          <h4 className="mb-2 text-sm font-semibold">Errors</h4>
          <Table>
            <thead>
              <tr>
                <Th>Status</Th>
                <Th>Code: when</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {errors.map(([status, r]) => (
                <tr key={status}>
                  <Td className="align-top font-mono font-semibold text-red-700 dark:text-red-400">{status}</Td>
                  <Td className="space-y-1">
                    {r.description.split("\n\n").map((line) => (
                      <Prose key={line} text={line} />
                    ))}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </section>
      ) : null}
    </>
  );
}

function Operation({ doc, entry }: { doc: OpenApiDocument; entry: Entry }) {
  const { op, method, path } = entry;
  const body = op.requestBody?.content["application/json"]?.schema as Schema | undefined;
  const secured = op.security.length > 0;
  return (
    <Card id={operationAnchor(op)} className="scroll-mt-6 space-y-4">
      <div>
        <h3 className="flex flex-wrap items-center gap-2 text-base font-semibold">
          <Method method={method} />
          <code className="font-mono">{path}</code>
        </h3>
        <p className="mt-1 text-sm font-medium">{op.summary}</p>
        <Prose text={op.description} className="mt-1" />
        <p className="mt-1 text-xs text-zinc-500">
          {secured
            ? `Authorization: Bearer ${op.security.some((s) => "metricsToken" in s) ? "$METRICS_TOKEN" : "bkv_…"}`
            : "No authorization."}
        </p>
      </div>
      <Parameters doc={doc} op={op} />
      {body ? (
        <section aria-label="Request body">
          <h4 className="mb-2 text-sm font-semibold">Request body (application/json)</h4>
          <TypeLabel schema={body} />
        </section>
      ) : null}
      <Responses op={op} />
    </Card>
  );
}

/** The whole reference: contents, operations by tag, schemas, headers and error codes. */
export function ApiReference({
  doc,
  errorCodes,
}: {
  doc: OpenApiDocument;
  errorCodes: { code: string; status: number; description: string }[];
}) {
  const groups = byTag(doc);
  return (
    <div className="grid gap-6 lg:grid-cols-[14rem_minmax(0,1fr)]">
      <nav aria-label="API contents" className="text-sm lg:sticky lg:top-6 lg:self-start">
        {groups.map((g) => (
          <div key={g.tag} className="mb-4">
            <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">{g.tag}</p>
            <ul className="space-y-1">
              {g.entries.map((e) => (
                <li key={e.op.operationId}>
                  <a href={`#${operationAnchor(e.op)}`} className="hover:underline">
                    <span className="font-mono text-xs uppercase text-zinc-500">{e.method}</span> {e.op.summary}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">Reference</p>
        <ul className="space-y-1">
          <li>
            <a href="#error-codes" className="hover:underline">
              Error codes
            </a>
          </li>
          <li>
            <a href="#headers" className="hover:underline">
              Response headers
            </a>
          </li>
          <li>
            <a href="#schemas" className="hover:underline">
              Schemas
            </a>
          </li>
        </ul>
      </nav>
      <div className="min-w-0 space-y-8">
        {groups.map((g) => (
          <section key={g.tag} aria-labelledby={`tag-${g.tag}`} className="space-y-4">
            <div>
              <h2 id={`tag-${g.tag}`} className="text-lg font-semibold">
                {g.tag}
              </h2>
              <p className="text-sm text-zinc-600 dark:text-zinc-400">{g.description}</p>
            </div>
            {g.entries.map((e) => (
              <Operation key={e.op.operationId} doc={doc} entry={e} />
            ))}
          </section>
        ))}

        <section id="error-codes" aria-labelledby="error-codes-title" className="scroll-mt-6 space-y-3">
          <h2 id="error-codes-title" className="text-lg font-semibold">
            Error codes
          </h2>
          <Prose text="Every non-2xx answer has the body `{ error: { code, message, requestId, details } }`." />
          <Table aria-label="Error codes">
            <thead>
              <tr>
                <Th>Status</Th>
                <Th>Code</Th>
                <Th>When</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {errorCodes.map((e) => (
                <tr key={e.code}>
                  <Td className="font-mono">{e.status}</Td>
                  <Td>
                    <code className="font-mono">{e.code}</code>
                  </Td>
                  <Td>
                    <Prose text={e.description} />
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </section>

        <section id="headers" aria-labelledby="headers-title" className="scroll-mt-6 space-y-3">
          <h2 id="headers-title" className="text-lg font-semibold">
            Response headers
          </h2>
          <Table aria-label="Response headers">
            <thead>
              <tr>
                <Th>Header</Th>
                <Th>Meaning</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {Object.entries(doc.components.headers).map(([name, h]) => (
                <tr key={name}>
                  <Td className="whitespace-nowrap">
                    <code className="font-mono">{name}</code>
                  </Td>
                  <Td>
                    <Prose text={h.description} />
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </section>

        <section id="schemas" aria-labelledby="schemas-title" className="scroll-mt-6 space-y-4">
          <h2 id="schemas-title" className="text-lg font-semibold">
            Schemas
          </h2>
          {Object.entries(doc.components.schemas).map(([name, schema]) => (
            <Card key={name} id={schemaAnchor(name)} className="scroll-mt-6 space-y-2">
              <h3 className="font-mono text-base font-semibold">{name}</h3>
              {typeof schema.description === "string" ? <Prose text={schema.description} /> : null}
              <SchemaFields schema={{ ...(schema as Schema), description: undefined }} />
            </Card>
          ))}
        </section>
      </div>
    </div>
  );
}
