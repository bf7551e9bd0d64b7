import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/core/errors";
import { byteLength, checkJsonValue, MAX_JSON_DEPTH, MAX_VALUE_BYTES } from "@/lib/core/kv";
import type { BodySpec } from "./types";

/**
 * A route's JSON body, parsed and checked — the one place for it (the `body` option of every route,
 * and the PUT's fast path): not JSON → 400; nesting, NUL or unpaired surrogates anywhere, or not the
 * schema → 422; a stored value above MAX_VALUE_BYTES → 413; a value that could not be stored → 422.
 */
export function parseJsonBody<S extends z.ZodType>(text: string, spec: BodySpec<S>): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "the body is not valid JSON");
  }
  // Before the (recursive) schema: a hostile nesting depth must not exhaust the stack.
  const body = checkJsonValue(raw, MAX_JSON_DEPTH + 1);
  if (!body.ok)
    throw new AppError("validation_failed", `the body: ${body.message}`, {
      issues: [{ path: [], message: body.message }],
    });
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success)
    throw new AppError("validation_failed", `the body does not match ${spec.shape}`, {
      issues: z.treeifyError(parsed.error),
    });
  for (const field of spec.values) {
    const value = (parsed.data as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const bytes = byteLength(JSON.stringify(value));
    if (bytes > MAX_VALUE_BYTES)
      throw new AppError("payload_too_large", `${field} is limited to ${MAX_VALUE_BYTES} bytes of JSON (got ${bytes})`);
    const check = checkJsonValue(value);
    if (!check.ok)
      throw new AppError("validation_failed", `${field}: ${check.message}`, {
        issues: [{ path: [field], message: check.message }],
      });
  }
  return parsed.data;
}
