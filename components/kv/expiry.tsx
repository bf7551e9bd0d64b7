"use client";

import { formatDistanceStrict } from "date-fns";
import { useEffect, useState } from "react";

/** "in 4 minutes", refreshed every second; "never" without expiry. */
export function Expiry({ at }: { at: string | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!at) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  if (!at) return <span className="text-zinc-500">never</span>;
  const expired = new Date(at).getTime() <= now;
  return (
    <time dateTime={at} title={at} className={expired ? "text-red-600" : undefined} suppressHydrationWarning>
      {expired ? "expired" : formatDistanceStrict(new Date(at), now, { addSuffix: true })}
    </time>
  );
}
