// The reference backend against each dialect the simulator speaks (the forms Klarna's pages
// disagree on: webhook signatures in hex or base64, where a completed journey's tokens stand,
// error bodies with or without error_type, a customer token as an object or a bare string,
// `mode: REQUIRED` accepted or refused): the same flows end the same way in every dialect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorld, waitUntil } from "../chaos/world.mjs";

for (const dialect of ["standard", "acquirer", "legacy"]) {
  test(`the flows under the ${dialect} dialect`, async () => {
    const world = await startWorld({ simArgs: ["--dialect", dialect] });
    try {
      const shopper = world.shopper();
      // A purchase that saves Klarna: step-up, journey, webhooks (signed the dialect's way), final authorization.
      const saved = await shopper.order("token_with_purchase");
      const click = await shopper.click(saved);
      assert.equal(click.status, 200, JSON.stringify(click.body));
      assert.equal(click.body.payment_transaction_response.result, "STEP_UP_REQUIRED");
      await shopper.approve(click.body.payment_request.payment_request_id);
      // The shopper does not come back: the webhook (or the poll) finishes the order.
      await waitUntil("the order to be authorized", async () => (await shopper.status(saved)) === "AUTHORIZED", 8_000);
      const tokens = world.db("SELECT klarna_token FROM customer_tokens WHERE session_id = ?", [saved.id]);
      assert.equal(tokens.length, 1, "the customer token, found where this dialect puts it");
      assert.match(tokens[0].klarna_token, /^krn:customer-token:/);
      const signed = (await world.control("/deliveries")).deliveries.filter((d) => d.event_type.endsWith("completed"));
      assert.ok(signed.some((d) => d.acknowledged), "the dialect's webhook signature was accepted");

      // A saved-token charge, forced through the journey: a dialect that refuses
      // `mode: REQUIRED` gets the plain step-up instead.
      const forced = await shopper.order("token_charge", "", { force_step_up: true });
      const step = await shopper.click(forced);
      assert.equal(step.status, 200, JSON.stringify(step.body));
      assert.equal(step.body.payment_transaction_response.result, "STEP_UP_REQUIRED");
      const back = await shopper.approve(step.body.payment_request.payment_request_id);
      await shopper.comeBack(back);
      await waitUntil("the forced step-up to be authorized", async () => (await shopper.status(forced)) === "AUTHORIZED", 8_000);

      // A decline, and an error in the dialect's error shape relayed to the button.
      const declined = await shopper.order("one_time", "decline");
      assert.equal((await shopper.click(declined)).body.payment_transaction_response.result, "DECLINED");
      assert.equal(await shopper.status(declined), "DECLINED");
      const limited = await shopper.order("one_time", "rate_limited");
      const refused = await shopper.click(limited);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error_code, "RATE_LIMITED", JSON.stringify(refused.body));
      // (The rate-limited attempt stays open, as it must: a 429 proves nothing.)
      const result = await world.reconcile([saved.id, forced.id, declined.id]);
      assert.deepEqual([result.doubles, result.lost, result.unsettled], [[], [], []], JSON.stringify(result));
    } finally {
      await world.stop();
    }
  });
}
