"use client";

import { useState } from "react";
import { ACCESS_LEVELS, checkGrantPattern } from "@/lib/core/grants";
import { Field, Textarea } from "@/components/ui/field";

/** One grant per line, `pattern:access`; each line is checked as you type with the same rule the server applies. */
export function lineProblems(text: string): string[] {
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const [pattern = "", access = "", ...rest] = line.split(":");
    if (rest.length || !access) {
      problems.push(`Line ${i + 1}: write pattern:access, e.g. billing.*:readwrite`);
      return;
    }
    const check = checkGrantPattern(pattern.trim());
    if (!check.valid) problems.push(`Line ${i + 1}: ${check.message}`);
    if (!(ACCESS_LEVELS as readonly string[]).includes(access.trim()))
      problems.push(`Line ${i + 1}: access is read, write or readwrite`);
  });
  return problems;
}

export function GrantsField({ id, defaultValue = "", error }: { id: string; defaultValue?: string; error?: string[] }) {
  const [text, setText] = useState(defaultValue);
  const problems = lineProblems(text);
  return (
    <Field
      label="Grants"
      htmlFor={id}
      error={problems.length ? problems : error}
      hint="One per line: namespace:access. Patterns: billing.invoices, billing.* (everything below billing), or *. Access: read, write, readwrite."
    >
      <Textarea
        id={id}
        name="grants"
        rows={4}
        className="font-mono"
        value={text}
        aria-invalid={problems.length > 0}
        onChange={(e) => setText(e.target.value)}
        placeholder={"billing.*:readwrite\nshared.config:read"}
      />
    </Field>
  );
}
