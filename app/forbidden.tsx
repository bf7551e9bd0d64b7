import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <h1 className="text-2xl font-semibold">You don’t have access to this page</h1>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
        Your role in this workspace does not include it. Ask a workspace admin if you need it.
      </p>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-indigo-600 hover:underline">
        Back to the dashboard
      </Link>
    </main>
  );
}
