import { describe, expect, it } from "vitest";
import { can, decideMemberChange, ROLES, rolesWith, type Permission, type Role } from "./roles";

describe("role permissions", () => {
  const table: Record<Permission, Role[]> = {
    "workspace.read": ["admin", "operator", "auditor", "viewer"],
    "workspace.configure": ["admin"],
    "members.manage": ["admin"],
    "escalations.work": ["admin", "operator"],
    "actions.approve": ["admin", "operator"],
    "audit.read": ["admin", "operator", "auditor", "viewer"],
    "audit.verify": ["admin", "auditor"],
    "audit.export": ["admin", "auditor"],
  };

  for (const [permission, allowed] of Object.entries(table) as [Permission, Role[]][]) {
    for (const role of ROLES) {
      const expected = allowed.includes(role);
      it(`${role} ${expected ? "may" : "may not"} ${permission}`, () => {
        expect(can(role, permission)).toBe(expected);
      });
    }
    it(`rolesWith(${permission}) lists exactly the allowed roles`, () => {
      expect(rolesWith(permission).sort()).toEqual([...allowed].sort());
    });
  }

  it("viewers change nothing: reading (the workspace and its audit trail) is all they may do", () => {
    const permissions = Object.keys(table) as Permission[];
    expect(permissions.filter((p) => can("viewer", p))).toEqual(["workspace.read", "audit.read"]);
  });
});

describe("decideMemberChange keeps at least one admin", () => {
  it("refuses demoting the only admin", () => {
    const decision = decideMemberChange({ kind: "change-role", currentRole: "admin", nextRole: "viewer" }, 1);
    expect(decision).toMatchObject({ allowed: false, code: "last_admin" });
  });

  it("refuses removing the only admin", () => {
    expect(decideMemberChange({ kind: "remove", currentRole: "admin" }, 1)).toMatchObject({ allowed: false });
  });

  it("allows demoting an admin when another remains", () => {
    expect(decideMemberChange({ kind: "change-role", currentRole: "admin", nextRole: "operator" }, 2)).toEqual({
      allowed: true,
    });
  });

  it("allows re-saving the only admin as admin", () => {
    expect(decideMemberChange({ kind: "change-role", currentRole: "admin", nextRole: "admin" }, 1)).toEqual({
      allowed: true,
    });
  });

  for (const role of ROLES.filter((r) => r !== "admin")) {
    it(`allows removing or changing a ${role} whatever the admin count`, () => {
      expect(decideMemberChange({ kind: "remove", currentRole: role }, 1)).toEqual({ allowed: true });
      expect(decideMemberChange({ kind: "change-role", currentRole: role, nextRole: "admin" }, 1)).toEqual({
        allowed: true,
      });
    });
  }
});
