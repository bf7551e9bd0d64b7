/**
 * The security headers of every response, and the two Content Security Policies.
 *
 * Every response gets `securityHeaders()` (next.config.ts for what Next.js serves,
 * the agent API's lane for what it serves). Their CSP runs nothing: JSON, static
 * files and redirects need no script, style or frame. Pages replace it with
 * `pageContentSecurityPolicy(nonce)`, set by proxy.ts with a fresh nonce for each
 * request — so a page proxy.ts did not see fails closed (unstyled, no script)
 * instead of running scripts without a policy.
 */

/** For JSON, static files and redirects: nothing may run, load, frame it or be submitted from it. */
export const API_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

export function securityHeaders(): { key: string; value: string }[] {
  return [
    { key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
  ];
}

/**
 * A page's policy. Scripts run only with this request's nonce, which Next.js
 * puts on its own scripts (it reads it from the request's CSP header) and the
 * root layout on the theme script; 'strict-dynamic' lets those load the chunks
 * they import. An injected `<script>` has no nonce and is refused. The app
 * renders no third-party content: everything else comes from 'self'.
 *
 * Styles keep 'unsafe-inline': React and Radix write `style` attributes (a
 * dialog's position, the theme's color-scheme) that a nonce cannot cover, and
 * injected CSS cannot run code. The dev server also needs eval (React rebuilds
 * server error stacks with it) and a WebSocket for fast refresh.
 */
export function pageContentSecurityPolicy(nonce: string, isDev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${isDev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** 128 random bits, base64: unguessable, and new for every page request. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** The request header proxy.ts hands the nonce to the root layout in (the browser never sees it). */
export const NONCE_HEADER = "x-nonce";
