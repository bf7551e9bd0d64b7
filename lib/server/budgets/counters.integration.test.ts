import { describe, expect, it } from "vitest";
import { slotCaps, WORKSPACE_SLOTS } from "@/lib/core/budget";
import { localDay } from "@/lib/core/calendar";
import { seedAgent } from "@/tests/agent-fixtures";
import { testActor } from "@/tests/fixtures";
import { poolSql } from "../db";
import { updateWorkspace } from "../workspaces/update-workspace";
import { take, usageOf } from "./counters";

/** Counter slots against real PostgreSQL: a limit changed during the day still holds exactly. */
describe("budget counters — a limit changed during the day", () => {
  it("lowered after uneven use, accepts exactly what is left of the new limit", async () => {
    const agent = await seedAgent();
    const day = localDay(new Date(), "UTC");
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 100 } });
    // 40 calls that all landed on the first six slots (7+7+7+7+6+6 of caps 7,7,7,7,6,6,…).
    await poolSql().query(`UPDATE usage_slot SET used = cap WHERE scope_id = $1 AND day = $2::date AND slot < 6`, [
      agent.workspace.id,
      day,
    ]);
    expect(await usageOf(agent.workspace.id, day)).toBe(40);

    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 60 } });
    const caps = slotCaps(60, WORKSPACE_SLOTS); // what a call of the day passes, as laid out for a fresh day
    const results = await Promise.all(
      Array.from({ length: 60 }, () => take({ day, workspace: { id: agent.workspace.id, caps }, credential: null })),
    );
    expect(results.filter((r) => r.refused === null)).toHaveLength(20);
    expect(await usageOf(agent.workspace.id, day)).toBe(60);
  });

  it("lowered below what the day has used, accepts nothing more; raised again, exactly the difference", async () => {
    const agent = await seedAgent();
    const day = localDay(new Date(), "UTC");
    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 50 } });
    const caps = slotCaps(50, WORKSPACE_SLOTS);
    const call = () => take({ day, workspace: { id: agent.workspace.id, caps }, credential: null });
    for (let i = 0; i < 30; i++) expect((await call()).refused).toBeNull();

    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 20 } });
    expect((await Promise.all(Array.from({ length: 10 }, call))).filter((r) => r.refused === null)).toHaveLength(0);

    await updateWorkspace({ slug: agent.workspace.slug, actor: testActor, settings: { dailyRequestLimit: 45 } });
    expect((await Promise.all(Array.from({ length: 40 }, call))).filter((r) => r.refused === null)).toHaveLength(15);
    expect(await usageOf(agent.workspace.id, day)).toBe(45);
  });
});
