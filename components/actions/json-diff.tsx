/**
 * A line diff of two pretty-printed JSON values (the agent's arguments and an approver's edit):
 * the longest common subsequence of lines, small enough for arguments of at most 64 KiB.
 */
export type DiffLine = { kind: "same" | "removed" | "added"; text: string };

const MAX_CELLS = 4_000_000;

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before === "" ? [] : before.split("\n");
  const b = after === "" ? [] : after.split("\n");
  if (a.length * b.length > MAX_CELLS)
    return [
      ...a.map((text) => ({ kind: "removed" as const, text })),
      ...b.map((text) => ({ kind: "added" as const, text })),
    ];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: "removed", text: a[i++]! });
    else out.push({ kind: "added", text: b[j++]! });
  }
  while (i < a.length) out.push({ kind: "removed", text: a[i++]! });
  while (j < b.length) out.push({ kind: "added", text: b[j++]! });
  return out;
}

const STYLE = {
  same: "text-zinc-700 dark:text-zinc-300",
  removed: "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200",
  added: "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
} as const;
const SIGN = { same: " ", removed: "−", added: "+" } as const;

export function JsonDiff({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const lines = diffLines(
    before === undefined || before === null ? "" : JSON.stringify(before, null, 2),
    after === undefined || after === null ? "" : JSON.stringify(after, null, 2),
  );
  return (
    <pre
      aria-label={label}
      data-testid="arguments-diff"
      className="relative max-h-96 overflow-auto rounded bg-zinc-50 py-2 font-mono text-xs dark:bg-zinc-950"
    >
      {lines.map((line, index) => (
        <div key={index} className={`px-3 ${STYLE[line.kind]}`}>
          <span aria-hidden className="mr-2 select-none text-zinc-400">
            {SIGN[line.kind]}
          </span>
          <span className="sr-only">{line.kind === "same" ? "" : `${line.kind}: `}</span>
          {line.text}
        </div>
      ))}
    </pre>
  );
}
