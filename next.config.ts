import type { NextConfig } from "next";
import { securityHeaders } from "./lib/security-headers";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@node-rs/bcrypt"],
  experimental: { authInterrupts: true },
  // Types are checked once, by `npm run typecheck` (part of npm test), over the
  // whole tree; repeating it inside every build only slows `npm start` down.
  typescript: { ignoreBuildErrors: true },
  // Every response; proxy.ts replaces the CSP of pages with one that carries the request's nonce.
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders() }];
  },
};

export default nextConfig;
