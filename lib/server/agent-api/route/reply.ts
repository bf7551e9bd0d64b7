import "server-only";
import type { AppError } from "@/lib/core/errors";
import type { BudgetHeaders } from "../../budgets/usage";
import type { AgentReply, AgentResult } from "./types";

/** The headers of every answer to a known key (API.md "Standard headers"). */
export function standardHeaders(
  requestId: string,
  correlationId: string,
  usage: BudgetHeaders | null,
): Record<string, string> {
  const headers: Record<string, string> = {
    "X-Request-Id": requestId,
    "X-Correlation-Id": correlationId,
    "Cache-Control": "no-store",
  };
  if (usage) {
    headers["X-Guardrail-Mode"] = usage.mode;
    const { limit, remaining, resetAt } = usage.requests;
    if (limit !== null && remaining !== null) {
      headers["RateLimit-Limit"] = String(limit);
      headers["RateLimit-Remaining"] = String(remaining);
      headers["RateLimit-Reset"] = String(Math.max(0, Math.ceil((resetAt.getTime() - Date.now()) / 1000)));
    }
  }
  return headers;
}

export function resultText(result: AgentResult): string {
  return result.rawBody ?? JSON.stringify(result.body);
}

export function respond(result: AgentResult, headers: Record<string, string>): AgentReply {
  return rawJson(result.status ?? 200, resultText(result), { ...headers, ...result.headers });
}

function json(status: number, body: unknown, headers: Record<string, string>): AgentReply {
  return rawJson(status, JSON.stringify(body), headers);
}

export function rawJson(status: number, text: string, headers: Record<string, string>): AgentReply {
  return { status, body: text, headers: { "Content-Type": "application/json", ...headers } };
}

export function envelope(error: AppError, requestId: string) {
  return { error: { code: error.code, message: error.message, requestId, details: error.details ?? {} } };
}

export function errorReply(error: AppError, requestId: string, headers: Record<string, string> = {}): AgentReply {
  return json(error.status, envelope(error, requestId), { "X-Request-Id": requestId, ...headers });
}

export function toResponse(reply: AgentReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}
