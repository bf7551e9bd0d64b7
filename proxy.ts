import { NextResponse, type NextRequest } from "next/server";

/**
 * Optimistic only: a visitor without a session cookie is sent to /login. The
 * real checks (requireUser / requireRole / authorizeAction) run on the server
 * in every page, action and route; this just spares signed-out visitors a
 * round of server rendering.
 */
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

export function proxy(request: NextRequest) {
  const hasSession = SESSION_COOKIES.some((name) => request.cookies.has(name));
  if (hasSession) return NextResponse.next();
  const url = request.nextUrl.clone();
  url.pathname = "/login";
  url.search = "";
  const next = request.nextUrl.pathname + request.nextUrl.search;
  if (next !== "/") url.searchParams.set("next", next);
  return NextResponse.redirect(url);
}

export const config = {
  // Everything but sign-in, the APIs (they answer 401 themselves) and static files.
  matcher: ["/((?!login|api/|_next/|favicon.ico|robots.txt).*)"],
};
