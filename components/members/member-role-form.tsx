"use client";

import { useServerForm } from "@/components/ui/use-server-form";
import { useState } from "react";
import type { FormAction } from "@/lib/action-state";
import { ROLES, ROLE_LABELS, type Role } from "@/lib/core/roles";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";

export function MemberRoleForm({
  workspace,
  userId,
  email,
  role,
  action,
}: {
  workspace: string;
  userId: string;
  email: string;
  role: Role;
  action: FormAction;
}) {
  const { state, pending, onSubmit } = useServerForm(action);
  const [selected, setSelected] = useState<Role>(role);
  return (
    <form onSubmit={onSubmit} className="flex items-center gap-2">
      <input type="hidden" name="workspace" value={workspace} />
      <input type="hidden" name="userId" value={userId} />
      <Select
        name="role"
        aria-label={`Role of ${email}`}
        className="w-36"
        value={selected}
        onChange={(e) => setSelected(e.target.value as Role)}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABELS[r]}
          </option>
        ))}
      </Select>
      {selected !== role ? (
        <Button type="submit" size="sm" variant="secondary" disabled={pending}>
          Save
        </Button>
      ) : null}
      {state?.message ? (
        <span
          role={state.ok ? "status" : "alert"}
          className={state.ok ? "text-xs text-emerald-600" : "text-xs text-red-600"}
        >
          {state.message}
        </span>
      ) : null}
    </form>
  );
}
