import { describe, expect, it } from "vitest";
import { generateKey } from "./keys";
import { scrubSecrets, secretLogPaths } from "./log-redaction";

describe("scrubSecrets", () => {
  it("removes an agent key wherever it sits in a string", () => {
    const { key } = generateKey();
    for (const text of [
      key,
      `unknown API key ${key}`,
      `Authorization: Bearer ${key}`,
      JSON.stringify({ headers: { authorization: `Bearer ${key}` } }),
      `${key},${key}`,
    ]) {
      const scrubbed = scrubSecrets(text);
      expect(scrubbed).not.toContain(key);
      expect(scrubbed).not.toContain(key.slice(4, 20));
    }
  });

  it("removes any bearer token, not only agent keys", () => {
    expect(scrubSecrets("Authorization: Bearer s3cr3t-metrics-token")).toBe("Authorization: Bearer [redacted]");
  });

  it("leaves ordinary text alone", () => {
    expect(scrubSecrets("purged expired rows in billing.runs")).toBe("purged expired rows in billing.runs");
    expect(scrubSecrets("bkv_ prefix shown as bkv_ab")).toBe("bkv_ prefix shown as bkv_ab");
  });
});

describe("secretLogPaths", () => {
  it("covers authorization, passwords, keys and tokens at several depths", () => {
    const paths = secretLogPaths();
    for (const p of ["authorization", "*.authorization", "*.*.password", "key", "*.token", "*.headers.authorization"])
      expect(paths).toContain(p);
  });
});
