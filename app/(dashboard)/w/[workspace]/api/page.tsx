import type { Metadata } from "next";
import { ERROR_STATUS } from "@/lib/core/errors";
import { requireRole } from "@/lib/server/auth/session";
import { openApiDocument } from "@/lib/server/openapi";
import { AGENT_ERROR_CODES, ERROR_DESCRIPTIONS } from "@/lib/validations/agent-api";
import { ApiReference } from "@/components/api-reference/api-reference";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "API reference" };

/** The agent API, rendered from the same OpenAPI document /api/v1/openapi.json serves. Any member may read it. */
export default async function ApiReferencePage({ params }: { params: Promise<{ workspace: string }> }) {
  const { workspace: slug } = await params;
  await requireRole(slug);
  const doc = openApiDocument();
  const errorCodes = AGENT_ERROR_CODES.map((code) => ({
    code,
    status: ERROR_STATUS[code],
    description: ERROR_DESCRIPTIONS[code],
  }));
  return (
    <div className="space-y-6">
      <PageHeader
        title="API reference"
        description={
          <>
            What agents call with <code className="font-mono">Authorization: Bearer bkv_…</code>. Generated from the
            schemas the server validates with; the machine-readable document is{" "}
            <a href="/api/v1/openapi.json" className="font-mono text-indigo-700 hover:underline dark:text-indigo-300">
              /api/v1/openapi.json
            </a>{" "}
            (OpenAPI {doc.openapi}).
          </>
        }
      />
      <ApiReference doc={doc} errorCodes={errorCodes} />
    </div>
  );
}
