import { Alert } from "@/components/ui/alert";

export function LastError({ error }: { error: unknown }) {
  const e = error as { type?: string; message?: string } | null;
  if (!e) return null;
  return (
    <Alert tone="error">
      Last error <code className="font-mono">{e.type}</code>: {e.message}
    </Alert>
  );
}
