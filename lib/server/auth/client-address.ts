import "server-only";
import { resolveClientAddress } from "@/lib/core/client-address";
import { env } from "@/lib/env";
import { logger } from "../logger";

// scripts/server.mjs puts the TCP peer's address in a header of its own on every request, overwriting
// whatever a client sent under that name, and publishes the header's name here. A Web `Request` (what
// Auth.js hands to authorize()) carries no socket, and Next.js fills `X-Forwarded-For` from the socket
// only when the client did not send one — so neither can be trusted to say who connected.
const PEER_HEADER_KEY = Symbol.for("basekv.peerAddressHeader");

let warned = false;

/**
 * The client's address for a request's headers: the TCP peer, or what trusted
 * proxies (`TRUSTED_PROXIES`) say it was. Null when the app is not served by
 * scripts/server.mjs (a bare `next start`): then no header can be believed,
 * since without that server a client could send the peer header itself.
 */
export function clientAddressOf(headers: Headers): string | null {
  const name = (globalThis as Record<symbol, unknown>)[PEER_HEADER_KEY];
  const peer = typeof name === "string" ? headers.get(name) : null;
  const address = resolveClientAddress({
    peer,
    forwardedFor: headers.get("x-forwarded-for"),
    trusted: env().TRUSTED_PROXIES,
  });
  if (!address && !warned) {
    warned = true;
    logger.warn(
      "the client's address is unknown (the app is not served by scripts/server.mjs): sign-in attempts of all clients share one per-address limit",
    );
  }
  return address;
}
