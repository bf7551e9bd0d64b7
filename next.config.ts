import type { NextConfig } from "next";
import { securityHeaders } from "./lib/security-headers";

const isDev = process.env.NODE_ENV !== "production";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@node-rs/bcrypt"],
  experimental: { authInterrupts: true },
  // Types are checked once, by `npm run typecheck` (part of npm test), over the
  // whole tree; repeating it inside every build only slows `npm start` down.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders(isDev) }];
  },
};

export default nextConfig;
