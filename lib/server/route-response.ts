import "server-only";
import { format as formatDate } from "date-fns";
import { isAppError } from "@/lib/core/errors";

const REFUSAL_STATUS: Record<string, number> = { unauthorized: 401, forbidden: 403, not_found: 404 };

/**
 * A dashboard route handler (outside the agent API) refused by `authorize`/`authorizeAction`: its
 * status and message as JSON. Anything else is rethrown (a 500 that shows nothing).
 */
export function refusalResponse(error: unknown): Response {
  if (isAppError(error) && REFUSAL_STATUS[error.code])
    return Response.json({ error: error.message }, { status: REFUSAL_STATUS[error.code] });
  throw error;
}

/** A file to download, never cached: `<kind>-<workspace>-<yyyyMMdd-HHmmss>.<extension>`. */
export function downloadResponse(
  body: BodyInit,
  input: { kind: string; workspace: string; extension: string; contentType: string },
): Response {
  const name = `${input.kind}-${input.workspace}-${formatDate(new Date(), "yyyyMMdd-HHmmss")}.${input.extension}`;
  return new Response(body, {
    headers: {
      "Content-Type": input.contentType,
      "Content-Disposition": `attachment; filename="${name}"`,
      "Cache-Control": "no-store",
    },
  });
}
