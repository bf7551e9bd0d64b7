import "server-only";
import { AppError } from "@/lib/core/errors";
import { requestFingerprint } from "@/lib/core/idempotency";
import { clientAddressOf } from "../../auth/client-address";
import type { AgentRequest } from "./types";

/** Bodies above this are refused before parsing (values themselves are limited to 256 KiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export type AgentHeaders = {
  correlationId: string | null;
  reason: string | null;
  priority: "low" | "normal";
  idempotencyKey: string | null;
};

const PRINTABLE = /^[\x20-\x7e]*$/;

export function parseAgentHeaders(request: AgentRequest): AgentHeaders {
  const header = (name: string, max: number) => {
    const value = request.headers.get(name);
    if (value === null) return null;
    if (value.length === 0 || value.length > max || !PRINTABLE.test(value)) {
      throw new AppError("invalid_request", `${name} must be 1–${max} printable ASCII characters`, { header: name });
    }
    return value;
  };
  const priority = request.headers.get("x-priority");
  if (priority !== null && priority !== "low" && priority !== "normal") {
    throw new AppError("invalid_request", "X-Priority must be low or normal", { header: "X-Priority" });
  }
  const rawReason = request.headers.get("x-reason");
  if (rawReason !== null && rawReason.length > 500)
    throw new AppError("invalid_request", "X-Reason must be at most 500 characters", { header: "X-Reason" });
  // Reasons are free text: percent-decoding lets agents send non-ASCII in a header.
  const reason = rawReason === null ? null : safeDecode(rawReason);
  // PostgreSQL text cannot hold NUL: "%00" would fail the audit write (a 500) instead of a 400.
  if (reason?.includes("\u0000"))
    throw new AppError("invalid_request", "X-Reason may not contain NUL (%00)", { header: "X-Reason" });
  return {
    correlationId: header("x-correlation-id", 128),
    reason,
    priority: priority ?? "normal",
    idempotencyKey: header("idempotency-key", 255),
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A web `Request` as the wrapper reads it. */
export function fromWebRequest(request: Request): AgentRequest {
  const body = request.body;
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: body ? chunksOf(body) : null,
    clientAddress: () => clientAddressOf(request.headers),
  };
}

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stopped early (a body over the limit): drop the rest instead of buffering it.
    await reader.cancel().catch(() => {});
  }
}

/** Reads at most `limit` bytes: a huge body is refused without being held in memory. */
export async function readBodyText(request: AgentRequest, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > limit) throw new AppError("payload_too_large", `request bodies are limited to ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError("invalid_request", "the request body is not valid UTF-8");
  }
}

/** What an Idempotency-Key is bound to: the method, the path with its query, the body and the preconditions. */
export function fingerprintOf(request: AgentRequest, body: string): string {
  const url = new URL(request.url);
  return requestFingerprint({
    method: request.method,
    path: url.pathname + url.search,
    body,
    ifMatch: request.headers.get("if-match"),
    ifNoneMatch: request.headers.get("if-none-match"),
  });
}
