// Checkouts as shoppers run them (clicking again after a failure that says so, going through
// Klarna's journey, coming back or not), and kill-point cases: shared by the end-to-end tests
// and `npm run chaos`.
import { startWorld, waitUntil } from "./world.mjs";

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The flow of the n-th checkout: a third each of immediate approvals, purchases that step up,
 * and purchases that also save Klarna. */
function flowOf(n) {
  return [["one_time", "approve"], ["one_time", ""], ["token_with_purchase", ""]][n % 3];
}

/** One shopper's checkout, to its end as the shopper sees it. */
export async function checkout(world, n, { returning = true, clicks = 8, doubleClicks = false } = {}) {
  const shopper = world.shopper();
  let order = null;
  for (let tries = 0; !order && tries < 5; tries++) {
    order = await shopper.order(...flowOf(n)).catch(() => null);
    if (!order) await pause(200);
  }
  if (!order) throw new Error("could not start a checkout");
  for (let click = 0; click < clicks; click++) {
    const key = crypto.randomUUID();
    // A double click: the same key, sent twice at once (to two instances, when there are two).
    const [{ status, body }] = doubleClicks
      ? await Promise.all([shopper.click(order, key), shopper.click(order, key)])
      : [await shopper.click(order, key)];
    if (status === 200 && body.payment_request) {
      const back = await shopper.approve(body.payment_request.payment_request_id);
      if (returning && back) await shopper.comeBack(back);
      break;
    }
    if (status === 200) break;
    // A refusal that says "do not try again" ends the checkout; anything else is clicked again.
    if (status >= 400 && status < 500 && status !== 429) break;
    await pause(250);
  }
  return order.id;
}

/** Runs `count` checkouts, `concurrency` at a time; resolves with their order ids once the
 * backend had one sweep period to settle what is left. */
export async function runCheckouts(world, count, { concurrency = 8, returning = true, doubleClicks = false, settleMs = 4_000 } = {}) {
  const orders = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      const n = next++;
      orders.push(await checkout(world, n, { returning, doubleClicks }));
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await waitUntil("every order to settle", async () => (await world.reconcile(orders)).unsettled.length === 0, settleMs).catch(() => {});
  return orders;
}

/** A checkout through a backend that is killed at `point`, then restarted; `returning` says
 * whether the shopper clicks again or comes back from Klarna. Resolves with the reconciliation. */
export async function killPointCase(point, { returning = true, profile = "debug", databaseUrl = null } = {}) {
  const world = await startWorld({ profile, databaseUrl });
  try {
    await world.restartBackend({ PARTNER_KILL_AT: point });
    const shopper = world.shopper();
    const atClick = point === "before-klarna-call" || point === "after-klarna-before-commit" || point === "after-commit-before-reply";
    const order = await shopper.order("one_time", atClick ? "approve" : "");
    // The webhook point: Klarna's webhooks wait until the shopper has approved, so the one that
    // kills the backend is the one that should finish the order.
    const webhookPoint = point === "webhook-before-order-update";
    if (webhookPoint) await world.control("/deliveries/hold", {});
    const first = await shopper.click(order);
    let back = null;
    if (!atClick) {
      if (first.status !== 200 || !first.body.payment_request) {
        throw new Error(`${point}: the click should have started a journey: ${first.status} ${JSON.stringify(first.body)}`);
      }
      back = await shopper.approve(first.body.payment_request.payment_request_id);
      if (back && !webhookPoint) await shopper.comeBack(back);
    }
    if (webhookPoint) await world.control("/deliveries/release", {});
    await waitUntil(`the backend to die at ${point}`, () => world.backend.child.exitCode !== null || world.backend.child.signalCode !== null, 10_000);
    await world.restartBackend();
    if (returning) {
      if (atClick) await shopper.click(order);
      else if (back) await shopper.comeBack(back);
    }
    await waitUntil("the order to settle", async () => (await world.reconcile([order.id])).unsettled.length === 0, 25_000).catch(() => {});
    return { point, returning, ...(await world.reconcile([order.id])) };
  } finally {
    await world.stop();
  }
}
