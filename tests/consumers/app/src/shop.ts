// The shop's own API on the reference backend (partner-server), as its demo checkout uses it:
// which Klarna SDK to load, and a server-side order to pay.

/** `GET /api/config`. */
export interface ShopConfig {
  sdkUrl: string;
  clientId: string;
}

/** An order from `POST /api/checkout-sessions`. */
export interface Order {
  id: string;
  amount: number;
  currency: string;
}

async function json(reply: Response): Promise<Record<string, unknown>> {
  if (!reply.ok) throw new Error(`${reply.url}: HTTP ${reply.status}`);
  const body: unknown = await reply.json();
  if (typeof body !== "object" || body === null) throw new Error(`${reply.url}: not an object`);
  return body as Record<string, unknown>;
}

function text(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string") throw new Error(`${key} is not a string`);
  return value;
}

export async function shopConfig(): Promise<ShopConfig> {
  const body = await json(await fetch("/api/config"));
  return { sdkUrl: text(body, "sdkUrl"), clientId: text(body, "clientId") };
}

/** A one-time purchase; `scenario` tells the simulator what Klarna answers (empty: as documented). */
export async function newOrder(scenario: string): Promise<Order> {
  const body = await json(
    await fetch("/api/checkout-sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ flow: "one_time", scenario }),
    }),
  );
  const amount = body["amount"];
  if (typeof amount !== "number") throw new Error("amount is not a number");
  return { id: text(body, "id"), amount, currency: text(body, "currency") };
}
