// Several instances on one PostgreSQL: three partner-servers and one standalone simulator
// (behind the fault proxy). Shoppers' requests are spread over the instances, a click is sent
// twice with the same key to two instances at once, every webhook reaches every instance, and
// one instance is killed with SIGKILL mid-run. Klarna's books must equal the database's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freshPostgres, waitUntil } from "./support.mjs";
import { startWorld } from "../chaos/world.mjs";
import { randomPlan } from "../chaos/proxy.mjs";
import { runCheckouts } from "../chaos/scenarios.mjs";

test("three instances on PostgreSQL, one killed mid-run: every payment once, none lost, all settled", async () => {
  const world = await startWorld({
    databaseUrl: freshPostgres(),
    instances: 3,
    plan: randomPlan({ http500: 0.03, lostReply: 0.03, rateLimited: 0.02, slow: 0.05 }, 11),
  });
  try {
    const killed = new Promise((resolve) => setTimeout(() => world.killBackend(1).then(resolve), 1_500));
    const orders = await runCheckouts(world, 60, { concurrency: 9, doubleClicks: true, settleMs: 10_000 });
    await killed;
    const result = await world.reconcile(orders);
    assert.deepEqual([result.doubles, result.lost, result.phantoms, result.unsettled], [[], [], [], []], JSON.stringify(result));
    assert.equal(result.klarnaTransactions, result.databaseTransactions);
    assert.ok(result.klarnaTransactions >= 50, `only ${result.klarnaTransactions} of 60 paid`);
    // Nothing dropped: every stored event is handled, or waits for its next try; none is held
    // by the killed instance once its lease ran out.
    await waitUntil("the killed instance's claims to be taken over", () =>
      Number(world.db("SELECT COUNT(*) AS n FROM webhook_events WHERE status = 'RECEIVED' AND owner = 'chaos-backend-1'")[0].n) === 0, 10_000);
    const orphans = world.db("SELECT event_id FROM webhook_events WHERE status = 'RECEIVED' AND owner IS NULL AND next_try_at IS NULL");
    assert.deepEqual(orphans, [], "an event stored but never handled nor scheduled");
  } finally {
    await world.stop();
  }
});
