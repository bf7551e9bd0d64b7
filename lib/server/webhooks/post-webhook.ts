import "server-only";
import http from "node:http";
import https from "node:https";
import { checkWebhookUrl, type DestinationPolicy } from "@/lib/core/webhooks";
import { guardedLookup, RefusedDestination, systemResolver, type Resolver } from "./destination";

export type PostResult =
  | { ok: true; statusCode: number }
  | {
      ok: false;
      statusCode: number | null;
      /** The detail, for admins (lib/core/webhooks.ts#deliveryResultText). */
      error: string;
      /** The policy refused the destination: nothing was sent. */
      refused: boolean;
    };

/**
 * POSTs one webhook: to a destination the policy allows, connecting only to
 * an address it checked (guardedLookup), within `timeoutMs` for everything
 * (resolving, connecting, the answer's headers). Redirects are not followed —
 * a 3xx is a failed delivery, so a receiver cannot bounce the request to an
 * internal address. The answer's body is not read.
 */
export async function postWebhook(
  url: string,
  request: {
    headers: Record<string, string>;
    body: string;
    policy: DestinationPolicy;
    resolve?: Resolver;
    timeoutMs: number;
  },
): Promise<PostResult> {
  const decision = checkWebhookUrl(url, request.policy);
  if (!decision.ok) return { ok: false, statusCode: null, error: `refused: ${decision.reason}`, refused: true };
  const transport = decision.url.protocol === "https:" ? https : http;
  const lookup = guardedLookup(request.resolve ?? systemResolver, { check: !decision.trusted });
  return new Promise<PostResult>((settle) => {
    const req = transport.request(
      decision.url,
      {
        method: "POST",
        headers: { ...request.headers, "Content-Length": String(Buffer.byteLength(request.body)) },
        // A literal address was judged by checkWebhookUrl (node connects to it without a lookup);
        // a name gets its addresses from the guarded lookup, never from a second resolution.
        lookup,
        agent: false,
        signal: AbortSignal.timeout(request.timeoutMs),
      },
      (res) => {
        const statusCode = res.statusCode ?? 0;
        res.destroy();
        if (statusCode >= 200 && statusCode < 300) return settle({ ok: true, statusCode });
        const redirect = statusCode >= 300 && statusCode < 400 ? " (redirects are not followed)" : "";
        settle({ ok: false, statusCode, error: `HTTP ${statusCode}${redirect}`, refused: false });
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error instanceof RefusedDestination)
        return settle({ ok: false, statusCode: null, error: `refused: ${error.message}`, refused: true });
      const message =
        error.name === "AbortError" ? `no answer within ${request.timeoutMs / 1000} s` : error.message.slice(0, 300);
      settle({ ok: false, statusCode: null, error: message || "request failed", refused: false });
    });
    req.end(request.body);
  });
}
