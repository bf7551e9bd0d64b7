-- Budgets: per-day usage counters split into slots (no single hot row), kept as history.

CREATE TABLE "usage_slot" (
  -- A workspace id (daily requests) or a credential id (daily writes).
  "scope_id" TEXT NOT NULL,
  "day" DATE NOT NULL,
  "slot" INTEGER NOT NULL,
  "cap" INTEGER NOT NULL,
  "used" INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY ("scope_id", "day", "slot"),
  CONSTRAINT "usage_slot_used_within_bounds" CHECK ("used" >= 0)
);

-- The first time a workspace enters degraded or stopped mode on a day (audited once).
CREATE TABLE "usage_mode_change" (
  "workspace_id" TEXT NOT NULL REFERENCES "workspace" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "day" DATE NOT NULL,
  "mode" TEXT NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ("workspace_id", "day", "mode")
);
