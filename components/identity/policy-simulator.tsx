"use client";

import { useState } from "react";
import { decideAccess, type Grant, type Operation } from "@/lib/core/grants";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select } from "@/components/ui/field";

/** "May this identity read / write namespace X?" — answered by the same core function the agent API uses. */
export function PolicySimulator({ grants, status }: { grants: Grant[]; status: "active" | "disabled" }) {
  const [namespace, setNamespace] = useState("");
  const [operation, setOperation] = useState<Operation>("read");
  const decision = namespace.trim() ? decideAccess(grants, namespace.trim(), operation) : null;
  return (
    <div className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-[2fr_1fr]">
        <Field label="Namespace" htmlFor="sim-namespace">
          <Input
            id="sim-namespace"
            value={namespace}
            onChange={(e) => setNamespace(e.target.value)}
            placeholder="billing.invoices"
          />
        </Field>
        <Field label="Operation" htmlFor="sim-operation">
          <Select id="sim-operation" value={operation} onChange={(e) => setOperation(e.target.value as Operation)}>
            <option value="read">read</option>
            <option value="write">write</option>
          </Select>
        </Field>
      </div>
      <div aria-live="polite" data-testid="simulator-answer">
        {decision === null ? null : status === "disabled" ? (
          <Alert tone="error">No: the identity is disabled, so every call is refused (401) whatever its grants.</Alert>
        ) : decision.allowed ? (
          <Alert tone="success">
            Yes: allowed by grant{" "}
            <code className="font-mono">{`${decision.grant.pattern}:${decision.grant.access}`}</code>.
          </Alert>
        ) : (
          <Alert tone="error">No: {decision.reason} The agent would get 403 forbidden_namespace.</Alert>
        )}
      </div>
    </div>
  );
}
