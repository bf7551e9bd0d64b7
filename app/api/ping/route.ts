// Liveness without the database: the cheapest thing the app serves (the benchmark's baseline).
export const dynamic = "force-dynamic";

export function GET() {
  return new Response("ok", { headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" } });
}
