import { NextResponse, type NextRequest } from "next/server";
import { env } from "./lib/env";
import { NONCE_HEADER, newNonce, pageContentSecurityPolicy } from "./lib/security-headers";

/**
 * Runs before every page (sign-in included). Two jobs:
 *
 * - The page's Content Security Policy with a fresh nonce (lib/security-headers.ts):
 *   on the request, where Next.js reads the nonce for its own scripts and the
 *   root layout for the theme script, and on the response, for the browser.
 * - Optimistic only: a visitor without a session cookie is sent to /login. The
 *   real checks (requireUser / requireRole / authorizeAction) run on the server
 *   in every page, action and route; this just spares signed-out visitors a
 *   round of server rendering.
 */
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
/** Pages a signed-out visitor may see. */
const PUBLIC_PAGES = new Set(["/login"]);
export function proxy(request: NextRequest) {
  const nonce = newNonce();
  // The dev server's policy also allows eval and fast refresh's WebSocket.
  const csp = pageContentSecurityPolicy(nonce, env().NODE_ENV === "development");

  const hasSession = SESSION_COOKIES.some((name) => request.cookies.has(name));
  let response: NextResponse;
  if (hasSession || PUBLIC_PAGES.has(request.nextUrl.pathname)) {
    const headers = new Headers(request.headers);
    headers.set(NONCE_HEADER, nonce);
    headers.set("Content-Security-Policy", csp);
    response = NextResponse.next({ request: { headers } });
  } else {
    const url = request.nextUrl.clone();
    url.pathname = "/login";
    url.search = "";
    const next = request.nextUrl.pathname + request.nextUrl.search;
    if (next !== "/") url.searchParams.set("next", next);
    response = NextResponse.redirect(url);
  }
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  // Every page: everything but the APIs (they answer 401 themselves and need no nonce) and static files.
  matcher: ["/((?!api/|_next/|favicon.ico|icon.svg|robots.txt).*)"],
};
