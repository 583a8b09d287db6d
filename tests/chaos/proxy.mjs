// A fault proxy between the backend and Klarna (the simulator's partner API): it passes
// calls through, or answers in Klarna's place with a fault. Some faults never reach Klarna
// (a 500, a 429), others reach it and lose or spoil its reply (Klarna has acted, the backend
// cannot know): the cases that make exactly-once hard.
import { createServer, request as httpRequest } from "node:http";

/** The faults, and whether Klarna sees the call. */
export const FAULTS = {
  http500: { reachesKlarna: false },
  rateLimited: { reachesKlarna: false },
  timeout: { reachesKlarna: true },
  malformed: { reachesKlarna: true },
  lostReply: { reachesKlarna: true },
  slow: { reachesKlarna: true },
};

const klarnaError = (code, message) =>
  JSON.stringify({ error_id: crypto.randomUUID(), error_type: "TECHNICAL_ERROR", error_code: code, error_message: message });

/**
 * Starts the proxy in front of `target` (a base URL). `plan(call)` decides each call's fault:
 * it gets `{method, path, n}` and returns a fault name, or null to pass it through.
 * `timeoutMs` is how long a `timeout` holds the reply (longer than the backend's client
 * timeout); `slowMs` how long a latency spike adds.
 */
export async function startFaultProxy(target, { plan = () => null, timeoutMs = 3_000, slowMs = 400 } = {}) {
  const upstream = new URL(target);
  const counts = Object.fromEntries(Object.keys(FAULTS).map((name) => [name, 0]));
  let calls = 0;
  const state = { plan };

  function forward(req, body) {
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (res) => {
          const chunks = [];
          res.on("data", (chunk) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    calls += 1;
    const fault = state.plan({ method: req.method, path: req.url, n: calls });
    if (fault) counts[fault] += 1;
    try {
      if (fault === "http500") {
        res.writeHead(500, { "content-type": "application/json" }).end(klarnaError("INTERNAL_ERROR", "Internal error"));
        return;
      }
      if (fault === "rateLimited") {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "1" }).end(klarnaError("RATE_LIMITED", "Rate limit exceeded"));
        return;
      }
      const reply = await forward(req, body);
      if (fault === "lostReply") {
        req.socket.destroy();
        return;
      }
      if (fault === "timeout") {
        await new Promise((resolve) => setTimeout(resolve, timeoutMs));
        req.socket.destroy();
        return;
      }
      if (fault === "slow") await new Promise((resolve) => setTimeout(resolve, slowMs));
      if (fault === "malformed") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Service temporarily degraded</body></html>");
        return;
      }
      const headers = { ...reply.headers };
      delete headers["transfer-encoding"];
      delete headers.connection;
      res.writeHead(reply.status, headers).end(reply.body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    calls: () => calls,
    setPlan(plan) {
      state.plan = plan;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** A plan that faults Authorize calls at random with the given probabilities (a seeded
 * generator, so a run can be repeated). */
export function randomPlan(probabilities, seed = 1) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  return ({ path }) => {
    if (!path.includes("/payment/")) return null;
    let roll = next();
    for (const [fault, p] of Object.entries(probabilities)) {
      if (roll < p) return fault;
      roll -= p;
    }
    return null;
  };
}
