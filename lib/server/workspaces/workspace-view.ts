import "server-only";

export const workspaceSelect = {
  id: true,
  slug: true,
  name: true,
  timeZone: true,
  dailyRequestLimit: true,
  degradeAtPercent: true,
  stopMessage: true,
  killSwitch: true,
  defaultActionEffect: true,
  maxKeyTtlSeconds: true,
  createdAt: true,
  updatedAt: true,
} as const;

export type WorkspaceView = {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
  dailyRequestLimit: number | null;
  degradeAtPercent: number;
  stopMessage: string | null;
  killSwitch: boolean;
  defaultActionEffect: "allow" | "deny" | "require_approval";
  maxKeyTtlSeconds: number;
  createdAt: Date;
  updatedAt: Date;
};
