"use client";

import { Button } from "@/components/ui/button";

// Production builds never send the error's message or stack to the browser; digest links to the server log.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
        Nothing you did was lost. Try again; if it keeps happening, give this reference to your admin:{" "}
        <code className="font-mono">{error.digest ?? "n/a"}</code>
      </p>
      <Button className="mt-6" onClick={reset}>
        Try again
      </Button>
    </main>
  );
}
