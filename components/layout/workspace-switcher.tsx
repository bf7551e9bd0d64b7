"use client";

import { useRouter } from "next/navigation";
import { Select } from "@/components/ui/field";

export function WorkspaceSwitcher({
  current,
  workspaces,
}: {
  current: string;
  workspaces: { slug: string; name: string; role: string }[];
}) {
  const router = useRouter();
  return (
    <div>
      <label
        htmlFor="workspace-switcher"
        className="mb-1 block text-xs font-medium uppercase tracking-wide text-zinc-500"
      >
        Workspace
      </label>
      <Select id="workspace-switcher" value={current} onChange={(e) => router.push(`/w/${e.target.value}`)}>
        {workspaces.map((w) => (
          <option key={w.slug} value={w.slug}>
            {w.name} ({w.role})
          </option>
        ))}
      </Select>
    </div>
  );
}
